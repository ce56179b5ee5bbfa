/** Types of build-cli.mjs (the CLI build), for the TypeScript that imports it. */
export declare const CLI_DIST: string;
export declare function buildCli(): Promise<void>;

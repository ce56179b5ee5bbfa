/**
 * What made an export: the package's name and version (package.json; a unit test keeps the two equal,
 * since core code cannot read package.json in every runtime it runs in).
 */
export const GENERATOR = { name: 'alphalora-studio', version: '0.1.0' } as const;

export const INSTALL_HINT: string;
export const CHROMIUM_ARGS: string[];
export function findChromium(): string | null;
export function requireChromium(): string;

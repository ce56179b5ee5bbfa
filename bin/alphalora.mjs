#!/usr/bin/env node
// `npx alphalora`: runs the TypeScript CLI directly through tsx's loader, so it works right after
// `npm ci` with no build step. Worker threads of the CPU pool register the same loader themselves.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

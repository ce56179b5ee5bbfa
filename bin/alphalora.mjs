#!/usr/bin/env node
// `npx alphalora`: runs the CLI built into dist-cli/ (plain JavaScript; `npm ci` builds it through the
// `prepare` script, `npm run build:cli` rebuilds it after an edit of src/cli or src/core).
import { existsSync } from 'node:fs';

const main = new URL('../dist-cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'alphalora: the CLI is not built (dist-cli/main.js is missing). Run `npm run build:cli` in the ' +
      'alphalora-studio folder (`npm ci` does it too).\n',
  );
  process.exit(1);
}
const cli = await import(main.href);
process.exitCode = await cli.main(process.argv.slice(2));

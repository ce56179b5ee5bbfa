/**
 * Global set-up of the unit tests: builds the CLI into dist-cli/ first, so that the CLI tests (which run
 * `node bin/alphalora.mjs`) and the CPU pool's worker threads run the sources as they are now.
 */
import { buildCli } from '../../scripts/build-cli.mjs';

export default async function setup(): Promise<void> {
  await buildCli();
}

/** How a promise settles, as a test compares it: undefined when it resolves, else the error's code. */
import { isStudioError } from '../../src/core/errors';

export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return isStudioError(err) ? err.code : `not a StudioError: ${String(err)}`;
  }
  return undefined;
}

/**
 * Indexed reads whose index an invariant keeps in range (an argmin over the same list, parallel lists of
 * one length). With `noUncheckedIndexedAccess` a plain `list[i]` is `T | undefined`; this says what is
 * produced — the element — and turns a broken invariant into a named INTERNAL error instead of a NaN or
 * an `undefined` that travels on. Hot numeric loops over typed arrays use `!` instead (no call per element).
 */

import { StudioError } from './errors';

/** `list[index]`, or an INTERNAL StudioError naming `what` when the index is outside the list. */
export function itemAt<T>(list: ArrayLike<T>, index: number, what: string): T {
  const item = list[index];
  if (item === undefined) {
    throw new StudioError(
      'INTERNAL',
      `${what}: index ${index} is outside the ${list.length} element(s) (a broken invariant).`,
    );
  }
  return item;
}

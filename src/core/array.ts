/**
 * Array helpers that never spread into a call: `Math.max(...values)` and `list.push(...items)` put every
 * element on the stack and throw "Maximum call stack size exceeded" past ~100k elements (a MoE
 * checkpoint lists ~150k tensors). The lint rule in eslint.config.js forbids such spreads.
 */

/** The largest value (-Infinity for none, as Math.max()); NaN if any value is NaN, as Math.max. */
export function maxOf(values: Iterable<number>): number {
  let m = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}

/** The smallest value (Infinity for none, as Math.min()); NaN if any value is NaN, as Math.min. */
export function minOf(values: Iterable<number>): number {
  let m = Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) return NaN;
    if (v < m) m = v;
  }
  return m;
}

/** Appends every item to `target` (in order) and returns it. */
export function pushAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

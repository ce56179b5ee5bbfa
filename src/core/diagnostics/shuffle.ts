/**
 * The seeded element shuffle behind the randomised ESD (docs/specs/diagnostics.md §2.1). WeightWatcher uses the
 * unseeded global numpy shuffle; any uniform permutation is equally valid, and a seed makes runs
 * reproducible: the same matrix name and seed give the same shuffles on every engine and in every order.
 */

/** mulberry32: a small, fast 32-bit generator, uniform on [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A matrix's own seed: FNV-1a of its name, mixed with the run's seed. */
export function matrixSeed(name: string, seed: number): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * A uniformly shuffled copy of `values` (Fisher–Yates). Each index comes from two 32-bit draws (a 64-bit
 * fraction): one draw would bias the indices of a 45M-element matrix by ~1%.
 */
export function shuffledCopy<T extends Float32Array | Float64Array>(values: T, rand: () => number): T {
  const out = values.slice() as T;
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor((rand() + rand() * 2 ** -32) * (i + 1)));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

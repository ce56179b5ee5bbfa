/**
 * Which method the WebGPU backend tries first for a matrix (src/gpu/spectrum-gpu.ts runs it; the time
 * estimate prices it). Pure, so that both sides read one rule.
 */
import type { SpectrumMethod } from '../spectral/types';

/**
 * The Gram is tried first only on matrices whose longer side is at least this many times the shorter:
 * a random such matrix has λmin/λmax ≥ ((√4 − 1)/(√4 + 1))² = 1/9 (Marchenko–Pastur), so the Gram's
 * spectrum has a fair chance to pass the GPU's noise-floor check, and the Gram costs far less than
 * reducing the long side. Nearer-square matrices have λmin → 0 and go to the SVD directly.
 */
export const GRAM_FIRST_ASPECT = 4;

/** The first method tried for a rows×cols matrix (a 'gram' try falls back to 'svd'). */
export function chooseMethod(rows: number, cols: number): SpectrumMethod {
  return Math.max(rows, cols) >= GRAM_FIRST_ASPECT * Math.min(rows, cols) ? 'gram' : 'svd';
}

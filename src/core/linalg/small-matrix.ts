/**
 * Which matrices count as small: their spectrum runs on the float64 CPU path even when WebGPU is used
 * (workers/small-on-cpu.ts says why), and the time estimate charges them at the CPU's rate. One predicate,
 * so that the routing and the estimate cannot drift apart.
 */

/** Matrices whose smaller side is at most this many go to the CPU. */
export const SMALL_MATRIX_MAX_SIDE = 128;

export function isSmallMatrix(rows: number, cols: number): boolean {
  return Math.min(rows, cols) <= SMALL_MATRIX_MAX_SIDE;
}

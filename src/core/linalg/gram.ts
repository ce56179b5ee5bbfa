/**
 * Gram matrix of a weight matrix over its smaller side, in float64: G = WᵀW when cols ≤ rows, else WWᵀ.
 * Both are G = A·Aᵀ for the n×m matrix A whose rows are W's columns (first case) or W's rows (second),
 * n = min(rows, cols), m = max(rows, cols).
 *
 * Blocking: the long side m is cut into panels of PANEL entries; each panel of A is gathered into a
 * contiguous float64 buffer (converting from float32 and transposing where needed, so the kernel never
 * strides), padded with zero rows to a multiple of the register tile. The kernel accumulates the lower
 * triangle of G tile by tile (TILE_I×TILE_J dot products held in registers), and the upper triangle is
 * mirrored at the end. Where WebAssembly SIMD exists the tile kernel is the f64x2 one of wasm-kernels.ts
 * (panel and accumulator live in its memory); this file's TypeScript kernel is the fallback.
 */
import { throwIfAborted } from '../errors';
import { createWasmWorkspace } from './wasm-kernels';

/** Which implementation runs the tile kernel: 'auto' uses WebAssembly SIMD when available. */
export type GramKernelChoice = 'auto' | 'js' | 'wasm';
/** Below this size the WebAssembly setup is not worth it. */
const WASM_MIN_N = 16;

/** Entries of the long side per panel: a panel of 1024 rows is 2 MiB, and one row pair plus a j tile stays in L1. */
const PANEL = 256;
/** Register tile: 2 rows of G by 4 columns = 8 accumulators + 6 loads per step, within x64's 16 FP registers. */
const TILE_I = 2;
const TILE_J = 4;

export interface Gram {
  /** n×n row-major, symmetric (possibly a view into a larger WebAssembly memory buffer). */
  g: Float64Array;
  n: number;
}

/**
 * G over the smaller side of the row-major rows×cols matrix `w` (not modified). The signal is checked
 * before each panel of the long side.
 */
export function gramMatrix(
  w: Float32Array | Float64Array,
  rows: number,
  cols: number,
  signal?: AbortSignal,
  kernel: GramKernelChoice = 'auto',
): Gram {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || w.length < rows * cols) {
    throw new RangeError(`gramMatrix: ${rows}×${cols} does not fit ${w.length} values.`);
  }
  const transposed = cols <= rows; // A = Wᵀ: rows of A are columns of W
  const n = Math.min(rows, cols);
  const m = Math.max(rows, cols);
  // Padded size: a multiple of both tile sizes, so the kernel has no edge cases.
  const np = Math.ceil(n / TILE_J) * TILE_J;
  const wasm =
    kernel === 'js' || (kernel === 'auto' && n < WASM_MIN_N)
      ? null
      : createWasmWorkspace((np * np + np * PANEL) * 8);
  if (kernel === 'wasm' && wasm === null)
    throw new Error('gramMatrix: WebAssembly SIMD is not available here.');
  const gp = wasm === null ? new Float64Array(np * np) : new Float64Array(wasm.buffer, 0, np * np);
  const panel =
    wasm === null ? new Float64Array(np * PANEL) : new Float64Array(wasm.buffer, np * np * 8, np * PANEL);

  for (let k0 = 0; k0 < m; k0 += PANEL) {
    throwIfAborted(signal); // a panel is at most n²·PANEL multiply-adds: well under a second
    const kb = Math.min(PANEL, m - k0);
    // Gather A[:, k0..k0+kb) into panel (n rows of stride PANEL; padding rows stay zero).
    if (transposed) {
      for (let kk = 0; kk < kb; kk++) {
        const src = (k0 + kk) * cols;
        for (let i = 0; i < n; i++) panel[i * PANEL + kk] = w[src + i]!;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const src = i * cols + k0;
        const dst = i * PANEL;
        for (let kk = 0; kk < kb; kk++) panel[dst + kk] = w[src + kk]!;
      }
    }
    if (wasm === null) {
      accumulateLowerTiles(panel, np, kb, gp);
    } else {
      // The SIMD kernel takes k in pairs: an odd panel width gets one zero column (PANEL is even).
      const kbEven = kb + (kb & 1);
      if (kbEven !== kb) for (let i = 0; i < n; i++) panel[i * PANEL + kb] = 0;
      wasm.gram(panel.byteOffset, np, kbEven * 8, gp.byteOffset, PANEL);
    }
  }

  // Mirror the lower triangle into the upper one, unpadding into a new array only when there is padding
  // (when n is a multiple of the tile, gp is returned as is: no second n² copy at peak memory).
  const g = np === n ? gp : new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = gp[i * np + j]!;
      g[i * n + j] = x;
      g[j * n + i] = x;
    }
  }
  return { g, n };
}

/**
 * gp[i, j] += Σ_k panel[i, k]·panel[j, k] for every tile touching the lower triangle (j ≤ i; tiles on the
 * diagonal also fill a few upper entries, which the mirroring overwrites). np is a multiple of TILE_J.
 */
function accumulateLowerTiles(panel: Float64Array, np: number, kb: number, gp: Float64Array): void {
  for (let i = 0; i < np; i += TILE_I) {
    const a0 = i * PANEL;
    const a1 = a0 + PANEL;
    const jEnd = i + TILE_I; // j tiles start at or below the diagonal of row i + 1
    for (let j = 0; j < jEnd; j += TILE_J) {
      const b0 = j * PANEL;
      const b1 = b0 + PANEL;
      const b2 = b1 + PANEL;
      const b3 = b2 + PANEL;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      for (let k = 0; k < kb; k++) {
        const x0 = panel[a0 + k]!;
        const x1 = panel[a1 + k]!;
        const y0 = panel[b0 + k]!;
        const y1 = panel[b1 + k]!;
        const y2 = panel[b2 + k]!;
        const y3 = panel[b3 + k]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      const g0 = i * np + j;
      const g1 = g0 + np;
      gp[g0] = gp[g0]! + s00;
      gp[g0 + 1] = gp[g0 + 1]! + s01;
      gp[g0 + 2] = gp[g0 + 2]! + s02;
      gp[g0 + 3] = gp[g0 + 3]! + s03;
      gp[g1] = gp[g1]! + s10;
      gp[g1 + 1] = gp[g1 + 1]! + s11;
      gp[g1 + 2] = gp[g1 + 2]! + s12;
      gp[g1 + 3] = gp[g1 + 3]! + s13;
    }
  }
}

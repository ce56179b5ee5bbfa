/**
 * The FARMS ESD of one matrix: every window of the plan through a spectrum engine, pooled ascending (spec
 * diagnostics.md §6.7–6.8). `farmsSpectrum` takes any SpectrumBackend (the CLI's CPU pool, the page's
 * WebGPU/CPU engine); `farmsSpectrumCpu` is the synchronous float64 path for tests and small matrices.
 */
import { StudioError, throwIfAborted } from '../errors';
import type { SpectrumBackend } from '../linalg/backend';
import { spectrumCpu } from '../linalg/spectrum-cpu';
import { scaledSpectra } from '../pipeline/pooled-spectrum';
import type { SpectrumResult } from '../spectral/types';
import { farmsPlan, windowOf, type FarmsParams, type FarmsPlan, type FarmsWindow } from './farms';

export interface FarmsSpectrum {
  plan: FarmsPlan;
  /** The pooled window eigenvalues, ascending. */
  eigenvalues: Float64Array;
}

/**
 * Window copies in flight at once: 128 MiB (eight 2000×2000 f32 windows), never all 225 of a plan. Each
 * group goes to the engine as one batch of one shape (the GPU reduces the group together, a CPU pool
 * spreads it over its workers).
 */
const GROUP_BYTES = 2 ** 27;
const MAX_GROUP = 64;

/** Windows with no eigenvalue (an empty slice) contribute none, as in FARMS. */
export async function farmsSpectrum(
  backend: SpectrumBackend,
  w: Float32Array | Float64Array,
  rows: number,
  cols: number,
  params: FarmsParams,
  signal?: AbortSignal,
): Promise<FarmsSpectrum> {
  const plan = farmsPlan(rows, cols, params);
  // Python slicing can cut the last windows short: group them by shape, one batch is one shape.
  const byShape = new Map<string, FarmsWindow[]>();
  for (const win of plan.windows) {
    const wr = win.r1 - win.r0;
    const wc = win.c1 - win.c0;
    if (wr <= 0 || wc <= 0) continue;
    const key = `${wr}x${wc}`;
    const same = byShape.get(key);
    if (same) same.push(win);
    else byShape.set(key, [win]);
  }
  const parts: SpectrumResult[] = [];
  for (const windows of byShape.values()) {
    const { r0, r1, c0, c1 } = windows[0]!;
    const windowBytes = (r1 - r0) * (c1 - c0) * w.BYTES_PER_ELEMENT;
    const group = Math.max(1, Math.min(MAX_GROUP, Math.floor(GROUP_BYTES / windowBytes)));
    for (let at = 0; at < windows.length; at += group) {
      throwIfAborted(signal);
      const subs = windows.slice(at, at + group).map((win) => windowOf(w, cols, win));
      // One common scale per group; a λ beyond float64 (no common unit left) is refused below.
      for (const s of await scaledSpectra(backend, subs, signal)) {
        if (s.scaleLog2 !== undefined)
          throw new StudioError(
            'BAD_INPUT',
            `FARMS: λ of a ${rows}×${cols} matrix's window is beyond float64's range (weights near 2^${s.scaleLog2})`,
          );
        parts.push(s);
      }
    }
  }
  return { plan, eigenvalues: pool(parts) };
}

export function farmsSpectrumCpu(
  w: Float32Array | Float64Array,
  rows: number,
  cols: number,
  params: FarmsParams,
): FarmsSpectrum {
  const plan = farmsPlan(rows, cols, params);
  const parts: SpectrumResult[] = [];
  for (const win of plan.windows) {
    const sub = windowOf(w, cols, win);
    if (sub.rows === 0 || sub.cols === 0) continue;
    parts.push(spectrumCpu(sub.data, sub.rows, sub.cols));
  }
  return { plan, eigenvalues: pool(parts) };
}

function pool(parts: readonly SpectrumResult[]): Float64Array {
  let n = 0;
  for (const p of parts) n += p.eigenvalues.length;
  const out = new Float64Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p.eigenvalues, at);
    at += p.eigenvalues.length;
  }
  return out.sort();
}

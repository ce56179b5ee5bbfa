/**
 * The FARMS ESD of one matrix: every window of the plan through a spectrum engine, pooled ascending (spec
 * diagnostics.md §6.7–6.8). `farmsSpectrum` takes any SpectrumBackend (the CLI's CPU pool, the page's
 * WebGPU/CPU engine); `farmsSpectrumCpu` is the synchronous float64 path for tests and small matrices.
 */
import { StudioError, throwIfAborted } from '../errors';
import type { SpectrumBackend } from '../linalg/backend';
import { spectrumCpu } from '../linalg/spectrum-cpu';
import { scaledSpectrum } from '../pipeline/pooled-spectrum';
import type { SpectrumResult } from '../spectral/types';
import { farmsPlan, windowOf, type FarmsParams, type FarmsPlan } from './farms';

export interface FarmsSpectrum {
  plan: FarmsPlan;
  /** The pooled window eigenvalues, ascending. */
  eigenvalues: Float64Array;
}

/** Windows with no eigenvalue (an empty slice) contribute none, as in FARMS. */
export async function farmsSpectrum(
  backend: SpectrumBackend,
  w: Float32Array | Float64Array,
  rows: number,
  cols: number,
  params: FarmsParams,
  signal?: AbortSignal,
  concurrency = 4,
): Promise<FarmsSpectrum> {
  const plan = farmsPlan(rows, cols, params);
  const parts: SpectrumResult[] = [];
  // A few windows in flight (a pool spreads them over its workers, a GPU queue pipelines them), never all
  // 225 at once: each is a copy (16 MB for a 2000×2000 float32 window).
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < plan.windows.length) {
      throwIfAborted(signal);
      const sub = windowOf(w, cols, plan.windows[next++]!);
      if (sub.rows === 0 || sub.cols === 0) continue;
      const s = await scaledSpectrum(backend, sub, signal);
      if (s.scaleLog2 !== undefined)
        throw new StudioError(
          'BAD_INPUT',
          `FARMS: λ of a ${rows}×${cols} matrix's window is beyond float64's range (weights near 2^${s.scaleLog2})`,
        );
      parts.push(s);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, loop));
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

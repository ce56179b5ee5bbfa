/**
 * The spectra beyond a matrix's own that the diagnostics need, and attaching their results to a
 * MatrixResult. Both need W itself (an element shuffle, windows of W), so they run where the matrix is
 * loaded (analyzeModel), on the same engine as the matrix: the randomised ESD (docs/specs/diagnostics.md §2: R
 * shuffles pooled, R = 5 under 100 wide, plus one) and the FARMS windows (§6).
 */
import { throwIfAborted } from '../errors';
import type { SpectrumBackend } from '../linalg/backend';
import { farmsSpectrum } from '../diagnostics/farms-spectrum';
import type { FarmsParams, FarmsPlan } from '../diagnostics/farms';
import { farmsFits, farmsSummary } from '../diagnostics/farms-fit';
import { matrixDiagnostics, type RandomSpectra } from '../diagnostics/matrix-diagnostics';
import { randomShuffleCount } from '../diagnostics/randomize';
import { matrixSeed, mulberry32, shuffledCopy } from '../diagnostics/shuffle';
import { DEFAULT_ESTIMATOR, type DiagnosticsOptions, type MatrixResult } from '../result';
import { matrixMetrics } from '../spectral/metrics';
import { scaledSpectra, type DecodedInput } from './pooled-spectrum';

export interface ExtraOptions {
  diagnostics?: DiagnosticsOptions;
  farms?: FarmsParams;
}

export interface ExtraSpectra {
  random?: RandomSpectra;
  farms?: { plan: FarmsPlan; eigenvalues: Float64Array };
}

export function needsWeights(opts: ExtraOptions): boolean {
  return opts.diagnostics?.randomize === true || opts.farms !== undefined;
}

/**
 * The shuffled and window spectra of one matrix. Call it BEFORE the matrix's own spectrum: that one may scale
 * `data` in place (pooled-spectrum.ts), and every spectrum here is of a copy.
 */
export async function extraSpectra(
  backend: SpectrumBackend,
  input: { data: Float32Array | Float64Array; rows: number; cols: number },
  name: string,
  opts: ExtraOptions,
  signal?: AbortSignal,
): Promise<ExtraSpectra> {
  const { data, rows, cols } = input;
  const out: ExtraSpectra = {};
  if (opts.diagnostics?.randomize === true) {
    // 1. R shuffles pooled (rand_evals_1), then one more (rand_evals_2), in that order from one seeded stream.
    const rand = mulberry32(matrixSeed(name, opts.diagnostics.seed));
    const shuffle = (): DecodedInput => ({ data: shuffledCopy(data, rand), rows, cols });
    // The R pooled shuffles are one batch (R = 5 only under 100 wide, where copies are small); R = 1 above.
    const R = randomShuffleCount(Math.min(rows, cols));
    const parts = await scaledSpectra(backend, Array.from({ length: R }, shuffle), signal);
    throwIfAborted(signal);
    const pooled = new Float64Array(parts.reduce((n, p) => n + p.eigenvalues.length, 0));
    let at = 0;
    for (const p of parts) {
      pooled.set(p.eigenvalues, at);
      at += p.eigenvalues.length;
    }
    pooled.sort();
    const [single] = await scaledSpectra(backend, [shuffle()], signal);
    throwIfAborted(signal);
    out.random = { pooled, single: single!.eigenvalues };
  }
  if (opts.farms !== undefined) {
    out.farms = await farmsSpectrum(backend, data, rows, cols, opts.farms, signal);
  }
  return out;
}

/** The matrix with its diagnostics and, under FARMS, its fits replaced by the pooled-window fits. */
export function withExtras(matrix: MatrixResult, extras: ExtraSpectra, opts: ExtraOptions): MatrixResult {
  let m = matrix;
  if (opts.diagnostics !== undefined) {
    m = { ...m, diagnostics: matrixDiagnostics(m.eigenvalues, m.shape, extras.random) };
  }
  if (opts.farms !== undefined && extras.farms !== undefined) {
    const fits = farmsFits(extras.farms.eigenvalues);
    m = {
      ...m,
      fits,
      metrics: matrixMetrics(m.eigenvalues, fits[DEFAULT_ESTIMATOR], {
        negativeCount: m.negativeCount,
        noiseFloor: m.noiseFloor,
      }),
      farms: farmsSummary(extras.farms.plan, opts.farms, m.fits),
    };
  }
  return m;
}

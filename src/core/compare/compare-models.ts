/**
 * The compare pipeline: analyse model A and model B with the ordinary analysis
 * (pipeline/analyze.ts, any backend), then walk the matched pairs one at a time: read W_A and W_B, sum
 * ‖W_A‖², ‖W_B‖², ‖W_B − W_A‖² in float64, and with `deltaWeights` take the spectrum and fits of
 * W_B − W_A through the same spectrum path an analysis uses. Shared by the CLI (`alphalora compare`) and
 * the page's analysis worker.
 *
 * Memory: the analyses hold what analyzeModel holds (a few tensors); the pair walk holds one pair (two
 * decoded matrices, float32 unless stored in 64 bits) and, for ΔW, their float64 difference, which is
 * formed before the two are let go. Nothing else of the weights is kept, so two 7B checkpoints are
 * compared within a few matrices' memory.
 */
import { abortError, throwIfAborted, toErrorData } from '../errors';
import type { StudioErrorData } from '../errors';
import { numElements } from '../formats/dtypes';
import type { ModelDescription, TensorHandle } from '../formats/types';
import type { SpectrumBackend } from '../linalg/backend';
import { analyzeModel } from '../pipeline/analyze';
import type { AnalyzeOptions } from '../pipeline/analyze';
import { planAnalysis } from '../pipeline/plan';
import type { AnalysisPlan, PlanItem, PlanOptions } from '../pipeline/plan';
import { spectrumOf } from '../pipeline/pooled-spectrum';
import type { Progress } from '../pipeline/progress';
import { summarizeMatrix } from '../result';
import type { AnalysisResult, MatrixResult } from '../result';
import type { EstimatorName } from '../spectral/types';
import { buildComparison } from './comparison';
import type { Comparison, PairDistance } from './comparison';
import { deltaWeights as deltaOf, frobeniusDistance, pairLayout } from './distance';
import type { PairLayout } from './distance';
import { matchMatrices } from './match-matrices';
import type { MatrixPair } from './match-matrices';

export interface CompareModelsOptions {
  /** The estimator of every α in the comparison (layer α, Δα). */
  estimator: EstimatorName;
  /** Which matrices each model's analysis (and so the comparison) covers; the same for both. */
  plan?: PlanOptions;
  /** Roles averaged into layer α; default each side's block roles. */
  roles?: string[];
  /** Also analyse ΔW = W_B − W_A per pair (spectrum, fits). */
  deltaWeights?: boolean;
  /** The engine for ΔW's spectra; default `backend` (the CLI passes the float64 CPU backend). */
  deltaBackend?: SpectrumBackend;
  signal?: AbortSignal;
  /** Passed to both analyses (concurrency, prefetch, summarize, diagnostics, farms, ...). */
  analyze?: Omit<AnalyzeOptions, 'signal' | 'onProgress' | 'onMatrix'>;
  onProgress?: (p: CompareProgress) => void;
  /** Each side's matrices as they finish (the page's live table). */
  onMatrix?: (side: 'a' | 'b', m: MatrixResult) => void;
}

/** Progress of a comparison: each analysis's own events, then the pair walk with fixed totals. */
export type CompareProgress =
  | { stage: 'analyze'; side: 'a' | 'b'; progress: Progress }
  | {
      stage: 'pairs';
      /** Pairs finished; reaches `total` at the end. */
      done: number;
      total: number;
      /** A's name of the pair just finished; null in the first event. */
      name: string | null;
    };

export interface ComparedModels extends PairMeasures {
  a: AnalysisResult;
  b: AnalysisResult;
  comparison: Comparison;
}

interface PlanKey {
  name: string;
  layer: number | null;
  role: string;
  shape: [number, number];
  item: PlanItem;
}

export async function compareModels(
  modelA: ModelDescription,
  modelB: ModelDescription,
  backend: SpectrumBackend,
  opts: CompareModelsOptions,
): Promise<ComparedModels> {
  const { signal, estimator } = opts;
  const planA = planAnalysis(modelA, opts.plan ?? {});
  const planB = planAnalysis(modelB, opts.plan ?? {});

  // 1. Each model's analysis, one after the other (each already fills the backend).
  const analyze = (side: 'a' | 'b', model: ModelDescription, plan: AnalysisPlan): Promise<AnalysisResult> =>
    analyzeModel(model, plan, backend, {
      ...opts.analyze,
      ...(signal !== undefined ? { signal } : {}),
      onProgress: (progress) => opts.onProgress?.({ stage: 'analyze', side, progress }),
      onMatrix: (m) => opts.onMatrix?.(side, m),
    });
  const a = await analyze('a', modelA, planA);
  const b = await analyze('b', modelB, planB);

  // 2–3. The matched pairs, one at a time: distances and, when asked, ΔW.
  const measured = await measurePairs(planA, planB, backend, opts);
  const { distances, deltas, deltaErrors } = measured;

  // 4. The comparison object every output writes.
  const comparison = buildComparison({
    a,
    b,
    estimator,
    ...(opts.roles !== undefined ? { roles: opts.roles } : {}),
    distances,
    ...(opts.deltaWeights === true ? { deltas, deltaErrors } : {}),
  });
  return { a, b, distances, deltas, deltaErrors, comparison };
}

/** What the pair walk measures, keyed by A's matrix name. */
export interface PairMeasures {
  distances: Map<string, PairDistance>;
  /** ΔW analyses (with `deltaWeights`). */
  deltas: Map<string, MatrixResult>;
  deltaErrors: Map<string, StudioErrorData>;
}

/**
 * The pair walk alone: the matched pairs of two plans (what the analyses covered, with their tensor
 * handles, matched as the comparison matches the results), read one pair at a time. The page's worker
 * calls it directly (the page builds the comparison with the estimator on screen); compareModels wraps it.
 */
export async function measurePairs(
  planA: AnalysisPlan,
  planB: AnalysisPlan,
  backend: SpectrumBackend,
  opts: Pick<CompareModelsOptions, 'deltaWeights' | 'deltaBackend' | 'signal' | 'onProgress'>,
): Promise<PairMeasures> {
  const { signal } = opts;
  const keys = (plan: AnalysisPlan): PlanKey[] =>
    plan.items.map((item) => ({
      name: item.name,
      layer: item.layer,
      role: item.role,
      shape: [item.rows, item.cols],
      item,
    }));
  const { pairs } = matchMatrices(keys(planA), keys(planB));
  const distances = new Map<string, PairDistance>();
  const deltas = new Map<string, MatrixResult>();
  const deltaErrors = new Map<string, StudioErrorData>();
  const deltaBackend = opts.deltaBackend ?? backend;
  opts.onProgress?.({ stage: 'pairs', done: 0, total: pairs.length, name: null });
  let done = 0;
  for (const pair of pairs) {
    throwIfAborted(signal);
    const result = await comparePair(pair, opts.deltaWeights === true, deltaBackend, signal);
    distances.set(pair.a.name, result.distance);
    if (result.delta !== undefined) deltas.set(pair.a.name, result.delta);
    if (result.deltaError !== undefined) deltaErrors.set(pair.a.name, result.deltaError);
    opts.onProgress?.({ stage: 'pairs', done: ++done, total: pairs.length, name: pair.a.name });
  }
  return { distances, deltas, deltaErrors };
}

interface PairOutcome {
  distance: PairDistance;
  delta?: MatrixResult;
  deltaError?: StudioErrorData;
}

const NO_DISTANCE = { relativeDistance: null, normA: null, normB: null, normDelta: null } as const;

/** Distance (and ΔW) of one pair; a pair that cannot be read gets a note, never an exception. */
async function comparePair(
  pair: MatrixPair<PlanKey, PlanKey>,
  wantsDelta: boolean,
  backend: SpectrumBackend,
  signal: AbortSignal | undefined,
): Promise<PairOutcome> {
  const ta = pair.a.item.tensor;
  const tb = pair.b.item.tensor;
  const layout = pairLayout(pair.shapes, pair.a.shape, numElements(ta.shape), numElements(tb.shape));
  if (layout === null) {
    const note = `shapes ${ta.shape.join('×')} and ${tb.shape.join('×')} cannot be compared element by element`;
    return {
      distance: { ...NO_DISTANCE, note },
      ...(wantsDelta ? { deltaError: toErrorData(new Error(`no ΔW: ${note}`)) } : {}),
    };
  }
  let measured: { distance: PairDistance; data: Float64Array | null };
  try {
    measured = await measurePair(
      ta,
      tb,
      layout,
      wantsDelta && pair.a.item.pooledMatrices === undefined,
      signal,
    );
  } catch (err) {
    if (signal?.aborted) throw abortError();
    const error = toErrorData(err);
    return {
      distance: { ...NO_DISTANCE, note: `not read: ${error.message}` },
      ...(wantsDelta ? { deltaError: error } : {}),
    };
  }
  const { distance, data } = measured;
  if (!wantsDelta) return { distance };
  if (data === null) {
    return {
      distance,
      deltaError: toErrorData(new Error('no ΔW for a convolution (its pooled kernel matrices)')),
    };
  }
  const { rows, cols, name, file, layer, role, kind } = pair.a.item;
  try {
    const spectrum = await spectrumOf(backend, { data, rows, cols }, signal);
    throwIfAborted(signal);
    const delta = summarizeMatrix(
      {
        name,
        file: file === pair.b.item.file ? file : `${file} → ${pair.b.item.file}`,
        layer,
        role,
        kind,
        shape: [rows, cols],
        dtype: 'F64',
      },
      spectrum,
    );
    return { distance, delta };
  } catch (err) {
    if (signal?.aborted) throw abortError();
    return { distance, deltaError: toErrorData(err) };
  }
}

/**
 * Reads both matrices and sums the distance; with `wantsDelta` also forms W_B − W_A in float64. The two
 * decoded matrices are this function's own, so they can be collected as soon as it returns, before the
 * caller takes ΔW's spectrum.
 */
async function measurePair(
  ta: TensorHandle,
  tb: TensorHandle,
  layout: PairLayout,
  wantsDelta: boolean,
  signal: AbortSignal | undefined,
): Promise<{ distance: PairDistance; data: Float64Array | null }> {
  const [va, vb] = await Promise.all([read(ta, signal), read(tb, signal)]);
  return {
    distance: frobeniusDistance(va, vb, layout),
    data: wantsDelta ? deltaOf(va, vb, layout) : null,
  };
}

/** Decoded values: float32 (exact for every dtype up to 32 bits, half float64's memory) or float64. */
function read(tensor: TensorHandle, signal: AbortSignal | undefined): Promise<Float32Array | Float64Array> {
  return /^(F64|FLOAT64|DOUBLE)$/i.test(tensor.dtype) ? tensor.readF64(signal) : tensor.read(signal);
}

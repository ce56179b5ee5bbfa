/**
 * Stage 2 of the pipeline (files -> reader -> PLAN -> spectrum -> fit -> layers -> allocation): decide
 * which tensors are analysed, how big each job is, and what the whole run costs, before any weight is
 * read. Every tensor that is not analysed gets a reason (skip-reason.ts: a code and the words), so nothing
 * disappears silently.
 */
import type { FarmsParams } from '../diagnostics/farms';
import type { ModelDescription, TensorHandle, TensorKind } from '../formats/types';
import { analysedKind } from '../model/block-matrix';
import { skipReasonOf, type SkipReason } from './skip-reason';
import type { SpectrumMethod } from '../spectral/types';

export interface PlanOptions {
  /** Only these roles (q_proj, down_proj, ...). Default: every role. Embeddings/heads: see below. */
  roles?: readonly string[];
  /** Inclusive block range [first, last]. Default: every block. */
  layers?: readonly [number, number];
  /**
   * Also analyse embeddings and heads (off by default: AlphaLoRA allocates over the decoder blocks). When
   * on, they are analysed whatever `roles` and `layers` say (those select decoder-block matrices).
   */
  includeEmbeddings?: boolean;
  /**
   * Also analyse matrices outside the attention/MLP Linear layers (unknown names, and 4-D convolution
   * weights, pooled over their kernel positions). Off by default: AlphaLoRA allocates over the blocks'
   * Linear layers, and a convolution never enters a layer α.
   */
  includeOther?: boolean;
  /**
   * Not used by the plan: what the analysis computes beyond the fits (WeightWatcher diagnostics, the
   * randomised ESD, FARMS; see pipeline/extra-spectra.ts). Carried here because it travels with the
   * selection from the page to the worker and keys the page's cache of finished matrices.
   */
  extras?: AnalysisExtras;
}

/** The diagnostics settings of a run. */
export interface AnalysisExtras {
  /** Compute the shuffled spectra (docs/specs/diagnostics.md §2). */
  randomize?: boolean;
  /** Seed of the shuffles; default 0. */
  seed?: number;
  /** Fit the pooled FARMS windows instead of whole matrices. */
  farms?: FarmsParams;
}

/** A short key of the extras, to tell cached results of other settings apart ('' for none). */
export function extrasKey(extras: AnalysisExtras | undefined): string {
  if (extras === undefined) return '';
  const parts: string[] = [];
  if (extras.randomize === true) parts.push(`rand${extras.seed ?? 0}`);
  if (extras.farms !== undefined)
    parts.push(`farms${extras.farms.rows}x${extras.farms.qRatio}x${extras.farms.ops}`);
  return parts.join('+');
}

export interface PlanItem {
  tensor: TensorHandle;
  name: string;
  file: string;
  layer: number | null;
  role: string;
  kind: TensorKind;
  /** [rows, cols] of the analysed matrix; for a convolution, of each kernel position's matrix [out, in]. */
  rows: number;
  cols: number;
  /**
   * Convolution weights only: how many kernel-position matrices (kh·kw) are computed and pooled into one
   * spectrum (see pooled-spectrum.ts).
   */
  pooledMatrices?: number;
  /** Bytes read from the file for this tensor. */
  bytes: number;
  /** Estimated floating-point operations of its spectrum (see `spectrumFlops`). */
  flops: number;
}

export interface PlanTotals {
  matrices: number;
  bytes: number;
  flops: number;
}

export interface SkippedTensor extends SkipReason {
  name: string;
}

export interface AnalysisPlan {
  items: PlanItem[];
  skipped: SkippedTensor[];
  totals: PlanTotals;
}

/**
 * Work of one spectrum, in flops, by stage: the symmetric Gram of an m×n matrix (n = the smaller side)
 * costs m·n·(n+1) (half of a GEMM's 2·m·n²), the Householder tridiagonalisation (4/3)·n³, and the
 * root-free QL about 30·n² (small next to the other two). Used for time estimates, the ETA and the
 * benchmark's per-stage GFLOP/s, not for correctness.
 */
export function stageFlops(
  rows: number,
  cols: number,
): Record<'gram' | 'reduction' | 'tridiagonal' | 'bidiagonal' | 'singular', number> {
  const n = Math.min(rows, cols);
  const m = Math.max(rows, cols);
  return {
    gram: m * n * (n + 1),
    reduction: (4 / 3) * n * n * n,
    tridiagonal: 30 * n * n,
    // The GPU's SVD path: Golub–Kahan bidiagonalisation of the m×n W (4·m·n² − (4/3)·n³), then the
    // float64 eigenvalues of the n×n tridiagonal BᵀB (about as cheap as the Gram path's last stage).
    bidiagonal: 4 * m * n * n - (4 / 3) * n * n * n,
    singular: 30 * n * n,
  };
}

/**
 * Work of one spectrum, in flops, on the CPU (float64) path: the Gram path's stages (`stageFlops`). The
 * plan's flops, the ETA and the CPU estimate use it; `methodFlops` prices the GPU's methods.
 */
export function spectrumFlops(rows: number, cols: number): number {
  return methodFlops(rows, cols, 'gram');
}

/** Work of one spectrum by `method`: the Gram path's three stages, or the SVD path's two. */
export function methodFlops(rows: number, cols: number, method: SpectrumMethod): number {
  const f = stageFlops(rows, cols);
  return method === 'gram' ? f.gram + f.reduction + f.tridiagonal : f.bidiagonal + f.singular;
}

export function planAnalysis(model: ModelDescription, opts: PlanOptions = {}): AnalysisPlan {
  const items: PlanItem[] = [];
  const skipped: SkippedTensor[] = [];
  for (const tensor of model.tensors) {
    const skip = skipReasonOf(tensor, opts);
    const conv = tensor.kernelMatrices;
    const shape = tensor.matrixShape ?? conv?.shape ?? null;
    if (skip !== null || shape === null) {
      skipped.push({ name: tensor.name, ...(skip ?? { code: 'not-a-matrix', reason: 'not a matrix' }) });
      continue;
    }
    const [rows, cols] = shape;
    const pooled = tensor.matrixShape === null && conv !== undefined ? conv.count : undefined;
    items.push({
      tensor,
      name: tensor.name,
      file: tensor.file,
      layer: tensor.placement.layer,
      role: tensor.placement.role,
      // A convolution placed by a block rule is planned as "other", so that it stays out of layer α.
      kind: analysedKind(tensor),
      rows,
      cols,
      ...(pooled !== undefined ? { pooledMatrices: pooled } : {}),
      bytes: tensor.byteLength,
      flops: (pooled ?? 1) * spectrumFlops(rows, cols),
    });
  }
  // Block order, so that results (and the progress bar) arrive layer by layer; the sort is stable, so
  // the file's order is kept inside a block. Matrices outside the blocks come last.
  items.sort(byBlock);
  return { items, skipped, totals: totalsOf(items) };
}

/**
 * The plan's order of matrices: by decoder block, those outside the blocks last. Within a block it says
 * nothing (0): a stable sort keeps the files' order there, as the plan does.
 */
export function byBlock(a: { layer: number | null }, b: { layer: number | null }): number {
  return blockOrder(a.layer) - blockOrder(b.layer);
}

function blockOrder(layer: number | null): number {
  return layer ?? Number.MAX_SAFE_INTEGER;
}

export function totalsOf(items: readonly PlanItem[]): PlanTotals {
  let bytes = 0;
  let flops = 0;
  for (const item of items) {
    bytes += item.bytes;
    flops += item.flops;
  }
  return { matrices: items.length, bytes, flops };
}

/**
 * The same plan without the matrices already done (resume after a reload, a crash or a lost GPU device):
 * totals are recomputed so that progress of the remaining run stays exact.
 */
export function remainingPlan(plan: AnalysisPlan, done: ReadonlySet<string>): AnalysisPlan {
  const items = plan.items.filter((item) => !done.has(item.name));
  return { items, skipped: plan.skipped, totals: totalsOf(items) };
}

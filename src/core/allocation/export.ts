/**
 * Exports of an analysis: the allocation JSON (schema fixed in issue 3: fields may be added, never
 * removed or renamed), the MoLA/AlphaLoRA command-line flags, and a CSV of the per-matrix table.
 *
 * JSON has no NaN: a number that is not finite (a failed fit) is written as null.
 */
import type { SpectrumMethod } from '../spectral/types';
import type { FormatName } from '../formats/types';
import { buildLayerTable, isBlockMatrix } from '../layers';
import {
  backendCounts,
  metricsFor,
  resultBackend,
  type AnalysisResult,
  type MatrixResult,
  type SpectrumBackendName,
} from '../result';
import type { EstimatorName } from '../spectral/types';
import { allocate, type AllocationMode } from './alphalora';
import { trainableParamsPerLayer, type ModuleShape } from './params';

export const ALLOCATION_FORMAT = 'alphalora-studio/allocation';

export interface AllocationMatrixJson {
  name: string;
  role: string;
  shape: [number, number];
  alpha: number | null;
  xmin: number | null;
  D: number | null;
  tail: number | null;
  numEigs: number | null;
  lambdaMax: number | null;
  stableRank: number | null;
  logNorm: number | null;
  logSpectralNorm: number | null;
  alphaWeighted: number | null;
  negativeEigs: number | null;
  /** Extra: why the fit failed, when it did. */
  failed?: string;
  /** Extra: the engine that computed this matrix's spectrum (absent for imported α). */
  backend?: SpectrumBackendName;
  /** Extra: how it was computed, 'svd' or 'gram' (absent for imported α). */
  method?: SpectrumMethod;
}

export interface AllocationLayerJson {
  index: number;
  alpha: number;
  matrices: AllocationMatrixJson[];
}

export interface AllocationJson {
  format: typeof ALLOCATION_FORMAT;
  version: 1;
  model: {
    name: string;
    architecture: string;
    files: { name: string; bytes: number }[];
    numLayers: number;
    /** Extra: the checkpoint format. */
    format?: FormatName;
  };
  analysis: {
    estimator: EstimatorName;
    /**
     * The engine that computed the spectra: 'webgpu' when any matrix was computed on the fp32 GPU path,
     * 'cpu' when every one was computed in float64 (see `backends` for the split). null when the α were
     * imported rather than computed here (see `source`).
     */
    backend: 'webgpu' | 'cpu' | null;
    /** Extra: matrices per engine, e.g. { "webgpu": 3, "cpu": 35 } (small matrices run on the CPU). */
    backends?: Partial<Record<SpectrumBackendName, number>>;
    layerAggregation: 'mean';
    roles: string[];
    /** Extra: 'analysis' (computed from the weights) or 'imported' (α read from a file). */
    source: 'analysis' | 'imported';
    adapter?: string;
  };
  layers: AllocationLayerJson[];
  allocation: {
    method: 'alphalora';
    mode: AllocationMode;
    budget: number;
    beta: number;
    experts: number[];
    topK: number[];
    loraRank: number;
    /** null when the target modules' shapes are unknown (imported α without shapes). */
    trainableParams: number | null;
    /** Extra: the target modules counted in trainableParams. */
    targetModules?: string[];
    /** Extra: faithful-mode warnings, the safe-mode deviation note, layer-table warnings. */
    warnings: string[];
  };
  mola: { number_experts: string; top_k: string; lora_r: string };
}

export interface AllocationExportOptions {
  estimator: EstimatorName;
  /** Roles averaged into layer α; default every block role (see layers.ts). */
  roles?: string[];
  mode: AllocationMode;
  beta: number;
  budget: number;
  loraRank: number;
  /** Roles that get the MoE-LoRA adapters (for trainableParams); default: `roles`. */
  targetModules?: string[];
}

/** The allocation JSON of an analysis. Throws BAD_INPUT when a layer has no usable α. */
export function buildAllocationJson(result: AnalysisResult, opts: AllocationExportOptions): AllocationJson {
  const table = buildLayerTable(result.matrices, { estimator: opts.estimator, roles: opts.roles });
  const alloc = allocate(
    table.rows.map((r) => r.alpha),
    opts,
  );
  const targets = opts.targetModules ?? table.roles;
  // Per-layer module shapes: PyTorch nn.Linear layout, weight [out, in] = [rows, cols]. Only the blocks'
  // Linear matrices get adapters: an "other" matrix in a layer (a convolution) is not one, whatever its role.
  const modules: ModuleShape[][] = table.rows.map((row) =>
    result.matrices
      .filter((m) => m.layer === row.index && isBlockMatrix(m) && targets.includes(m.role))
      .map((m) => ({ in: m.shape[1], out: m.shape[0] })),
  );
  const anyModule = modules.some((l) => l.length > 0);
  const backend = resultBackend(result);
  return {
    format: ALLOCATION_FORMAT,
    version: 1,
    model: { ...result.model },
    analysis: {
      estimator: opts.estimator,
      backend,
      backends: backendCounts(result.matrices),
      layerAggregation: 'mean',
      roles: table.roles,
      source: 'analysis',
      // The adapter describes the selected backend: named only when that backend computed something.
      ...(result.adapter !== undefined && backend === result.backend ? { adapter: result.adapter } : {}),
    },
    layers: table.rows.map((row) => ({
      index: row.index,
      alpha: row.alpha,
      matrices: [...row.matrices, ...row.failed].map((m) => matrixJson(m, opts.estimator)),
    })),
    allocation: {
      method: 'alphalora',
      mode: opts.mode,
      budget: opts.budget,
      beta: opts.beta,
      experts: alloc.experts,
      topK: alloc.topK,
      loraRank: opts.loraRank,
      trainableParams: anyModule ? trainableParamsPerLayer(alloc.experts, modules, opts.loraRank) : null,
      targetModules: targets,
      warnings: [...table.warnings, ...alloc.warnings],
    },
    mola: molaFields(alloc.experts, alloc.topK, opts.loraRank),
  };
}

/** For α imported from a file: no matrices analysed here, so the per-matrix fields are mostly null. */
export function allocationJsonFromAlphas(
  layerAlphas: number[],
  opts: {
    mode: AllocationMode;
    beta: number;
    budget: number;
    loraRank: number;
    estimator?: EstimatorName;
    model?: Partial<AllocationJson['model']>;
    matrices?: { name: string; alpha: number; layer: number | null }[];
    /** Target module shapes of one layer, when known, for trainableParams. */
    modules?: ModuleShape[];
    roles?: string[];
  },
): AllocationJson {
  const alloc = allocate(layerAlphas, opts);
  const modules = opts.modules;
  return {
    format: ALLOCATION_FORMAT,
    version: 1,
    model: {
      name: opts.model?.name ?? 'imported α',
      architecture: opts.model?.architecture ?? 'unknown',
      files: opts.model?.files ?? [],
      numLayers: opts.model?.numLayers ?? layerAlphas.length,
    },
    analysis: {
      estimator: opts.estimator ?? 'alphalora',
      backend: null,
      layerAggregation: 'mean',
      roles: opts.roles ?? [],
      source: 'imported',
    },
    layers: layerAlphas.map((alpha, index) => ({
      index,
      alpha,
      matrices: (opts.matrices ?? []).filter((m) => m.layer === index).map(importedMatrixJson),
    })),
    allocation: {
      method: 'alphalora',
      mode: opts.mode,
      budget: opts.budget,
      beta: opts.beta,
      experts: alloc.experts,
      topK: alloc.topK,
      loraRank: opts.loraRank,
      trainableParams:
        modules !== undefined && modules.length > 0
          ? trainableParamsPerLayer(
              alloc.experts,
              alloc.experts.map(() => modules),
              opts.loraRank,
            )
          : null,
      warnings: alloc.warnings,
    },
    mola: molaFields(alloc.experts, alloc.topK, opts.loraRank),
  };
}

/** `--number_experts "1,3,5" --top_k "1,2,2" --lora_r "8,8,8"`: no spaces, no brackets, one per layer. */
export function molaFlags(experts: number[], topK: number[], rank: number): string {
  const f = molaFields(experts, topK, rank);
  return `--number_experts "${f.number_experts}" --top_k "${f.top_k}" --lora_r "${f.lora_r}"`;
}

function molaFields(experts: number[], topK: number[], rank: number): AllocationJson['mola'] {
  return {
    number_experts: experts.join(','),
    top_k: topK.join(','),
    lora_r: experts.map(() => rank).join(','),
  };
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function matrixJson(m: MatrixResult, estimator: EstimatorName): AllocationMatrixJson {
  const fit = m.fits[estimator];
  const metrics = metricsFor(m, estimator);
  return {
    name: m.name,
    role: m.role,
    shape: [m.shape[0], m.shape[1]],
    alpha: finite(fit.alpha),
    xmin: finite(fit.xmin),
    D: finite(fit.D),
    tail: fit.failed === null ? fit.tail : null,
    numEigs: metrics.numEigs,
    lambdaMax: finite(metrics.lambdaMax),
    stableRank: finite(metrics.stableRank),
    logNorm: finite(metrics.logNorm),
    logSpectralNorm: finite(metrics.logSpectralNorm),
    alphaWeighted: finite(metrics.alphaWeighted),
    negativeEigs: metrics.negativeEigs,
    ...(fit.failed !== null ? { failed: fit.failed } : {}),
    backend: m.backend,
    method: m.method,
  };
}

function importedMatrixJson(m: { name: string; alpha: number }): AllocationMatrixJson {
  return {
    name: m.name,
    role: '',
    shape: [0, 0],
    alpha: finite(m.alpha),
    xmin: null,
    D: null,
    tail: null,
    numEigs: null,
    lambdaMax: null,
    stableRank: null,
    logNorm: null,
    logSpectralNorm: null,
    alphaWeighted: null,
    negativeEigs: null,
  };
}

const CSV_COLUMNS = [
  'name',
  'file',
  'layer',
  'role',
  'kind',
  'rows',
  'cols',
  'pooled_matrices',
  'dtype',
  'backend',
  'method',
  'estimator',
  'alpha',
  'xmin',
  'xmin_index',
  'D',
  'tail',
  'sigma',
  'num_eigs',
  'lambda_max',
  'lambda_min',
  'frobenius_sq',
  'stable_rank',
  'log_norm',
  'log_spectral_norm',
  'alpha_weighted',
  'log_alpha_norm',
  'negative_eigs',
  'noise_floor',
  'warning',
  'failed',
] as const;

/**
 * The per-matrix table as CSV (RFC 4180 quoting; empty cells for NaN). Re-importable as α. The `backend`
 * column names the engine that computed each spectrum ('webgpu' fp32 or 'cpu' float64). `pooled_matrices`
 * is set on convolutions only: the number of kernel-position matrices (kh·kw, so 1 for a 1×1 conv) whose
 * eigenvalues were pooled into the row's spectrum, `rows`×`cols` being each position's [out, in]; it is
 * empty for a plain matrix, which is no pool at all.
 */
export function matrixCsv(result: AnalysisResult, estimator: EstimatorName): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const m of result.matrices) {
    const fit = m.fits[estimator];
    const x = metricsFor(m, estimator);
    const cells: (string | number | null)[] = [
      m.name,
      m.file,
      m.layer,
      m.role,
      m.kind,
      m.shape[0],
      m.shape[1],
      m.pooledMatrices ?? null,
      m.dtype,
      m.backend,
      m.method,
      estimator,
      fit.alpha,
      fit.xmin,
      fit.xminIndex,
      fit.D,
      fit.tail,
      fit.sigma,
      x.numEigs,
      x.lambdaMax,
      x.lambdaMin,
      x.frobeniusSq,
      x.stableRank,
      x.logNorm,
      x.logSpectralNorm,
      x.alphaWeighted,
      x.logAlphaNorm,
      x.negativeEigs,
      x.noiseFloor,
      x.warning,
      fit.failed,
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

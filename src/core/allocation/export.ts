/**
 * Exports of an analysis: the allocation JSON (a fixed schema: fields may be added, never
 * removed or renamed), the MoLA/AlphaLoRA command-line flags, and a CSV of the per-matrix table.
 *
 * JSON has no NaN: a number that is not finite (a failed fit) is written as null.
 */
import type { BlocksBasis } from '../model/blocks-basis';
import type { SpectrumMethod } from '../spectral/types';
import { matrixQuality } from '../layer-quality';
import type { QualityFlag } from '../spectral/fit-quality';
import type { LoraModelInfo, LoraSource } from '../adapters/lora-types';
import type { FormatName } from '../formats/types';
import {
  backendCounts,
  metricsFor,
  resultBackend,
  type AnalysisResult,
  type MatrixResult,
  type SpectrumBackendName,
} from '../result';
import type { EstimatorName } from '../spectral/types';
import { buildLayerTable, isBlockMatrix, type LayerRow } from '../layers';
import { GENERATOR } from '../version';
import type { AllocationMode } from './alphalora';
import {
  computeAllocation,
  missingFilesOf,
  molaFields,
  type AllocationLayerInput,
  type AllocationOutcome,
  type MissingFile,
} from './outcome';
import type { ModuleShape } from './params';
import { FINGERS_CSV_COLUMNS, fingersCsvCells, fingersJson, hasFingers } from './fingers-export';
import {
  DIAGNOSTIC_CSV_COLUMNS,
  diagnosticsCsvCells,
  diagnosticsJson,
  type DiagnosticsJson,
  type FarmsJson,
} from '../diagnostics/export-fields';
import type { FarmsParams } from '../diagnostics/farms';

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
  /** Extra, clip-xmax only: WeightWatcher's num_fingers and the unclipped α (fingers-export.ts). */
  numFingers?: number;
  rawAlpha?: number | null;
  /** Extra: why the fit failed, when it did. */
  failed?: string;
  /** Extra: the engine that computed this matrix's spectrum (absent for imported α). */
  backend?: SpectrumBackendName;
  /** Extra: how it was computed, 'svd' or 'gram' (absent for imported α). */
  method?: SpectrumMethod;
  /** Extra: WeightWatcher's diagnostics (analyze --diagnostics; the page always). */
  diagnostics?: DiagnosticsJson;
  /** Extra: the FARMS fit that `alpha`/`xmin` are (analyze --farms). */
  farms?: FarmsJson;
  /**
   * Extra: how far the fit can be trusted (spectral/fit-quality.ts): tail size k, KS distance D,
   * σ = (α − 1)/√k and the flags with their stated thresholds. Absent for imported α without it.
   */
  quality?: AllocationQualityJson;
  /** Extra, LoRA matrices only: 'lora-delta' (ΔW of an adapter alone) or 'lora-merged' (W + ΔW). */
  source?: LoraSource;
  /** Extra, LoRA matrices only: the module's resolved rank and scale (lora_alpha / r, or / √r with rsLoRA). */
  rank?: number;
  scale?: number;
}

/** A matrix's fit quality in the JSON (non-finite numbers as null). */
export interface AllocationQualityJson {
  k: number;
  D: number | null;
  sigma: number | null;
  flags: QualityFlag[];
}

export interface AllocationLayerJson {
  index: number;
  alpha: number;
  matrices: AllocationMatrixJson[];
}

export interface AllocationJson {
  format: typeof ALLOCATION_FORMAT;
  version: 1;
  /** What wrote the file. */
  generator: { name: string; version: string };
  /** When the file was written (ISO 8601). */
  createdAt: string;
  /** False when the files declare more than was analysed (see `missing`); the allocation then covers part of the model. */
  complete: boolean;
  /** Only when incomplete: the files not analysed and the layer indices without an α. */
  missing?: { files: string[]; layers: number[] };
  model: {
    name: string;
    architecture: string;
    files: { name: string; bytes: number }[];
    numLayers: number;
    /** Extra: the checkpoint format. */
    format?: FormatName;
    /** Extra: set when the model is a LoRA adapter, alone or merged into its base (src/core/adapters). */
    lora?: LoraModelInfo;
    /** Extra: what the layers are (tensor names' blocks, blocks found in an ONNX graph), in words. */
    blocks?: BlocksBasis;
  };
  analysis: {
    estimator: EstimatorName;
    /**
     * The engine that computed the spectra: 'webgpu' when any matrix was computed on the fp32 GPU path,
     * 'cpu' when every one was computed in float64 (see `backends` for the split). null when the α were
     * imported rather than computed here (see `source`).
     */
    backend: SpectrumBackendName | null;
    /** Extra: matrices per engine, e.g. { "webgpu": 3, "cpu": 35 } (small matrices run on the CPU). */
    backends?: Partial<Record<SpectrumBackendName, number>>;
    layerAggregation: 'mean';
    roles: string[];
    /** Extra: 'analysis' (computed from the weights) or 'imported' (α read from a file). */
    source: 'analysis' | 'imported';
    adapter?: string;
    /** Extra: α (layer α, allocation) is FARMS α over windows of these parameters (docs/specs/diagnostics.md §6). */
    farms?: FarmsParams & { note: string };
  };
  /** The allocated layers (those with an α), ascending; allocation.experts[i] belongs to layers[i]. */
  layers: AllocationLayerJson[];
  allocation: {
    method: 'alphalora';
    mode: AllocationMode;
    budget: number;
    beta: number;
    /** One line: how the experts follow from α, β and T in this mode. */
    rule: string;
    experts: number[];
    topK: number[];
    loraRank: number;
    /** null when the target modules' shapes are unknown (imported α without shapes). */
    trainableParams: number | null;
    /** Extra: the target modules counted in trainableParams (and given to --lora_target_modules). */
    targetModules?: string[];
    /** Extra: the incompleteness warning, layer-table warnings, faithful-mode warnings, safe mode's note. */
    warnings: string[];
    /** Extra: why `mola` is null (an incomplete result, or a layer with 0 or fewer experts). */
    molaWithheld?: string;
  };
  /** The MoLA flags' values; null when they must not be used (see allocation.molaWithheld). */
  mola: {
    number_experts: string;
    top_k: string;
    lora_r: string;
    lora_target_modules: string;
  } | null;
}

/**
 * What an allocation is computed from, apart from its settings: the layers' α and target modules, what the
 * model declares and what was missing, and the per-matrix rows the JSON lists. Built once per α source
 * (an analysis, an imported file) and role choice; `computeAllocation` then runs per setting.
 */
export interface AllocationBasis {
  layers: AllocationLayerInput[];
  declaredLayers: number;
  missingFiles: MissingFile[];
  layerWarnings: string[];
  shapesKnown: boolean;
  /** Roles averaged into layer α. */
  roles: string[];
  /** The JSON rows of layer `index`'s matrices (computed on demand: metrics under another estimator cost a pass). */
  matrixRows(index: number): AllocationMatrixJson[];
}

/** The model and analysis sections of the JSON (what the numbers were computed from). */
export interface AllocationProvenance {
  model: AllocationJson['model'];
  analysis: AllocationJson['analysis'];
}

export interface AllocationExportOptions {
  estimator: EstimatorName;
  /** Roles averaged into layer α; default every block role (see layers.ts). */
  roles?: string[];
  mode: AllocationMode;
  beta: number;
  budget: number;
  loraRank: number;
  /** Roles that get the MoE-LoRA adapters (trainableParams, --lora_target_modules); default: `roles`. */
  targetModules?: string[];
  /** ISO 8601; default now. */
  createdAt?: string;
}

/** The allocation basis of analysed matrices (the page and `analyze` both start here). */
export function analysisBasis(
  result: Pick<AnalysisResult, 'matrices' | 'errors' | 'model'>,
  estimator: EstimatorName,
  roles: string[] | undefined,
  targets: string[] | undefined,
): AllocationBasis & { targets: string[]; rows: LayerRow[] } {
  const table = buildLayerTable(result.matrices, { estimator, roles });
  const chosenTargets = targets ?? table.roles;
  // Per-layer module shapes: PyTorch nn.Linear layout, weight [out, in] = [rows, cols]. Only the blocks'
  // Linear matrices get adapters: an "other" matrix in a layer (a convolution) is not one, whatever its role.
  const modulesOf = (index: number): ModuleShape[] =>
    result.matrices
      .filter((m) => m.layer === index && isBlockMatrix(m) && chosenTargets.includes(m.role))
      .map((m) => ({ in: m.shape[1], out: m.shape[0] }));
  const layers = table.rows.map((row) => ({
    index: row.index,
    alpha: row.alpha,
    modules: modulesOf(row.index),
  }));
  const byIndex = new Map(table.rows.map((r) => [r.index, r]));
  return {
    layers,
    declaredLayers: result.model.numLayers,
    missingFiles: missingFilesOf(result.errors),
    layerWarnings: table.warnings,
    shapesKnown: layers.some((l) => l.modules.length > 0),
    roles: table.roles,
    targets: chosenTargets,
    rows: table.rows,
    // The averaged matrices, then the adapter targets that are not averaged: their shapes make the
    // trainable-parameter count reproducible from the file (an import writes the same count again).
    matrixRows: (index) => {
      const row = byIndex.get(index);
      const extra = result.matrices.filter(
        (m) =>
          m.layer === index &&
          isBlockMatrix(m) &&
          !table.roles.includes(m.role) &&
          chosenTargets.includes(m.role),
      );
      return row ? [...row.matrices, ...row.failed, ...extra].map((m) => matrixJson(m, estimator)) : [];
    },
  };
}

/** The model and analysis sections for analysed matrices. */
export function analysisProvenance(
  result: AnalysisResult,
  estimator: EstimatorName,
  roles: string[],
): AllocationProvenance {
  const backend = resultBackend(result);
  return {
    model: { ...result.model },
    analysis: {
      estimator,
      backend,
      backends: backendCounts(result.matrices),
      layerAggregation: 'mean',
      roles,
      source: 'analysis',
      // The adapter describes the selected backend: named only when that backend computed something.
      ...(result.adapter !== undefined && backend === result.backend ? { adapter: result.adapter } : {}),
      ...(result.farms !== undefined
        ? {
            farms: {
              ...result.farms,
              note: `every α is FARMS α: the ${estimator} fit of the pooled eigenvalues of fixed-shape windows`,
            },
          }
        : {}),
    },
  };
}

/**
 * The allocation JSON of an outcome: no allocating here, only writing down what `computeAllocation`
 * gave (the page exports what it shows through this).
 */
export function allocationJson(
  outcome: AllocationOutcome,
  basis: Pick<AllocationBasis, 'matrixRows'>,
  provenance: AllocationProvenance,
  createdAt: string = new Date().toISOString(),
): AllocationJson {
  const { settings, completeness, mola } = outcome;
  return {
    format: ALLOCATION_FORMAT,
    version: 1,
    generator: { name: GENERATOR.name, version: GENERATOR.version },
    createdAt,
    complete: completeness.complete,
    ...(completeness.complete ? {} : { missing: completeness.missing }),
    model: provenance.model,
    analysis: provenance.analysis,
    layers: outcome.layers.map((l) => ({
      index: l.index,
      alpha: l.alpha,
      matrices: basis.matrixRows(l.index),
    })),
    allocation: {
      method: 'alphalora',
      mode: settings.mode,
      budget: settings.budget,
      beta: settings.beta,
      rule: outcome.rule,
      experts: outcome.experts,
      topK: outcome.topK,
      loraRank: settings.rank,
      trainableParams: outcome.trainableParams,
      targetModules: settings.targets,
      warnings: outcome.warnings,
      ...(mola.refusal !== null ? { molaWithheld: mola.refusal.message } : {}),
    },
    mola:
      mola.refusal === null
        ? molaFields(outcome.experts, outcome.topK, settings.rank, settings.targets)
        : null,
  };
}

/** The allocation JSON of an analysis: `analysisBasis` -> `computeAllocation` -> `allocationJson`. */
export function buildAllocationJson(result: AnalysisResult, opts: AllocationExportOptions): AllocationJson {
  const basis = analysisBasis(result, opts.estimator, opts.roles, opts.targetModules);
  const outcome = computeAllocation({
    ...basis,
    settings: {
      mode: opts.mode,
      beta: opts.beta,
      budget: opts.budget,
      rank: opts.loraRank,
      targets: basis.targets,
    },
  });
  return allocationJson(
    outcome,
    basis,
    analysisProvenance(result, opts.estimator, basis.roles),
    opts.createdAt,
  );
}

/** One row per allocated layer: layer,alpha,experts,top_k,lora_r (what `--format csv` writes). */
export function layerCsv(outcome: AllocationOutcome): string {
  const rows = outcome.layers.map(
    (l, i) => `${l.index},${l.alpha},${outcome.experts[i]},${outcome.topK[i]},${outcome.settings.rank}`,
  );
  return ['layer,alpha,experts,top_k,lora_r', ...rows].join('\n') + '\n';
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export function matrixJson(m: MatrixResult, estimator: EstimatorName): AllocationMatrixJson {
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
    ...fingersJson(fit),
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
    ...diagnosticsJson(m, estimator),
    quality: qualityJson(m, estimator),
    ...(m.source !== undefined ? { source: m.source, rank: m.rank, scale: m.scale } : {}),
  };
}

/** The JSON `quality` of a matrix's fit under `estimator` (the numbers the page shows). */
export function qualityJson(m: MatrixResult, estimator: EstimatorName): AllocationQualityJson {
  const q = matrixQuality(m, estimator);
  return { k: q.k, D: finite(q.D), sigma: finite(q.sigma), flags: q.flags };
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
  'quality_flags',
] as const;

/** Set on an adapter's CSV: each row's source (lora-delta / lora-merged, empty for a base matrix), rank, scale. */
const LORA_CSV_COLUMNS = ['source', 'lora_rank', 'lora_scale'] as const;

/**
 * The per-matrix table as CSV (RFC 4180 quoting; empty cells for NaN). Re-importable as α. The `backend`
 * column names the engine that computed each spectrum ('webgpu' fp32 or 'cpu' float64). `pooled_matrices`
 * is set on convolutions only: the number of kernel-position matrices (kh·kw, so 1 for a 1×1 conv) whose
 * eigenvalues were pooled into the row's spectrum, `rows`×`cols` being each position's [out, in]; it is
 * empty for a plain matrix, which is no pool at all. `tail` (k), `D` and `sigma` are the fit quality's
 * (spectral/fit-quality.ts), and `quality_flags` its flags separated by ";" (empty when none).
 */
export function matrixCsv(result: AnalysisResult, estimator: EstimatorName): string {
  // The diagnostics' columns only when a matrix has them (the table's columns stay as they were otherwise).
  const extra = result.matrices.some((m) => m.diagnostics !== undefined || m.farms !== undefined);
  // LoRA columns last and only for an adapter's result, so that other CSVs keep their columns.
  const lora = result.matrices.some((m) => m.source !== undefined);
  const fingers = hasFingers(estimator);
  const lines = [
    [
      ...CSV_COLUMNS,
      ...(extra ? DIAGNOSTIC_CSV_COLUMNS : []),
      ...(fingers ? FINGERS_CSV_COLUMNS : []),
      ...(lora ? LORA_CSV_COLUMNS : []),
    ].join(','),
  ];
  for (const m of result.matrices) {
    const fit = m.fits[estimator];
    const x = metricsFor(m, estimator);
    const q = matrixQuality(m, estimator);
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
      q.D,
      q.k,
      q.sigma,
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
      q.flags.join(';'),
      ...(extra ? diagnosticsCsvCells(m, estimator) : []),
      ...(fingers ? fingersCsvCells(fit) : []),
      ...(lora ? [m.source ?? null, m.rank ?? null, m.scale ?? null] : []),
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

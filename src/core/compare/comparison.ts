/**
 * The comparison of two analysed models: layer α of both with Δα = B − A, per matched matrix
 * α A, α B, Δα and the relative Frobenius distance ‖W_B − W_A‖_F / ‖W_A‖_F, optionally the fit of ΔW, and
 * every matrix that has no counterpart. One pure function builds it (`buildComparison`), and the page, the
 * CLI's JSON (`comparisonJson`) and the CSV (`comparisonCsv`) all write that one object, so they cannot
 * disagree. Layer α is layers.ts's `buildLayerTable` of each side, the same function the analysis and its
 * allocation use: a model's layer α here is the one its own analysis shows.
 */
import { completenessOf, missingFilesOf } from '../allocation/outcome';
import { analysisProvenance, matrixJson } from '../allocation/export';
import type { AllocationJson, AllocationMatrixJson } from '../allocation/export';
import type { StudioErrorData } from '../errors';
import type { TensorKind } from '../formats/types';
import { buildLayerTable } from '../layers';
import type { AnalysisResult, MatrixResult } from '../result';
import type { EstimatorName } from '../spectral/types';
import { GENERATOR } from '../version';
import { matchMatrices } from './match-matrices';
import type { MatchedBy, ShapeAgreement } from './match-matrices';

export const COMPARISON_FORMAT = 'alphalora-studio/comparison';

/** ‖W_B − W_A‖_F and the norms it comes from, summed in float64 (compare/distance.ts). */
export interface PairDistance {
  /** ‖W_B − W_A‖_F / ‖W_A‖_F; null when it was not computed (see `note`) or ‖W_A‖_F = 0. */
  relativeDistance: number | null;
  normA: number | null;
  normB: number | null;
  normDelta: number | null;
  /** Why the distance is missing, or how it was taken (B transposed). */
  note?: string;
}

export interface ComparisonInput {
  a: AnalysisResult;
  b: AnalysisResult;
  estimator: EstimatorName;
  /** Roles averaged into layer α; default each side's own block roles (as its analysis alone would). */
  roles?: string[];
  /** Per pair, keyed by A's matrix name. A pair without an entry has no distance (null, with a note). */
  distances?: ReadonlyMap<string, PairDistance>;
  /** The analysed ΔW = W_B − W_A per pair, keyed by A's matrix name (the `--delta` analysis). */
  deltas?: ReadonlyMap<string, MatrixResult>;
  /** Problems of ΔW analyses that failed, keyed by A's matrix name. */
  deltaErrors?: ReadonlyMap<string, StudioErrorData>;
}

/** One model of the comparison, described as the allocation JSON describes its model (completeness too). */
export interface ComparisonSide {
  /** False when the files declare more than was analysed (see `missing`). */
  complete: boolean;
  missing?: { files: string[]; layers: number[] };
  model: AllocationJson['model'];
  analysis: AllocationJson['analysis'];
  /** Files and tensors that could not be read or analysed. */
  errors: StudioErrorData[];
  /** The reader's and the layer table's warnings. */
  warnings: string[];
}

export interface ComparisonLayer {
  index: number;
  /** Layer α (mean of the block's matrices' α); null when the side has no α for this layer. */
  alphaA: number | null;
  alphaB: number | null;
  /** alphaB − alphaA; null unless both are known. */
  delta: number | null;
}

export interface ComparisonMatrix {
  /** A's tensor name. */
  name: string;
  /** B's tensor name, when it differs (matched by layer and role). */
  nameB?: string;
  layer: number | null;
  role: string;
  kind: TensorKind;
  shapeA: [number, number];
  shapeB: [number, number];
  matchedBy: MatchedBy;
  shapes: ShapeAgreement;
  alphaA: number | null;
  alphaB: number | null;
  /** alphaB − alphaA; null unless both fits succeeded. */
  delta: number | null;
  failedA?: string;
  failedB?: string;
  relativeDistance: number | null;
  normA: number | null;
  normB: number | null;
  normDelta: number | null;
  distanceNote?: string;
  /** The fit of ΔW = W_B − W_A (as the allocation JSON writes a matrix), when ΔW was analysed. */
  deltaWeights?: AllocationMatrixJson;
  /** Why ΔW has no fit, when its analysis failed. */
  deltaWeightsError?: string;
}

export interface ComparisonUnmatched {
  side: 'a' | 'b';
  name: string;
  layer: number | null;
  role: string;
  kind: TensorKind;
  shape: [number, number];
  alpha: number | null;
  reason: string;
}

export interface Comparison {
  estimator: EstimatorName;
  a: ComparisonSide;
  b: ComparisonSide;
  layers: ComparisonLayer[];
  /** Matched pairs, in A's order. */
  matrices: ComparisonMatrix[];
  /** Matrices of either side without a counterpart (A's first). */
  unmatched: ComparisonUnmatched[];
  /** Whether ΔW was analysed (`deltas` given). */
  deltaWeights: boolean;
  /** What the reader should know to read the numbers (e.g. pairs whose shapes differ). */
  warnings: string[];
}

export interface ComparisonJson extends Comparison {
  format: typeof COMPARISON_FORMAT;
  version: 1;
  generator: { name: string; version: string };
  createdAt: string;
}

/** Builds the comparison (see the module comment). Pure. */
export function buildComparison(input: ComparisonInput): Comparison {
  const { a, b, estimator } = input;
  const sideA = describeSide(a, estimator, input.roles);
  const sideB = describeSide(b, estimator, input.roles);

  // 1. Layer α of each side as its own analysis computes it; Δα = B − A over the union of indices.
  const count = Math.max(sideA.rows.length, sideB.rows.length);
  const layers: ComparisonLayer[] = Array.from({ length: count }, (_, index) => {
    const alphaA = finite(sideA.rows[index]?.alpha);
    const alphaB = finite(sideB.rows[index]?.alpha);
    return { index, alphaA, alphaB, delta: alphaA !== null && alphaB !== null ? alphaB - alphaA : null };
  });

  // 2. Matrices: pairs (with distances and ΔW when given) and the unmatched of both sides.
  const matching = matchMatrices(a.matrices, b.matrices);
  const matrices = matching.pairs.map(({ a: ma, b: mb, by, shapes }): ComparisonMatrix => {
    const fitA = ma.fits[estimator];
    const fitB = mb.fits[estimator];
    const alphaA = fitA.failed === null ? finite(fitA.alpha) : null;
    const alphaB = fitB.failed === null ? finite(fitB.alpha) : null;
    const distance = input.distances?.get(ma.name);
    const delta = input.deltas?.get(ma.name);
    const deltaError = input.deltaErrors?.get(ma.name);
    return {
      name: ma.name,
      ...(mb.name !== ma.name ? { nameB: mb.name } : {}),
      layer: ma.layer,
      role: ma.role,
      kind: ma.kind,
      shapeA: [ma.shape[0], ma.shape[1]],
      shapeB: [mb.shape[0], mb.shape[1]],
      matchedBy: by,
      shapes,
      alphaA,
      alphaB,
      delta: alphaA !== null && alphaB !== null ? alphaB - alphaA : null,
      ...(fitA.failed !== null ? { failedA: fitA.failed } : {}),
      ...(fitB.failed !== null ? { failedB: fitB.failed } : {}),
      relativeDistance: finite(distance?.relativeDistance),
      normA: finite(distance?.normA),
      normB: finite(distance?.normB),
      normDelta: finite(distance?.normDelta),
      ...(distance === undefined
        ? input.distances !== undefined
          ? { distanceNote: 'not computed' }
          : {}
        : distance.note !== undefined
          ? { distanceNote: distance.note }
          : {}),
      ...(delta !== undefined ? { deltaWeights: matrixJson(delta, estimator) } : {}),
      ...(deltaError !== undefined ? { deltaWeightsError: deltaError.message } : {}),
    };
  });
  const unmatchedOf = (side: 'a' | 'b', list: typeof matching.unmatchedA): ComparisonUnmatched[] =>
    list.map(({ matrix: m, reason }) => ({
      side,
      name: m.name,
      layer: m.layer,
      role: m.role,
      kind: m.kind,
      shape: [m.shape[0], m.shape[1]],
      alpha: m.fits[estimator].failed === null ? finite(m.fits[estimator].alpha) : null,
      reason,
    }));
  const unmatched = [...unmatchedOf('a', matching.unmatchedA), ...unmatchedOf('b', matching.unmatchedB)];

  // 3. What to know when reading the numbers.
  const warnings: string[] = [];
  const different = matrices.filter((m) => m.shapes === 'different');
  if (different.length > 0) {
    warnings.push(
      `${different.length} matched ${different.length === 1 ? 'pair has' : 'pairs have'} different shapes (${different
        .slice(0, 3)
        .map((m) => `${m.name} ${m.shapeA.join('×')} vs ${m.shapeB.join('×')}`)
        .join(', ')}${different.length > 3 ? ', …' : ''}): their α are compared, no distance is taken`,
    );
  }
  if (unmatched.length > 0) {
    const ofA = matching.unmatchedA.length;
    const ofB = matching.unmatchedB.length;
    warnings.push(
      `${ofA} ${ofA === 1 ? 'matrix' : 'matrices'} of A and ${ofB} of B have no counterpart (listed in unmatched)`,
    );
  }
  if ((a.model.format === 'gguf') !== (b.model.format === 'gguf')) {
    const qk = matrices.filter((m) => m.role === 'q_proj' || m.role === 'k_proj').length;
    if (qk > 0) {
      warnings.push(
        "one side is GGUF: llama.cpp's converter reorders the rows of q_proj and k_proj for its rotary layout, " +
          'so their relative distance may measure that reordering rather than a change (their α is unaffected: ' +
          'reordering rows does not change a spectrum)',
      );
    }
  }
  for (const [label, side] of [
    ['A', sideA],
    ['B', sideB],
  ] as const) {
    if (!side.json.complete) warnings.push(`model ${label} was not analysed completely`);
  }

  return {
    estimator,
    a: sideA.json,
    b: sideB.json,
    layers,
    matrices,
    unmatched,
    deltaWeights: input.deltas !== undefined,
    warnings,
  };
}

/** The comparison as the JSON file `compare --out` writes (format alphalora-studio/comparison, version 1). */
export function comparisonJson(
  comparison: Comparison,
  createdAt: string = new Date().toISOString(),
): ComparisonJson {
  return {
    format: COMPARISON_FORMAT,
    version: 1,
    generator: { name: GENERATOR.name, version: GENERATOR.version },
    createdAt,
    ...comparison,
  };
}

/** The JSON text (2-space indent, trailing newline); non-finite numbers are already null. */
export function comparisonJsonText(comparison: Comparison, createdAt?: string): string {
  return JSON.stringify(comparisonJson(comparison, createdAt), null, 2) + '\n';
}

/** Columns of `comparisonCsv`. */
export const COMPARISON_CSV_COLUMNS = [
  'status',
  'name',
  'name_b',
  'layer',
  'role',
  'kind',
  'matched_by',
  'shapes',
  'rows_a',
  'cols_a',
  'rows_b',
  'cols_b',
  'alpha_a',
  'alpha_b',
  'delta_alpha',
  'relative_distance',
  'norm_a',
  'norm_b',
  'norm_delta',
  'delta_w_alpha',
  'note',
] as const;

/**
 * The matrix table as CSV (RFC 4180 quoting, empty cells for missing numbers): one row per pair
 * (status `paired`), then each unmatched matrix (status `only-a` / `only-b`, its α in its own column and
 * the reason in `note`), so the file lists every matrix of both models.
 */
export function comparisonCsv(comparison: Comparison): string {
  const lines: string[] = [COMPARISON_CSV_COLUMNS.join(',')];
  for (const m of comparison.matrices) {
    const notes = [
      m.failedA !== undefined ? `A's fit failed: ${m.failedA}` : null,
      m.failedB !== undefined ? `B's fit failed: ${m.failedB}` : null,
      m.distanceNote ?? null,
      m.deltaWeightsError !== undefined ? `ΔW: ${m.deltaWeightsError}` : null,
    ].filter((n): n is string => n !== null);
    lines.push(
      row([
        'paired',
        m.name,
        m.nameB ?? m.name,
        m.layer,
        m.role,
        m.kind,
        m.matchedBy,
        m.shapes,
        m.shapeA[0],
        m.shapeA[1],
        m.shapeB[0],
        m.shapeB[1],
        m.alphaA,
        m.alphaB,
        m.delta,
        m.relativeDistance,
        m.normA,
        m.normB,
        m.normDelta,
        m.deltaWeights?.alpha ?? null,
        notes.join('; '),
      ]),
    );
  }
  for (const u of comparison.unmatched) {
    const a = u.side === 'a';
    lines.push(
      row([
        a ? 'only-a' : 'only-b',
        a ? u.name : null,
        a ? null : u.name,
        u.layer,
        u.role,
        u.kind,
        null,
        null,
        a ? u.shape[0] : null,
        a ? u.shape[1] : null,
        a ? null : u.shape[0],
        a ? null : u.shape[1],
        a ? u.alpha : null,
        a ? null : u.alpha,
        null,
        null,
        null,
        null,
        null,
        null,
        u.reason,
      ]),
    );
  }
  return lines.join('\n') + '\n';
}

function describeSide(
  result: AnalysisResult,
  estimator: EstimatorName,
  roles: string[] | undefined,
): { json: ComparisonSide; rows: { alpha: number }[] } {
  const table = buildLayerTable(result.matrices, { estimator, roles });
  const provenance = analysisProvenance(result, estimator, table.roles);
  const completeness = completenessOf(
    missingFilesOf(result.errors),
    result.model.numLayers,
    table.rows.filter((r) => Number.isFinite(r.alpha)).map((r) => r.index),
  );
  return {
    rows: table.rows,
    json: {
      complete: completeness.complete,
      ...(completeness.complete ? {} : { missing: completeness.missing }),
      model: provenance.model,
      analysis: provenance.analysis,
      errors: result.errors.map((e) => ({ ...e })),
      warnings: [...result.warnings, ...table.warnings],
    },
  };
}

function finite(x: number | null | undefined): number | null {
  return x !== null && x !== undefined && Number.isFinite(x) ? x : null;
}

function row(cells: readonly (string | number | null)[]): string {
  return cells.map(csvCell).join(',');
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

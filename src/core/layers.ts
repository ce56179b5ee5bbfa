/**
 * Layer α: the plain mean of the α of a block's matrices (AlphaLoRA: the 7 Linear layers q, k, v, o,
 * gate, up, down of a LLaMA block), over the roles the user keeps.
 *
 * Rows are indexed by block: row i is layer i, from 0 to the highest block index seen, so that the
 * allocation (one count per layer, what MoLA's training code expects) lines up with the model. A layer
 * with no usable matrix — every selected role failed to fit, or none was analysed — still gets its row,
 * with α = NaN and a warning naming it; the allocation then refuses it (BAD_INPUT) rather than silently
 * producing a list that is one layer short. Failed fits inside an otherwise usable layer are left out
 * of its mean, also with a warning.
 */
import type { MatrixResult } from './result';
import type { EstimatorName } from './spectral/types';

export interface LayerRow {
  index: number;
  /** Mean α of `matrices` under the chosen estimator; NaN when the layer has none. */
  alpha: number;
  /** The matrices of the selected roles whose fit succeeded (the ones averaged). */
  matrices: MatrixResult[];
  /** Matrices of the selected roles whose fit failed (not averaged). */
  failed: MatrixResult[];
}

export interface LayerTableOptions {
  estimator: EstimatorName;
  /** Roles to average. Default: every role of the block matrices (layer ≠ null, kind attention|mlp). */
  roles?: string[];
}

/** Every role of the block matrices, in order of first appearance. */
export function defaultRoles(matrices: MatrixResult[]): string[] {
  const roles: string[] = [];
  for (const m of matrices) {
    if (isBlockMatrix(m) && !roles.includes(m.role)) roles.push(m.role);
  }
  return roles;
}

export function buildLayerTable(
  matrices: MatrixResult[],
  opts: LayerTableOptions,
): { rows: LayerRow[]; roles: string[]; warnings: string[] } {
  const roles = opts.roles ?? defaultRoles(matrices);
  const selected = matrices.filter((m) => m.layer !== null && isBlockMatrix(m) && roles.includes(m.role));
  const numLayers = selected.reduce((n, m) => Math.max(n, (m.layer ?? -1) + 1), 0);
  const rows: LayerRow[] = Array.from({ length: numLayers }, (_, index) => ({
    index,
    alpha: NaN,
    matrices: [],
    failed: [],
  }));
  for (const m of selected) {
    const row = rows[m.layer ?? 0];
    (m.fits[opts.estimator].failed === null ? row.matrices : row.failed).push(m);
  }
  const warnings: string[] = [];
  for (const m of selected)
    if (m.note !== undefined) warnings.push(`Layer ${m.layer}: ${m.name}: ${m.note}.`);
  for (const row of rows) {
    if (row.matrices.length > 0) {
      row.alpha = row.matrices.reduce((s, m) => s + m.fits[opts.estimator].alpha, 0) / row.matrices.length;
    }
    if (row.failed.length > 0) {
      warnings.push(
        `Layer ${row.index}: the ${opts.estimator} fit failed for ${row.failed.map((m) => `${m.name} (${m.fits[opts.estimator].failed ?? 'no α'})`).join(', ')}; ` +
          (row.matrices.length > 0 ? 'left out of the layer mean.' : 'the layer has no α.'),
      );
    } else if (row.matrices.length === 0) {
      warnings.push(
        `Layer ${row.index}: no matrix of the selected roles (${roles.join(', ')}) was analysed.`,
      );
    }
  }
  return { rows, roles, warnings };
}

/** The layer table (see `buildLayerTable` for the warnings that go with it). */
export function layerTable(matrices: MatrixResult[], opts: LayerTableOptions): LayerRow[] {
  return buildLayerTable(matrices, opts).rows;
}

export function layerAlphas(rows: LayerRow[]): number[] {
  return rows.map((r) => r.alpha);
}

/** A block's Linear matrix (attention or MLP, in a layer): what layer α and the adapters are made of. */
export function isBlockMatrix(m: Pick<MatrixResult, 'layer' | 'kind'>): boolean {
  return m.layer !== null && (m.kind === 'attention' || m.kind === 'mlp');
}

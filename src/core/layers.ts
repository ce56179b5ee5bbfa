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
import { itemAt } from './item-at';
import { isBlockMatrix } from './model/block-matrix';
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
  const table = layerTableOf(
    matrices.filter((m) => isBlockMatrix(m)),
    roles,
    opts.estimator,
    (m) => ({ alpha: m.fits[opts.estimator].alpha, failed: m.fits[opts.estimator].failed }),
  );
  // A matrix whose spectrum needed a note (e.g. rescaled weights) says so beside its layer.
  const notes = matrices
    .filter((m) => isBlockMatrix(m) && m.layer !== null && roles.includes(m.role) && m.note !== undefined)
    .map((m) => `Layer ${m.layer}: ${m.name}: ${m.note}.`);
  return { rows: table.rows, roles, warnings: [...notes, ...table.warnings] };
}

/**
 * The layer table of any per-matrix α (analysed matrices, or the rows of an imported allocation JSON):
 * `items` are block matrices; those of `roles` are averaged per layer, failed fits left out, with the
 * warnings `buildLayerTable` documents.
 */
export function layerTableOf<M extends { name: string; layer: number | null; role: string }>(
  items: readonly M[],
  roles: readonly string[],
  estimator: string,
  /** The matrix's α, and why its fit failed (null when it did not). */
  fit: (m: M) => { alpha: number; failed: string | null },
): { rows: GenericLayerRow<M>[]; warnings: string[] } {
  const selected = items.filter((m) => m.layer !== null && roles.includes(m.role));
  const numLayers = selected.reduce((n, m) => Math.max(n, (m.layer ?? -1) + 1), 0);
  const rows: GenericLayerRow<M>[] = Array.from({ length: numLayers }, (_, index) => ({
    index,
    alpha: NaN,
    matrices: [],
    failed: [],
  }));
  for (const m of selected) {
    const row = itemAt(rows, m.layer ?? 0, 'layer rows'); // numLayers is the largest layer + 1
    (fit(m).failed !== null ? row.failed : row.matrices).push(m);
  }
  const warnings: string[] = [];
  for (const row of rows) {
    if (row.matrices.length > 0) {
      row.alpha = row.matrices.reduce((s, m) => s + fit(m).alpha, 0) / row.matrices.length;
    }
    if (row.failed.length > 0) {
      warnings.push(
        `Layer ${row.index}: the ${estimator} fit failed for ${row.failed.map((m) => `${m.name} (${fit(m).failed})`).join(', ')}; ` +
          (row.matrices.length > 0 ? 'left out of the layer mean.' : 'the layer has no α.'),
      );
    } else if (row.matrices.length === 0) {
      warnings.push(
        `Layer ${row.index}: no matrix of the selected roles (${roles.join(', ')}) was analysed.`,
      );
    }
  }
  return { rows, warnings };
}

export interface GenericLayerRow<M> {
  index: number;
  alpha: number;
  matrices: M[];
  failed: M[];
}

/** The layer table (see `buildLayerTable` for the warnings that go with it). */
export function layerTable(matrices: MatrixResult[], opts: LayerTableOptions): LayerRow[] {
  return buildLayerTable(matrices, opts).rows;
}

export function layerAlphas(rows: LayerRow[]): number[] {
  return rows.map((r) => r.alpha);
}

// The one block-matrix predicate, re-exported for the callers that group results into layers.
export { isBlockMatrix };

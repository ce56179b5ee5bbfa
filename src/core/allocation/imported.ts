/**
 * The allocation basis of imported α (`parseAlphaFile`), the counterpart of `analysisBasis`. This tool's
 * own allocation JSON keeps its per-matrix α, estimator, model and roles: layer α is recomputed from the
 * selected roles exactly as an analysis computes it (same rows, same order, same sum), so exporting an
 * import writes the imported file again (apart from createdAt). Other files (plain layer α, WeightWatcher
 * records, CSV) give layer α only.
 */
import { layerTableOf } from '../layers';
import type { EstimatorName } from '../spectral/types';
import type { AllocationBasis, AllocationMatrixJson, AllocationProvenance } from './export';
import type { ImportedAlphas } from './import-alpha';
import type { ModuleShape } from './params';

export interface ImportedBasis extends AllocationBasis {
  estimator: EstimatorName;
  /** Every role the imported rows have (what the user can choose to average). */
  allRoles: string[];
  targets: string[];
}

interface Item {
  name: string;
  layer: number;
  role: string;
  row: AllocationMatrixJson;
}

/** Every role of the imported rows, in order of first appearance. */
function rolesOf(items: readonly Item[]): string[] {
  const roles: string[] = [];
  for (const i of items) if (i.role !== '' && !roles.includes(i.role)) roles.push(i.role);
  return roles;
}

export function importedBasis(
  imported: ImportedAlphas,
  fileName: string,
  roles: string[] | undefined,
  targets: string[] | undefined,
): ImportedBasis {
  const origin = imported.origin;
  if (origin === undefined) {
    const layers = imported.layerAlphas.map((alpha, index) => ({ index, alpha, modules: [] }));
    const rows = (imported.matrices ?? []).filter((m) => m.layer !== null);
    return {
      layers,
      declaredLayers: layers.length,
      missingFiles: [],
      layerWarnings: [],
      shapesKnown: false,
      roles: [],
      allRoles: [],
      targets: targets ?? [],
      estimator: 'alphalora',
      matrixRows: (index) => rows.filter((m) => m.layer === index).map(importedMatrixJson),
    };
  }
  const items: Item[] = origin.layers.flatMap((l) =>
    l.matrices.map((row) => ({ name: row.name, layer: l.index, role: row.role, row })),
  );
  const allRoles = rolesOf(items);
  const chosen = (roles ?? origin.analysis.roles).filter((r) => allRoles.includes(r));
  const averaged = chosen.length > 0 ? chosen : allRoles;
  const table = layerTableOf(items, averaged, origin.analysis.estimator, (m) => ({
    alpha: m.row.alpha ?? Number.NaN,
    failed: m.row.failed ?? (m.row.alpha === null ? 'no α' : null),
  }));
  const chosenTargets = targets ?? origin.allocation.targetModules ?? averaged;
  const modulesOf = (index: number): ModuleShape[] =>
    items
      .filter((m) => m.layer === index && chosenTargets.includes(m.role) && m.row.shape[0] > 0)
      .map((m) => ({ out: m.row.shape[0], in: m.row.shape[1] }));
  // Rows are numbered from 0 to the highest block: a layer missing from the file is a row without α.
  const layers = table.rows.map((r) => ({ index: r.index, alpha: r.alpha, modules: modulesOf(r.index) }));
  const byIndex = new Map(table.rows.map((r) => [r.index, r]));
  return {
    layers,
    declaredLayers: origin.model.numLayers,
    missingFiles: origin.missing.files.map((name) => ({
      name,
      reason: `missing from the analysis that wrote ${fileName}`,
    })),
    // The same rows give the same warnings as the analysis that wrote the file.
    layerWarnings: table.warnings,
    shapesKnown: layers.some((l) => l.modules.length > 0),
    roles: averaged,
    allRoles,
    targets: chosenTargets,
    estimator: origin.analysis.estimator,
    // As the analysis lists them: the averaged rows, then the other roles' rows (adapter targets).
    matrixRows: (index) => {
      const row = byIndex.get(index);
      const extra = items.filter((m) => m.layer === index && !averaged.includes(m.role));
      return row ? [...row.matrices, ...row.failed, ...extra].map((m) => m.row) : [];
    },
  };
}

/** The model and analysis sections of an import: the file's own when it is an allocation JSON. */
export function importedProvenance(
  imported: ImportedAlphas,
  basis: Pick<ImportedBasis, 'roles' | 'estimator'>,
  modelName: string,
): AllocationProvenance {
  const origin = imported.origin;
  if (origin !== undefined) {
    return { model: origin.model, analysis: { ...origin.analysis, roles: basis.roles } };
  }
  return {
    model: { name: modelName, architecture: 'unknown', files: [], numLayers: imported.layerAlphas.length },
    analysis: {
      estimator: basis.estimator,
      backend: null,
      layerAggregation: 'mean',
      roles: [],
      source: 'imported',
    },
  };
}

function importedMatrixJson(m: { name: string; alpha: number }): AllocationMatrixJson {
  return {
    name: m.name,
    role: '',
    shape: [0, 0],
    alpha: Number.isFinite(m.alpha) ? m.alpha : null,
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

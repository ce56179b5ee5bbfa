/**
 * Fit quality of imported α. This tool's own allocation JSON carries each matrix's `quality` (k, D, σ,
 * flags): an import of it flags the layers resting on a weak fit just as the analysis that wrote it did.
 * Other files (plain layer α, WeightWatcher records, CSV, an export without `quality`) carry none: then
 * the page says plainly that fit quality is unknown rather than showing no warning, which would read as
 * "every fit is good". Pure, tested in Node.
 */
import type { WeakLayer } from '../layer-quality';
import { QUALITY_FLAGS, isWeakFit, type QualityFlag } from '../spectral/fit-quality';
import type { ImportedAlphas } from './import-alpha';

export interface ImportedQuality {
  /** The layers whose averaged rows carry a weak-fit flag (as weakLayers gives for an analysis). */
  weak: WeakLayer[];
  /** Null when every averaged row carries its quality; else what is unknown, in words. */
  unknown: string | null;
}

/** The flags of a row's `quality`, or null when it has none (or not in the export's shape). */
function flagsOf(row: unknown): QualityFlag[] | null {
  if (typeof row !== 'object' || row === null) return null;
  const q = (row as { quality?: unknown }).quality;
  if (typeof q !== 'object' || q === null) return null;
  const flags = (q as { flags?: unknown }).flags;
  if (!Array.isArray(flags)) return null;
  return flags.filter((f): f is QualityFlag => QUALITY_FLAGS.includes(f as QualityFlag));
}

/** `roles`: the roles averaged into layer α (the basis' roles). */
export function importedQuality(imported: ImportedAlphas, roles: readonly string[]): ImportedQuality {
  const origin = imported.origin;
  if (origin === undefined)
    return {
      weak: [],
      unknown:
        'Fit quality is unknown for these imported α: the file gives α only (no tail size, KS distance or ' +
        'flags per matrix), so a layer whose α rests on a weak fit cannot be flagged.',
    };
  const weak: WeakLayer[] = [];
  let without = 0;
  let averaged = 0;
  for (const layer of origin.layers) {
    const matrices: WeakLayer['matrices'] = [];
    for (const row of layer.matrices) {
      if (!roles.includes(row.role)) continue;
      averaged++;
      const flags = flagsOf(row);
      if (flags === null) {
        without++;
        continue;
      }
      if (isWeakFit(flags))
        matrices.push({ name: row.name, role: row.role, alpha: row.alpha ?? Number.NaN, flags });
    }
    if (matrices.length > 0) weak.push({ index: layer.index, matrices });
  }
  const unknown =
    without === 0
      ? null
      : without === averaged
        ? 'Fit quality is unknown for these imported α: the file has no per-matrix quality (tail size, KS ' +
          'distance, flags), so a layer whose α rests on a weak fit cannot be flagged.'
        : `Fit quality is unknown for ${without} of the ${averaged} imported matrices averaged into layer α ` +
          '(their rows have no quality): only the others can flag a weak fit.';
  return { weak, unknown };
}

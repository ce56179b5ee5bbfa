/**
 * Precomputed α, so that someone who ran WeightWatcher (or anything else) in Python can allocate without
 * dropping the weights. Accepted:
 *   - a JSON array of layer α: `[2.6, 2.9, ...]` (layer i = entry i);
 *   - a JSON object holding such an array under `layerAlphas`, `layerAlpha`, `layer_alphas` or `alphas`;
 *   - a JSON array of per-matrix records `{ "name", "alpha", "layer"? }` (WeightWatcher's
 *     `details.to_json(orient="records")` included);
 *   - this app's own allocation JSON export (round trip);
 *   - a CSV with a header and an `alpha` column, plus `layer` (block index) and/or `name`: one row per
 *     layer, or one per matrix (WeightWatcher's details CSV: `layer_id`, `name`, `alpha`, ...).
 *
 * Per-matrix rows are placed in a block by their `layer` field or, failing that, by the block number in
 * their name (`model.layers.3.`, `blk.3.`, `h.3.`, `encoder.layer.3.`). WeightWatcher's `layer_id` is its
 * module counter (embedding included), NOT a block index, so it is never used as one. Rows outside the
 * blocks (embedding, lm_head) are left out of layer α; rows without a usable α are skipped; both with a
 * warning. Layer α = plain mean of a block's rows; every block from 0 to the highest must have one.
 * Anything else is a BAD_INPUT StudioError naming the file and saying what was expected.
 */
import { StudioError, messageOf } from '../errors';
import { maxOf } from '../array';
import { itemAt } from '../item-at';
import type { AllocationJson, AllocationMatrixJson } from './export';

export interface ImportedMatrixAlpha {
  name: string;
  alpha: number;
  layer: number | null;
}

export interface ImportedAlphas {
  layerAlphas: number[];
  matrices?: ImportedMatrixAlpha[];
  warnings: string[];
  /**
   * Set when the file is this tool's own allocation JSON: everything it says, kept so that the layer α
   * can be recomputed from other roles and an export of the import writes the same file again.
   */
  origin?: ImportedExport;
}

/** What an allocation JSON holds besides layer α (see export.ts for the fields). */
export interface ImportedExport {
  model: AllocationJson['model'];
  analysis: AllocationJson['analysis'];
  allocation: {
    mode: AllocationJson['allocation']['mode'];
    budget: number;
    beta: number;
    loraRank: number;
    targetModules?: string[];
  };
  missing: { files: string[]; layers: number[] };
  /** Each layer's per-matrix rows, exactly as written. */
  layers: { index: number; matrices: AllocationMatrixJson[] }[];
}

const LAYER_ARRAY_KEYS = ['layerAlphas', 'layerAlpha', 'layer_alphas', 'alphas'];
const EXPECTED =
  'expected a JSON array of layer α, a JSON array of {name, alpha} records, an AlphaLoRA Studio ' +
  'allocation export, or a CSV with an "alpha" column';

export function parseAlphaFile(text: string, fileName: string): ImportedAlphas {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') throw bad(fileName, `the file is empty; ${EXPECTED}.`);
  if (body.startsWith('[') || body.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (err) {
      throw bad(fileName, `not valid JSON (${messageOf(err)}).`);
    }
    return fromJson(json, fileName);
  }
  return fromCsv(body, fileName);
}

function bad(fileName: string, message: string): StudioError {
  return new StudioError('BAD_INPUT', message, fileName);
}

function fromJson(json: unknown, fileName: string): ImportedAlphas {
  if (Array.isArray(json)) {
    if (json.length === 0) throw bad(fileName, `the JSON array is empty; ${EXPECTED}.`);
    if (json.every((v) => typeof v === 'number' || v === null)) return fromLayerList(json, fileName);
    if (json.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
      return fromRecords(json as Record<string, unknown>[], fileName);
    }
    throw bad(fileName, `the JSON array mixes numbers and other values; ${EXPECTED}.`);
  }
  if (typeof json === 'object' && json !== null) {
    const obj = json as Record<string, unknown>;
    if (obj.format === 'alphalora-studio/allocation') return fromAllocationExport(obj, fileName);
    for (const key of LAYER_ARRAY_KEYS) {
      const v = obj[key];
      if (Array.isArray(v) && v.every((x) => typeof x === 'number' || x === null))
        return fromLayerList(v, fileName);
    }
    throw bad(fileName, `the JSON object has no layer α list (${LAYER_ARRAY_KEYS.join(', ')}); ${EXPECTED}.`);
  }
  throw bad(fileName, `the JSON is a ${typeof json}; ${EXPECTED}.`);
}

function fromLayerList(values: (number | null)[], fileName: string): ImportedAlphas {
  values.forEach((v, i) => {
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
      throw bad(fileName, `layer ${i}'s α is ${String(v)}; every layer needs a positive number.`);
    }
  });
  return { layerAlphas: values as number[], warnings: [] };
}

function fromAllocationExport(obj: Record<string, unknown>, fileName: string): ImportedAlphas {
  const layers = obj.layers;
  if (!Array.isArray(layers) || layers.length === 0) {
    throw bad(fileName, 'this allocation export has no "layers" list.');
  }
  const records: Record<string, unknown>[] = [];
  const byIndex = new Map<number, number | null>();
  const rowsOf: ImportedExport['layers'] = [];
  for (const [pos, layer] of layers.entries()) {
    const l = (typeof layer === 'object' && layer !== null ? layer : {}) as Record<string, unknown>;
    const index = typeof l.index === 'number' ? l.index : pos;
    const previous = rowsOf.at(-1); // entry pos − 1: one row is pushed per entry
    if (!Number.isInteger(index) || index < 0 || (previous !== undefined && index <= previous.index))
      throw bad(fileName, `the export's layers are out of order (entry ${pos} is layer ${index}).`);
    byIndex.set(index, typeof l.alpha === 'number' ? l.alpha : null);
    const matrices = Array.isArray(l.matrices) ? (l.matrices as AllocationMatrixJson[]) : [];
    rowsOf.push({ index, matrices });
    for (const m of matrices) records.push({ ...m, layer: index });
  }
  // An incomplete export (a missing shard, a --layers part) lists only the layers it has: the others
  // stay missing rather than failing the import.
  const model = obj.model as Partial<AllocationJson['model']> | undefined;
  const analysis = obj.analysis as Partial<AllocationJson['analysis']> | undefined;
  const allocation = obj.allocation as Partial<AllocationJson['allocation']> | undefined;
  const missing = obj.missing as Partial<{ files: unknown; layers: unknown }> | undefined;
  const present = [...byIndex.keys()];
  const dense = present.every((index, i) => index === i);
  const layerAlphas = dense
    ? fromLayerList(
        present.map((i) => byIndex.get(i) ?? null),
        fileName,
      ).layerAlphas
    : [];
  const matrices = records
    .filter((r) => typeof r.name === 'string' && typeof r.alpha === 'number')
    .map((r) => ({ name: r.name as string, alpha: r.alpha as number, layer: r.layer as number }));
  const origin: ImportedExport | undefined =
    model &&
    analysis &&
    allocation &&
    typeof model.name === 'string' &&
    typeof analysis.estimator === 'string'
      ? {
          model: model as AllocationJson['model'],
          analysis: analysis as AllocationJson['analysis'],
          allocation: {
            mode: allocation.mode === 'safe' ? 'safe' : 'faithful',
            budget: typeof allocation.budget === 'number' ? allocation.budget : 0,
            beta: typeof allocation.beta === 'number' ? allocation.beta : 0,
            loraRank: typeof allocation.loraRank === 'number' ? allocation.loraRank : 0,
            ...(Array.isArray(allocation.targetModules)
              ? { targetModules: allocation.targetModules.filter((t) => typeof t === 'string') }
              : {}),
          },
          missing: {
            files: Array.isArray(missing?.files)
              ? missing.files.filter((f): f is string => typeof f === 'string')
              : [],
            layers: Array.isArray(missing?.layers)
              ? missing.layers.filter((l): l is number => typeof l === 'number')
              : [],
          },
          layers: rowsOf,
        }
      : undefined;
  if (!dense && origin === undefined) {
    throw bad(
      fileName,
      `no α for layer(s) below ${present[present.length - 1]} (layers are numbered from 0).`,
    );
  }
  return {
    layerAlphas,
    warnings: [],
    ...(matrices.length > 0 ? { matrices } : {}),
    ...(origin !== undefined ? { origin } : {}),
  };
}

/** Records with a name and/or a block index, and an α (number or numeric string). */
function fromRecords(records: Record<string, unknown>[], fileName: string): ImportedAlphas {
  const rows: RawRow[] = records.map((r, i) => {
    const keys = lowerKeys(r);
    return {
      line: `record ${i}`,
      name: firstString(keys, NAME_KEYS),
      layer: firstString(keys, LAYER_KEYS),
      alpha: keys.get('alpha') ?? null,
    };
  });
  if (!records.some((r) => lowerKeys(r).has('alpha'))) {
    throw bad(fileName, `no record has an "alpha" field; ${EXPECTED}.`);
  }
  return fromRows(rows, fileName);
}

const NAME_KEYS = ['name', 'longname', 'layer_name', 'tensor'];
const LAYER_KEYS = ['layer', 'layer_index', 'layerindex', 'block'];

interface RawRow {
  line: string;
  name: string | null;
  layer: string | null;
  alpha: unknown;
}

function lowerKeys(r: Record<string, unknown>): Map<string, unknown> {
  return new Map(Object.entries(r).map(([k, v]) => [k.trim().toLowerCase(), v]));
}

function firstString(keys: Map<string, unknown>, names: string[]): string | null {
  for (const n of names) {
    const v = keys.get(n);
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return null;
}

function fromCsv(text: string, fileName: string): ImportedAlphas {
  const table = parseCsv(text);
  if (table.length < 2) throw bad(fileName, `a CSV needs a header line and at least one row; ${EXPECTED}.`);
  const header = itemAt(table, 0, 'CSV header').map((h) => h.trim().toLowerCase());
  const col = (names: string[]): number => {
    for (const n of names) {
      const i = header.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  const alphaCol = col(['alpha']);
  if (alphaCol < 0) {
    throw bad(fileName, `the CSV header has no "alpha" column (found: ${header.join(', ') || 'nothing'}).`);
  }
  const nameCol = col(NAME_KEYS);
  const layerCol = col(LAYER_KEYS);
  const rows: RawRow[] = [];
  for (const [i, cells] of table.entries()) {
    if (i === 0) continue; // the header
    if (cells.length === 1 && cells[0]?.trim() === '') continue; // blank line
    const get = (c: number): string | null => {
      const cell = c >= 0 ? cells[c]?.trim() : undefined; // undefined past the row's last cell
      return cell !== undefined && cell !== '' ? cell : null;
    };
    rows.push({ line: `line ${i + 1}`, name: get(nameCol), layer: get(layerCol), alpha: get(alphaCol) });
  }
  if (nameCol < 0 && layerCol < 0) {
    // A single α column: one row per layer, in order.
    return fromLayerList(
      rows.map((r) => toNumber(r.alpha)),
      fileName,
    );
  }
  return fromRows(rows, fileName);
}

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const x = Number(v.trim());
    return Number.isNaN(x) ? null : x;
  }
  return null;
}

/** Block index from a tensor/module name: model.layers.3., blk.3., transformer.h.3., encoder.layer.3. */
export function blockIndexFromName(name: string): number | null {
  const m = /(?:^|[./_])(?:layers?|h|blocks?|blk)[._](\d+)(?=[._/]|$)/i.exec(name);
  return m === null ? null : Number(m[1]);
}

function fromRows(rows: RawRow[], fileName: string): ImportedAlphas {
  const warnings: string[] = [];
  const matrices: ImportedMatrixAlpha[] = [];
  const skipped: string[] = [];
  const outside: string[] = [];
  for (const r of rows) {
    const alpha = toNumber(r.alpha);
    const label = r.name ?? r.line;
    if (alpha === null || !Number.isFinite(alpha) || alpha <= 0) {
      skipped.push(label);
      continue;
    }
    let layer: number | null = null;
    if (r.layer !== null) {
      const l = Number(r.layer);
      if (!Number.isInteger(l) || l < 0)
        throw bad(fileName, `${r.line}: layer "${r.layer}" is not a block index.`);
      layer = l;
    } else if (r.name !== null) {
      layer = blockIndexFromName(r.name);
    }
    if (layer === null) outside.push(label);
    matrices.push({ name: r.name ?? `layer ${layer ?? '?'}`, alpha, layer });
  }
  if (skipped.length > 0)
    warnings.push(`Skipped ${skipped.length} row(s) without a usable α: ${preview(skipped)}.`);
  if (outside.length > 0) {
    warnings.push(`Left ${outside.length} row(s) outside the blocks out of layer α: ${preview(outside)}.`);
  }
  const inBlocks = matrices.filter((m) => m.layer !== null);
  if (inBlocks.length === 0) {
    throw bad(
      fileName,
      'no row could be placed in a block: give a "layer" column (block index) or names with the block ' +
        'number (e.g. model.layers.3.self_attn.q_proj).',
    );
  }
  const numLayers = maxOf(inBlocks.map((m) => m.layer ?? 0)) + 1;
  const sums = new Array<number>(numLayers).fill(0);
  const counts = new Array<number>(numLayers).fill(0);
  for (const m of inBlocks) {
    const layer = m.layer ?? 0; // < numLayers, the largest layer + 1
    sums[layer] = itemAt(sums, layer, 'imported layer α') + m.alpha;
    counts[layer] = itemAt(counts, layer, 'imported layer α') + 1;
  }
  const missing = counts.flatMap((c, i) => (c === 0 ? [i] : []));
  if (missing.length > 0) {
    throw bad(fileName, `no α for layer(s) ${preview(missing.map(String))} (layers are numbered from 0).`);
  }
  const layerAlphas = sums.map((s, i) => s / itemAt(counts, i, 'imported layer α'));
  const named = rows.some((r) => r.name !== null);
  return named ? { layerAlphas, matrices, warnings } : { layerAlphas, warnings };
}

function preview(items: string[]): string {
  return items.length <= 5
    ? items.join(', ')
    : `${items.slice(0, 5).join(', ')} and ${items.length - 5} more`;
}

/** RFC 4180 CSV: quoted fields with "" escapes and embedded commas/newlines; CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/**
 * `alphalora inspect`: what the readers recognised (files, formats, architecture, every tensor) and what
 * an analysis with the same selection would do, without reading any weights.
 */
import type { StudioErrorData } from '../../core/errors';
import type { ModelDescription } from '../../core/formats/types';
import { parameterCount } from '../../core/parameters';
import { planAnalysis } from '../../core/pipeline/plan';
import type { AnalysisPlan } from '../../core/pipeline/plan';
import type { ParsedCommand } from '../args';
import { inspectSpec } from '../specs';
import { EXIT_INPUT, EXIT_OK, flagOption, layersOption, rolesOption } from '../args';
import type { CliIo } from '../cli-io';
import { openInputs } from '../open-inputs';
import { printable } from '../printable';
import { formatBytes } from '../progress-bar';

export async function runInspect(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const roles = rolesOption(inspectSpec, parsed);
  const layers = layersOption(inspectSpec, parsed);
  const { model, errors, close } = await openInputs(parsed.positionals);
  await close(); // inspect reads headers only: everything it needs is in the description now
  for (const e of errors) io.stderr(`error: ${e.message}\n`);
  if (model !== null) {
    const plan = planAnalysis(model, { roles, layers, includeOther: flagOption(parsed, 'include-other') });
    if (flagOption(parsed, 'json')) await writeInspectJson(model, plan, errors, io);
    else await writeInspectText(model, plan, io);
  }
  return errors.length > 0 ? EXIT_INPUT : EXIT_OK;
}

/**
 * The text report, written in chunks: a header may list a million tensors, whose table as one string (and
 * its rows as arrays) would take gigabytes. Column widths come from a first pass over the cells.
 */
async function writeInspectText(model: ModelDescription, plan: AnalysisPlan, io: CliIo): Promise<void> {
  const out: string[] = [];
  out.push(`model: ${model.name}`);
  out.push(`format: ${model.format}`);
  out.push(`architecture: ${model.architecture}`);
  out.push(`layers: ${model.numLayers}`);
  if (model.blocks) out.push(`blocks: ${model.blocks.description}`);
  out.push(`parameters: ${parameterCount(model.tensors).toLocaleString('en-US')}`);
  out.push('', `files (${model.files.length}):`);
  for (const f of model.files) out.push(`  ${f.name}  ${f.format}  ${formatBytes(f.bytes)}`);
  const meta = Object.entries(model.metadata);
  if (meta.length > 0) {
    out.push('', `metadata (${meta.length}):`);
    for (const [k, v] of meta.slice(0, 40)) out.push(`  ${k}: ${v.length > 100 ? `${v.slice(0, 100)}…` : v}`);
    if (meta.length > 40) out.push(`  … ${meta.length - 40} more`);
  }
  for (const w of model.warnings) out.push(`warning: ${w}`);

  const planned = new Set(plan.items.map((i) => i.name));
  const skipReason = new Map(plan.skipped.map((s) => [s.name, s.reason]));
  // Cells are escaped before they are measured, so that an escaped control character keeps the columns.
  const cells = (i: number): string[] => {
    const t = model.tensors[i]!;
    return [
      printable(t.name),
      `[${t.shape.join(', ')}]`,
      printable(t.dtype),
      t.placement.layer === null ? '-' : String(t.placement.layer),
      printable(t.placement.role),
      t.placement.kind,
      planned.has(t.name) ? 'analyse' : `skip: ${printable(skipReason.get(t.name) ?? '')}`,
    ];
  };
  const header = ['name', 'shape', 'dtype', 'layer', 'role', 'kind', 'analysis'];
  const widths = header.map((h) => h.length);
  for (let i = 0; i < model.tensors.length; i++) {
    const row = cells(i);
    for (let c = 0; c < row.length - 1; c++) widths[c] = Math.max(widths[c]!, row[c]!.length);
  }
  const line = (row: string[]): string =>
    `  ${row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}`;
  out.push('', `tensors (${model.tensors.length}):`, line(header));
  io.stdout(out.join('\n') + '\n');
  const CHUNK = 1000;
  for (let start = 0; start < model.tensors.length; start += CHUNK) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(start + CHUNK, model.tensors.length); i++) lines.push(line(cells(i)));
    io.stdout(lines.join('\n') + '\n');
    await io.drainStdout?.();
  }
  io.stdout(
    '\n' +
      `would analyse: ${plan.totals.matrices} matrices, ${formatBytes(plan.totals.bytes)}, ` +
      `${(plan.totals.flops / 1e9).toFixed(3)} GFLOP; ${plan.skipped.length} tensors skipped\n`,
  );
}

/**
 * The JSON report, the same text as `JSON.stringify(report, null, 2)`, written in chunks: the tensor list
 * of a million-tensor header as one string (and one object tree) would take gigabytes.
 */
async function writeInspectJson(
  model: ModelDescription,
  plan: AnalysisPlan,
  errors: StudioErrorData[],
  io: CliIo,
): Promise<void> {
  const planned = new Set(plan.items.map((i) => i.name));
  const skips = new Map(plan.skipped.map((s) => [s.name, s]));
  const tensor = (t: ModelDescription['tensors'][number]): unknown => ({
    name: t.name,
    file: t.file,
    shape: t.shape,
    dtype: t.dtype,
    bytes: t.byteLength,
    layer: t.placement.layer,
    role: t.placement.role,
    kind: t.placement.kind,
    matrixShape: t.matrixShape,
    tiedTo: t.tiedTo ?? null,
    analysed: planned.has(t.name),
    skipReason: skips.get(t.name)?.reason ?? null,
    // The reason as a code (src/core/pipeline/skip-reason.ts), for programs that act on it.
    skipCode: skips.get(t.name)?.code ?? null,
  });
  // A member's value as JSON.stringify(…, null, 2) writes it `depth` levels deep.
  const nested = (value: unknown, depth: number): string =>
    JSON.stringify(value, null, 2).replace(/\n/g, `\n${'  '.repeat(depth)}`);
  const member = (key: string, value: unknown): string => `  ${JSON.stringify(key)}: ${nested(value, 1)}`;
  const head = {
    name: model.name,
    format: model.format,
    architecture: model.architecture,
    numLayers: model.numLayers,
    ...(model.blocks ? { blocks: model.blocks } : {}),
    parameters: parameterCount(model.tensors),
    files: model.files,
    metadata: model.metadata,
    config: model.config ?? null,
  };
  io.stdout(`{\n${member('model', head)},\n  "tensors": ${model.tensors.length === 0 ? '[]' : '['}`);
  const CHUNK = 1000;
  for (let start = 0; start < model.tensors.length; start += CHUNK) {
    const parts: string[] = [];
    for (let i = start; i < Math.min(start + CHUNK, model.tensors.length); i++)
      parts.push(`${i === 0 ? '' : ','}\n    ${nested(tensor(model.tensors[i]!), 2)}`);
    io.stdout(parts.join(''));
    await io.drainStdout?.();
  }
  if (model.tensors.length > 0) io.stdout('\n  ]');
  const plannedNames = { totals: plan.totals, matrices: plan.items.map((i) => i.name) };
  io.stdout(
    `,\n${member('plan', plannedNames)},\n${member('errors', errors)},\n${member('warnings', model.warnings)}\n}\n`,
  );
}

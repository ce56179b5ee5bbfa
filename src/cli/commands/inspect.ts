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
import type { CliIo } from '../io';
import { openInputs } from '../open-inputs';
import { formatBytes } from '../progress-bar';

export async function runInspect(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const roles = rolesOption(inspectSpec, parsed);
  const layers = layersOption(inspectSpec, parsed);
  const { model, errors, close } = await openInputs(parsed.positionals);
  await close(); // inspect reads headers only: everything it needs is in the description now
  for (const e of errors) io.stderr(`error: ${e.message}\n`);
  if (model !== null) {
    const plan = planAnalysis(model, { roles, layers, includeOther: flagOption(parsed, 'include-other') });
    io.stdout(flagOption(parsed, 'json') ? inspectJson(model, plan, errors) : inspectText(model, plan));
  }
  return errors.length > 0 ? EXIT_INPUT : EXIT_OK;
}

function inspectText(model: ModelDescription, plan: AnalysisPlan): string {
  const out: string[] = [];
  out.push(`model: ${model.name}`);
  out.push(`format: ${model.format}`);
  out.push(`architecture: ${model.architecture}`);
  out.push(`layers: ${model.numLayers}`);
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
  const rows = model.tensors.map((t) => [
    t.name,
    `[${t.shape.join(', ')}]`,
    t.dtype,
    t.placement.layer === null ? '-' : String(t.placement.layer),
    t.placement.role,
    t.placement.kind,
    planned.has(t.name) ? 'analyse' : `skip: ${skipReason.get(t.name) ?? ''}`,
  ]);
  out.push('', `tensors (${model.tensors.length}):`);
  out.push(
    ...table(['name', 'shape', 'dtype', 'layer', 'role', 'kind', 'analysis'], rows).map((l) => `  ${l}`),
  );
  out.push(
    '',
    `would analyse: ${plan.totals.matrices} matrices, ${formatBytes(plan.totals.bytes)}, ` +
      `${(plan.totals.flops / 1e9).toFixed(3)} GFLOP; ${plan.skipped.length} tensors skipped`,
  );
  return out.join('\n') + '\n';
}

function inspectJson(model: ModelDescription, plan: AnalysisPlan, errors: StudioErrorData[]): string {
  const planned = new Set(plan.items.map((i) => i.name));
  const skipReason = new Map(plan.skipped.map((s) => [s.name, s.reason]));
  const json = {
    model: {
      name: model.name,
      format: model.format,
      architecture: model.architecture,
      numLayers: model.numLayers,
      parameters: parameterCount(model.tensors),
      files: model.files,
      metadata: model.metadata,
      config: model.config ?? null,
    },
    tensors: model.tensors.map((t) => ({
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
      skipReason: skipReason.get(t.name) ?? null,
    })),
    plan: { totals: plan.totals, matrices: plan.items.map((i) => i.name) },
    errors,
    warnings: model.warnings,
  };
  return JSON.stringify(json, null, 2) + '\n';
}

/** Left-aligned columns; the last column is not padded. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ');
  return [line(header), ...rows.map(line)];
}

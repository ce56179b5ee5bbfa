/**
 * `alphalora compare A B`: both models through the ordinary analysis on the CPU, then their matched
 * matrices pair by pair (core/compare/compare-models.ts), written as the comparison JSON.
 */
import { comparisonCsv, comparisonJsonText } from '../../core/compare/comparison';
import type { ComparisonSide } from '../../core/compare/comparison';
import { compareModels } from '../../core/compare/compare-models';
import { planAnalysis } from '../../core/pipeline/plan';
import type { ParsedCommand } from '../args';
import {
  EXIT_INPUT,
  EXIT_OK,
  estimatorOption,
  flagOption,
  jobsOption,
  layersOption,
  rolesOption,
  stringOption,
  UsageError,
} from '../args';
import { compareSpec } from '../compare-spec';
import { withCpuBackend } from '../cpu-run';
import type { CliIo } from '../cli-io';
import { openInputs } from '../open-inputs';
import type { OpenedInputs } from '../open-inputs';
import { createProgressReporter } from '../progress-bar';
import { defaultJobs } from './analyze';
import { nothingToAnalyse, warn, writeResult } from './shared';

export async function runCompare(parsed: ParsedCommand, io: CliIo): Promise<number> {
  // 1. Options first: a usage error must not wait for files to open.
  if (parsed.positionals.length !== 2) {
    throw new UsageError(
      `compare takes two models, A and B; got ${parsed.positionals.length} paths (a sharded model: give its folder)`,
      compareSpec,
    );
  }
  const estimator = estimatorOption(compareSpec, parsed);
  const roles = rolesOption(compareSpec, parsed);
  const layers = layersOption(compareSpec, parsed);
  const jobs = jobsOption(compareSpec, parsed);
  const outFile = stringOption(parsed, 'out');
  const csvFile = stringOption(parsed, 'csv');
  const delta = flagOption(parsed, 'delta');
  const merged = flagOption(parsed, 'merged');
  const quiet = flagOption(parsed, 'quiet');
  const includeOther = flagOption(parsed, 'include-other');
  const [pathA, pathB] = parsed.positionals as [string, string];

  // 2. Open both; either one unreadable ends the command with exit 3, naming its files.
  const inputA = await openInputs([pathA]);
  // With --merged, B is an adapter of A: its side is A + B (adapters and compare combine).
  const inputB = merged ? await openInputs([pathB], [pathA], '--merged') : await openInputs([pathB]);
  try {
    let unreadable = false;
    for (const [label, input, where] of [
      ['A', inputA, pathA],
      ['B', inputB, pathB],
    ] as const) {
      for (const e of input.errors) io.stderr(`error: ${e.message}\n`);
      if (input.model === null) {
        io.stderr(`error: model ${label} (${where}) cannot be read\n`);
        unreadable = true;
      }
    }
    if (unreadable || inputA.model === null || inputB.model === null) return EXIT_INPUT;
    for (const w of [...inputA.model.warnings, ...inputB.model.warnings]) warn(io, w);

    // 3. The plans decide the workers and catch an empty selection before any work.
    const planOpts = { roles, layers, includeOther };
    const planA = planAnalysis(inputA.model, planOpts);
    const planB = planAnalysis(inputB.model, planOpts);
    for (const [label, plan, model] of [
      ['A', planA, inputA.model],
      ['B', planB, inputB.model],
    ] as const) {
      if (plan.items.length === 0) {
        const narrowed = roles !== undefined || layers !== undefined;
        return nothingToAnalyse(io, `model ${label} (${model.name})`, narrowed, '');
      }
    }
    const flops = Math.max(planA.totals.flops, planB.totals.flops);
    const items = Math.max(planA.items.length, planB.items.length);
    const workers = Math.min(jobs ?? defaultJobs(flops), items);
    return await compareInputs(inputA, inputB, { estimator, roles, planOpts, workers, delta, quiet }, io, {
      outFile,
      csvFile,
    });
  } finally {
    await inputA.close();
    await inputB.close();
  }
}

interface CompareSettings {
  estimator: ReturnType<typeof estimatorOption>;
  roles: string[] | undefined;
  planOpts: { roles: string[] | undefined; layers: [number, number] | undefined; includeOther: boolean };
  workers: number;
  delta: boolean;
  quiet: boolean;
}

async function compareInputs(
  inputA: OpenedInputs,
  inputB: OpenedInputs,
  s: CompareSettings,
  io: CliIo,
  out: { outFile: string | undefined; csvFile: string | undefined },
): Promise<number> {
  // 4. Spectra on the CPU (worker threads when more than one job); ΔW in float64 too.
  const reporters = { a: createProgressReporter(io, s.quiet), b: createProgressReporter(io, s.quiet) };
  const run = await withCpuBackend(s.workers, (backend, signal) =>
    compareModels(inputA.model!, inputB.model!, backend, {
      estimator: s.estimator,
      plan: s.planOpts,
      ...(s.roles !== undefined ? { roles: s.roles } : {}),
      deltaWeights: s.delta,
      signal,
      analyze: { concurrency: s.workers },
      onProgress: (p) => {
        if (p.stage === 'analyze') {
          if (p.progress.status === 'start' && !s.quiet) io.stderr(`model ${p.side.toUpperCase()}:\n`);
          reporters[p.side].onProgress(p.progress);
        } else if (!s.quiet && p.done === p.total) {
          io.stderr(`compared ${p.total} matrix pairs${s.delta ? ' (with ΔW spectra)' : ''}\n`);
        }
      },
    }),
  );

  // 5. The comparison JSON (and CSV); exit 3 when anything was not read or analysed.
  const { comparison } = run;
  for (const w of comparison.warnings) warn(io, w);
  await writeResult(io, out.outFile, comparisonJsonText(comparison));
  if (out.csvFile !== undefined) {
    await io.writeText(out.csvFile, comparisonCsv(comparison));
    io.stderr(`wrote ${out.csvFile}\n`);
  }
  const failed =
    inputA.errors.length > 0 ||
    inputB.errors.length > 0 ||
    run.a.errors.length > 0 ||
    run.b.errors.length > 0 ||
    incomplete(comparison.a, s.planOpts.layers) ||
    incomplete(comparison.b, s.planOpts.layers);
  if (failed) {
    for (const e of [...run.a.errors, ...run.b.errors]) {
      if (![...inputA.errors, ...inputB.errors].some((i) => i.message === e.message))
        io.stderr(`error: ${e.message}\n`);
    }
    return EXIT_INPUT;
  }
  return EXIT_OK;
}

/** Incomplete beyond what was asked: with --layers only the selected blocks have α, on purpose. */
function incomplete(side: ComparisonSide, layers: [number, number] | undefined): boolean {
  if (layers === undefined) return !side.complete;
  return (side.missing?.files.length ?? 0) > 0;
}

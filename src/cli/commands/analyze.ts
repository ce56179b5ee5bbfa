/**
 * `alphalora analyze`: files -> plan -> spectra on the CPU (worker threads) -> fits -> layer α ->
 * AlphaLoRA allocation, written as the allocation JSON. Progress on stderr, the result on stdout or --out.
 */
import { availableParallelism } from 'node:os';
import { allocationJson, analysisBasis, analysisProvenance, matrixCsv } from '../../core/allocation/export';
import { analyzeModel } from '../../core/pipeline/analyze';
import { planAnalysis } from '../../core/pipeline/plan';
import type { EstimatorName } from '../../core/spectral/types';
import type { ParsedCommand } from '../args';
import {
  EXIT_INPUT,
  EXIT_OK,
  EXIT_USAGE,
  choiceOption,
  estimatorOption,
  flagOption,
  intOption,
  jobsOption,
  layersOption,
  numberOption,
  rolesOption,
  stringOption,
  UsageError,
} from '../args';
import { FARMS_DEFAULTS, type FarmsParams } from '../../core/diagnostics/farms';
import type { DiagnosticsOptions } from '../../core/result';
import { withCpuBackend } from '../cpu-run';
import { SCHEDULE_FORMATS } from '../../core/schedules/schedule-files';
import { scheduleChoice, writeSchedule, type ScheduleChoice } from '../schedule-options';
import type { CliIo } from '../cli-io';
import { openInputs } from '../open-inputs';
import type { OpenedInputs } from '../open-inputs';
import { createProgressReporter } from '../progress-bar';
import { compactRanges } from '../ranges';
import { blocksOf } from '../result-json';
import { analyzeSpec } from '../specs';
import { loraLabel } from '../../core/adapters/lora-types';
import {
  allocateOver,
  allocationSettings,
  DEFAULT_RANK,
  nothingToAnalyse,
  warn,
  writeAllocation,
  writeResult,
} from './shared';
import type { AllocationSettings } from './shared';

/**
 * Starting a worker thread (with the TypeScript loader) costs about a second; a model whose spectra take
 * less than that in one thread (~2 GFLOP) is analysed in the main thread. Otherwise one worker per core,
 * at most 8.
 */
export function defaultJobs(totalFlops: number): number {
  return totalFlops < 2e9 ? 1 : Math.max(1, Math.min(8, availableParallelism()));
}

interface AnalyzeSettings {
  estimator: EstimatorName;
  allocation: AllocationSettings;
  roles: string[] | undefined;
  layers: [number, number] | undefined;
  includeOther: boolean;
  /** --jobs, or undefined for the automatic choice (`defaultJobs`). */
  jobs: number | undefined;
  rank: number;
  outFile: string | undefined;
  csvFile: string | undefined;
  format: (typeof FORMATS)[number];
  schedule: ScheduleChoice;
  quiet: boolean;
  diagnostics: DiagnosticsOptions | undefined;
  farms: FarmsParams | undefined;
}

/** --diagnostics [--randomize --seed n] and --farms [--farms-rows --farms-q-ratio --farms-ops]. */
function diagnosticsSettings(parsed: ParsedCommand): Pick<AnalyzeSettings, 'diagnostics' | 'farms'> {
  const wants = flagOption(parsed, 'diagnostics');
  const randomize = flagOption(parsed, 'randomize');
  if (randomize && !wants) throw new UsageError('--randomize needs --diagnostics', analyzeSpec);
  const seed = intOption(analyzeSpec, parsed, 'seed', 0, 0);
  const farmsOn = flagOption(parsed, 'farms');
  for (const name of ['farms-rows', 'farms-q-ratio', 'farms-ops'])
    if (!farmsOn && stringOption(parsed, name) !== undefined)
      throw new UsageError(`--${name} needs --farms`, analyzeSpec);
  const qRatio = numberOption(analyzeSpec, parsed, 'farms-q-ratio', FARMS_DEFAULTS.qRatio);
  if (!(qRatio > 0)) throw new UsageError(`--farms-q-ratio must be > 0, got ${qRatio}`, analyzeSpec);
  return {
    diagnostics: wants ? { randomize, seed } : undefined,
    farms: farmsOn
      ? {
          rows: intOption(analyzeSpec, parsed, 'farms-rows', FARMS_DEFAULTS.rows, 1),
          qRatio,
          ops: intOption(analyzeSpec, parsed, 'farms-ops', FARMS_DEFAULTS.ops, 2),
        }
      : undefined,
  };
}

/** What --format writes (the same choices as `allocate`). */
export const FORMATS = ['json', 'mola', 'csv', ...SCHEDULE_FORMATS] as const;

export async function runAnalyze(parsed: ParsedCommand, io: CliIo): Promise<number> {
  // 1. Options first: a usage error must not wait for files to open.
  const estimator = estimatorOption(analyzeSpec, parsed);
  const allocation = allocationSettings(analyzeSpec, parsed, {});
  const roles = rolesOption(analyzeSpec, parsed);
  const layers = layersOption(analyzeSpec, parsed);
  const jobs = jobsOption(analyzeSpec, parsed);
  const rank = intOption(analyzeSpec, parsed, 'rank', DEFAULT_RANK, 1);
  const outFile = stringOption(parsed, 'out');
  const csvFile = stringOption(parsed, 'csv');
  const format = choiceOption(analyzeSpec, parsed, 'format', FORMATS, 'json');
  const extras = diagnosticsSettings(parsed);
  const schedule = scheduleChoice(analyzeSpec, parsed, format);

  // 2. Open every input; report the ones that cannot be read and go on with the rest.
  const base = stringOption(parsed, 'base');
  const inputs = await openInputs(parsed.positionals, base === undefined ? [] : [base]);
  try {
    return await analyzeInputs(
      inputs,
      {
        estimator,
        allocation,
        roles,
        layers,
        includeOther: flagOption(parsed, 'include-other'),
        jobs,
        rank,
        outFile,
        csvFile,
        format,
        schedule,
        quiet: flagOption(parsed, 'quiet'),
        ...extras,
      },
      io,
    );
  } finally {
    await inputs.close();
  }
}

async function analyzeInputs(
  { model, errors: inputErrors }: OpenedInputs,
  opts: AnalyzeSettings,
  io: CliIo,
): Promise<number> {
  const { estimator, allocation, roles, layers, includeOther, jobs, rank, outFile, csvFile, format, quiet } =
    opts;
  for (const e of inputErrors) io.stderr(`error: ${e.message}\n`);
  if (model === null) return EXIT_INPUT;
  for (const w of model.warnings) warn(io, w);
  if (model.lora !== undefined && !quiet) io.stderr(`${loraLabel(model.lora)}: ${model.name}\n`);

  // 3. Plan: which matrices, how much work.
  const plan = planAnalysis(model, { roles, layers, includeOther });
  if (plan.items.length === 0) {
    const narrowed = roles !== undefined || layers !== undefined;
    return nothingToAnalyse(
      io,
      model.name,
      narrowed,
      ' (no attention or MLP Linear matrices were recognised)',
    );
  }

  // 4. Spectra on the CPU: worker threads when more than one job, else in this thread.
  const workers = Math.min(jobs ?? defaultJobs(plan.totals.flops), plan.items.length);
  const reporter = createProgressReporter(io, quiet);
  const result = await withCpuBackend(workers, (backend, signal) =>
    analyzeModel(model, plan, backend, {
      signal,
      concurrency: workers,
      onProgress: (p) => reporter.onProgress(p),
      ...(opts.diagnostics !== undefined ? { diagnostics: opts.diagnostics } : {}),
      ...(opts.farms !== undefined ? { farms: opts.farms } : {}),
    }),
  );
  const tensorErrors = result.errors.length - model.errors.length;
  if (result.matrices.length === 0) {
    io.stderr('error: no matrix could be analysed\n');
    return EXIT_INPUT;
  }

  // 5. Layer α and allocation, written as the allocation JSON. With --include-other a model may have
  //    matrices but no attention/MLP block (a CNN): then only the per-matrix table can be written.
  if (blocksOf(result).length === 0) {
    const what = `${result.matrices.length} matrices outside attention/MLP blocks were analysed: no layer α, so no allocation JSON`;
    // What the layers are (blocks-basis.ts): why there are none, in words, after the error itself.
    const why = result.model.blocks ? ` ${result.model.blocks.description}` : '';
    if (csvFile === undefined) {
      io.stderr(`error: ${what}; add --csv <file> for their per-matrix table.${why}\n`);
      return EXIT_INPUT;
    }
    warn(io, `${what}.${why}`);
    await io.writeText(csvFile, matrixCsv(result, estimator));
    io.stderr(`wrote ${csvFile}\n`);
    return inputErrors.length > 0 || tensorErrors > 0 ? EXIT_INPUT : EXIT_OK;
  }
  // The one core chain the page uses too: basis -> computeAllocation -> exports of that outcome.
  const basis = analysisBasis(result, estimator, roles, undefined);
  const outcome = allocateOver(basis, allocation, rank);
  const json = allocationJson(outcome, basis, analysisProvenance(result, estimator, basis.roles));
  // A --layers part is incomplete on purpose: say how to make it whole.
  const partOnly = layers !== undefined && outcome.completeness.missing.files.length === 0;
  if (partOnly && !outcome.completeness.complete) {
    const held = compactRanges(json.layers.map((l) => l.index));
    json.allocation.warnings.push(
      `this result holds layers ${held} of ${model.numLayers}: its allocation is over these layers only; ` +
        '`alphalora merge` joins the parts and allocates over all layers',
    );
  }
  for (const w of json.allocation.warnings) warn(io, w);
  const scheduled = await writeSchedule(io, opts.schedule, format, outcome, basis.matrixRows, json, (text) =>
    writeResult(io, outFile, text),
  );
  if (scheduled === EXIT_USAGE) return scheduled;
  // --for experts (null): the command writes its own formats.
  if (scheduled === null) {
    const written = await writeAllocation(io, outFile, format, outcome, json);
    if (written !== EXIT_OK) return written;
  }
  if (csvFile !== undefined) {
    await io.writeText(csvFile, matrixCsv(result, estimator));
    io.stderr(`wrote ${csvFile}\n`);
  }
  if (!outcome.completeness.complete && !partOnly) {
    io.stderr(`error: analysis incomplete: ${outcome.completeness.details}\n`);
    return EXIT_INPUT;
  }
  return inputErrors.length > 0 || tensorErrors > 0 ? EXIT_INPUT : EXIT_OK;
}

/**
 * `alphalora allocate`: the AlphaLoRA allocation from layer α computed elsewhere (WeightWatcher in Python,
 * an earlier `analyze`), no weights needed. The same core chain as `analyze` and the page:
 * basis -> computeAllocation -> the exports of that one outcome.
 */
import { allocationJson } from '../../core/allocation/export';
import { parseAlphaFile } from '../../core/allocation/import-alpha';
import { importedBasis, importedProvenance } from '../../core/allocation/imported';
import type { ParsedCommand } from '../args';
import { allocateSpec } from '../specs';
import { choiceOption, intOption, stringOption, UsageError } from '../args';
import type { CliIo } from '../cli-io';
import { FORMATS } from './analyze';
import { allocateOver, allocationSettings, DEFAULT_RANK, warn, writeAllocation, writeResult } from './shared';
import { scheduleChoice, writeSchedule } from '../schedule-options';

export async function runAllocate(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const file = stringOption(parsed, 'alphas');
  if (file === undefined) throw new UsageError('--alphas is required', allocateSpec);
  const format = choiceOption(allocateSpec, parsed, 'format', FORMATS, 'json');
  const schedule = scheduleChoice(allocateSpec, parsed, format);
  // Usage errors first: a bad option must not wait for (or be hidden by) a bad file.
  allocationSettings(allocateSpec, parsed, {});
  intOption(allocateSpec, parsed, 'rank', DEFAULT_RANK, 1);
  const fileName = file === '-' ? 'stdin' : file;

  const imported = parseAlphaFile(await io.readText(file), fileName);
  // This tool's own JSON brings its settings: the defaults are the file's, so its export round-trips.
  const own = imported.origin?.allocation;
  const settings = allocationSettings(allocateSpec, parsed, own ?? {});
  const rank = intOption(allocateSpec, parsed, 'rank', own?.loraRank ?? DEFAULT_RANK, 1);
  for (const w of imported.warnings) warn(io, w);
  const modelName = fileName.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, '');
  const basis = importedBasis(imported, fileName, undefined, undefined);
  const outcome = allocateOver(basis, settings, rank);
  for (const w of outcome.warnings) warn(io, w);

  const json = allocationJson(outcome, basis, importedProvenance(imported, basis, modelName));
  const outFile = stringOption(parsed, 'out');
  const scheduled = await writeSchedule(io, schedule, format, outcome, basis.matrixRows, json, (t) =>
    writeResult(io, outFile, t),
  );
  if (scheduled !== null) return scheduled;
  return writeAllocation(io, outFile, format, outcome, json);
}

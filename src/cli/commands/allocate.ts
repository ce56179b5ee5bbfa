/**
 * `alphalora allocate`: the AlphaLoRA allocation from layer α computed elsewhere (WeightWatcher in Python,
 * an earlier `analyze`), no weights needed.
 */
import { allocate, topKFor } from '../../core/allocation/alphalora';
import { allocationJsonFromAlphas, molaFlags } from '../../core/allocation/export';
import { parseAlphaFile } from '../../core/allocation/import-alpha';
import type { ParsedCommand } from '../args';
import { allocateSpec } from '../specs';
import { choiceOption, EXIT_OK, intOption, stringOption, UsageError } from '../args';
import type { CliIo } from '../io';
import { allocationSettings, DEFAULT_RANK, warn, writeResult } from './shared';

const FORMATS = ['json', 'mola', 'csv'] as const;

export async function runAllocate(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const file = stringOption(parsed, 'alphas');
  if (file === undefined) throw new UsageError('--alphas is required', allocateSpec);
  const settings = allocationSettings(allocateSpec, parsed, {});
  const rank = intOption(allocateSpec, parsed, 'rank', DEFAULT_RANK, 1);
  const format = choiceOption(allocateSpec, parsed, 'format', FORMATS, 'json');
  const fileName = file === '-' ? 'stdin' : file;

  const imported = parseAlphaFile(await io.readText(file), fileName);
  const { layerAlphas } = imported;
  for (const w of imported.warnings) warn(io, w);
  const { experts, warnings } = allocate(layerAlphas, settings);
  const topK = topKFor(experts);
  for (const w of warnings) warn(io, w);

  let text: string;
  if (format === 'mola') {
    text = molaFlags(experts, topK, rank) + '\n';
  } else if (format === 'csv') {
    const rows = layerAlphas.map((a, i) => `${i},${a},${experts[i]},${topK[i]},${rank}`);
    text = ['layer,alpha,experts,top_k,lora_r', ...rows].join('\n') + '\n';
  } else {
    const json = allocationJsonFromAlphas(layerAlphas, {
      mode: settings.mode,
      beta: settings.beta,
      budget: settings.budget,
      loraRank: rank,
      ...(imported.matrices !== undefined ? { matrices: imported.matrices } : {}),
    });
    text = JSON.stringify(json, null, 2) + '\n';
  }
  await writeResult(io, stringOption(parsed, 'out'), text);
  return EXIT_OK;
}

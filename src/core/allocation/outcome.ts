/**
 * The one allocation function behind everything a person sees or takes away: the page's chart, counts,
 * trainable parameters and warnings, the allocation JSON, the per-layer CSV and the MoLA flags, in the
 * page and in the CLI. Exports are built from its result (`AllocationOutcome`), never by allocating again,
 * so what is exported is what is shown.
 *
 * It also decides whether the result is complete: whenever the files declare more than was analysed (a
 * shard an index names but that was not given, tensors that failed to read, layers of the model's block
 * range without an α), the outcome says `complete: false` and lists what is missing; the allocation then
 * covers the layers that have an α, and the MoLA flags are withheld (a training run over half a model's
 * layers would silently be wrong).
 */
import { StudioError, type StudioErrorData } from '../errors';
import { allocate, type AllocationMode } from './alphalora';
import { trainableParams, type ModuleShape } from './params';
import { maxOf } from '../array';
import { itemAt } from '../item-at';

export interface AllocationSettings {
  mode: AllocationMode;
  beta: number;
  budget: number;
  /** LoRA rank of every expert. */
  rank: number;
  /** Roles that get the MoE-LoRA adapters (trainable parameters, `--lora_target_modules`). */
  targets: string[];
}

export interface AllocationLayerInput {
  index: number;
  /** Layer α; NaN (or ≤ 0) when the layer has none: it is then missing from the allocation. */
  alpha: number;
  /** This layer's target modules, [out, in] as PyTorch Linear weights (empty when none is known). */
  modules: ModuleShape[];
}

export interface AllocationInput {
  layers: AllocationLayerInput[];
  /** Layers the model declares: 0 … declaredLayers − 1 should all have an α. */
  declaredLayers: number;
  /** Files declared or given that were not (fully) analysed, with why. */
  missingFiles: MissingFile[];
  /** Warnings of the layer table (failed fits, empty layers), shown and exported with the allocation's. */
  layerWarnings: string[];
  /** False when no module shape is known (α imported without shapes): trainable parameters are then null. */
  shapesKnown: boolean;
  settings: AllocationSettings;
}

export interface MissingFile {
  name: string;
  /** Why, in a few words ("not given", or the error of the file or tensor that failed). */
  reason: string;
}

export interface Completeness {
  complete: boolean;
  missing: { files: string[]; layers: number[] };
  /** "file not fully analysed: model-00002-of-00002.safetensors; layers 3–4 of 5 have no α", or '' when complete. */
  summary: string;
  /** The same with why each file was not analysed ("… (not given)"), for the page's banner and the CLI. */
  details: string;
}

export interface MolaRefusal {
  /** 'incomplete': the result does not cover the model; 'non-positive': a layer got 0 or fewer experts. */
  kind: 'incomplete' | 'non-positive';
  message: string;
}

export interface AllocationOutcome {
  settings: AllocationSettings;
  /** The allocated layers (those with an α), ascending; experts[i] belongs to layers[i]. */
  layers: { index: number; alpha: number }[];
  experts: number[];
  topK: number[];
  /** Σ over layers of max(0, nₗ) · Σ_modules (r·(in + out) + in); null when no shape is known. */
  trainableParams: number | null;
  /** The incompleteness warning first, then the layer table's, then the allocation's. */
  warnings: string[];
  /** One line: how the experts follow from α, β and T in this mode. */
  rule: string;
  completeness: Completeness;
  /** The MoLA flags, or null with the reason when they must not be used. */
  mola: { flags: string | null; refusal: MolaRefusal | null };
}

/** Layer indices as compact ranges: [0,1,2,5,7,8] -> "0–2, 5, 7–8". */
export function layerRanges(layers: readonly number[]): string {
  const sorted = [...new Set(layers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === itemAt(sorted, j, 'layer ranges') + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** Whether a result covers what its files declare (see the module comment). */
export function completenessOf(
  missingFiles: readonly MissingFile[],
  declaredLayers: number,
  layersWithAlpha: readonly number[],
): Completeness {
  const have = new Set(layersWithAlpha);
  const top = Math.max(declaredLayers, maxOf(layersWithAlpha.map((l) => l + 1)), 0);
  const layers = Array.from({ length: top }, (_, i) => i).filter((i) => !have.has(i));
  const files: string[] = [];
  for (const f of missingFiles) if (!files.includes(f.name)) files.push(f.name);
  // The summary goes into the JSON's warnings: names only, so that an import of the file (which keeps
  // the names, not the reasons) writes the same warning again.
  const describe = (withReasons: boolean): string => {
    const parts: string[] = [];
    if (files.length > 0) {
      const named = files.map((name) => {
        if (!withReasons) return name;
        const reasons = missingFiles.filter((f) => f.name === name).map((f) => f.reason);
        return `${name} (${[...new Set(reasons)].join('; ')})`;
      });
      parts.push(`${files.length === 1 ? 'file' : 'files'} not fully analysed: ${named.join(', ')}`);
    }
    if (layers.length > 0) {
      parts.push(
        `${layers.length === 1 ? 'layer' : 'layers'} ${layerRanges(layers)} of ${top} ${layers.length === 1 ? 'has' : 'have'} no α`,
      );
    }
    return parts.join('; ');
  };
  return {
    complete: files.length === 0 && layers.length === 0,
    missing: { files, layers },
    summary: describe(false),
    details: describe(true),
  };
}

/**
 * The files an analysis did not cover, from its errors: a shard an index (or the shard numbering) names
 * that was not given, a file that could not be read, a tensor that failed. Cancellation is not a file
 * problem and is left out.
 */
export function missingFilesOf(errors: readonly StudioErrorData[]): MissingFile[] {
  const out: MissingFile[] = [];
  for (const e of errors) {
    if (e.code === 'ABORTED') continue;
    if (e.code === 'MISSING_SHARD') {
      // The error names the index (or a sibling shard) as its file and the missing shard in the message.
      const shard = /missing shard (\S+?):/.exec(e.message)?.[1];
      if (shard !== undefined) {
        out.push({ name: shard, reason: 'not given' });
        continue;
      }
    }
    if (e.file === undefined) continue;
    const detail = e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message;
    out.push({ name: e.file, reason: detail });
  }
  return out;
}

/** The allocation rule in one line, with the numbers of this allocation. */
export function allocationRule(mode: AllocationMode, beta: number, budget: number): string {
  const share = `tᵢ = αᵢ^β / Σⱼ αⱼ^β · T (β = ${beta}, T = ${budget})`;
  const topK = 'top_kᵢ = 2 if nᵢ > 1 else 1';
  return mode === 'faithful'
    ? `${share}; nᵢ = roundHalfEven(tᵢ), then while Σn ≠ T add 1 at the first argmin(αᵢ^β − nᵢ) or take 1 at the first argmax(αᵢ^β − nᵢ) (the released expert_number.py; can give 0 or negative counts); ${topK}.`
    : `${share}; nᵢ = max(1, ⌊tᵢ⌋), then the remaining experts one each to the largest tᵢ − nᵢ (or taken back from the smallest tᵢ − nᵢ among layers above 1), every layer ≥ 1 (safe mode, a deviation from the released code); ${topK}.`;
}

/**
 * `--number_experts "1,3,5" --top_k "1,2,2" --lora_r "8,8,8" --lora_target_modules "q_proj,v_proj"`: no
 * spaces, no brackets, one entry per layer (as MoLA's training script takes them).
 */
export function molaFlags(experts: number[], topK: number[], rank: number, targets: string[]): string {
  const f = molaFields(experts, topK, rank, targets);
  // Imported layer α name no modules: then the flag is left to the user rather than given empty.
  return (
    `--number_experts "${f.number_experts}" --top_k "${f.top_k}" --lora_r "${f.lora_r}"` +
    (targets.length > 0 ? ` --lora_target_modules "${f.lora_target_modules}"` : '')
  );
}

export function molaFields(
  experts: number[],
  topK: number[],
  rank: number,
  targets: string[],
): { number_experts: string; top_k: string; lora_r: string; lora_target_modules: string } {
  return {
    number_experts: experts.join(','),
    top_k: topK.join(','),
    lora_r: experts.map(() => rank).join(','),
    lora_target_modules: targets.join(','),
  };
}

/**
 * Allocates experts over the layers that have an α and says what the result is (see the module comment).
 * Throws BAD_INPUT when no layer has an α, or for a bad β or T (alphalora.ts).
 */
export function computeAllocation(input: AllocationInput): AllocationOutcome {
  const { settings } = input;
  const usable = input.layers
    .filter((l) => Number.isFinite(l.alpha) && l.alpha > 0)
    .sort((a, b) => a.index - b.index);
  if (usable.length === 0) {
    throw new StudioError('BAD_INPUT', 'No layer has an α to allocate experts from.');
  }
  const alloc = allocate(
    usable.map((l) => l.alpha),
    settings,
  );
  const completeness = completenessOf(
    input.missingFiles,
    input.declaredLayers,
    usable.map((l) => l.index),
  );
  // A negative count is no adapter at all: it has no parameters (not negative ones).
  const trainable = input.shapesKnown
    ? usable.reduce(
        (s, l, i) =>
          s + trainableParams([Math.max(0, itemAt(alloc.experts, i, 'trainable'))], l.modules, settings.rank),
        0,
      )
    : null;
  const warnings = [
    ...(completeness.complete
      ? []
      : [
          `Analysis incomplete: ${completeness.summary}. The allocation covers only the ${usable.length} ` +
            `layer(s) with an α; the MoLA flags are withheld.`,
        ]),
    ...input.layerWarnings,
    ...alloc.warnings,
  ];
  let refusal: MolaRefusal | null = null;
  const empty = alloc.experts.flatMap((n, i) =>
    n <= 0 ? [`${itemAt(usable, i, 'empty layers').index} (${n})`] : [],
  );
  if (!completeness.complete) {
    refusal = {
      kind: 'incomplete',
      message: `MoLA flags withheld: the analysis is incomplete (${completeness.summary}); flags for part of the model's layers would train the wrong model.`,
    };
  } else if (empty.length > 0) {
    refusal = {
      kind: 'non-positive',
      message: `MoLA flags withheld: faithful mode gives layer ${empty.join(', ')} zero or negative experts at T = ${settings.budget}, which MoLA cannot train; raise the budget or switch to safe mode (every layer ≥ 1).`,
    };
  }
  return {
    settings,
    layers: usable.map((l) => ({ index: l.index, alpha: l.alpha })),
    experts: alloc.experts,
    topK: alloc.topK,
    trainableParams: trainable,
    warnings,
    rule: allocationRule(settings.mode, settings.beta, settings.budget),
    completeness,
    mola: {
      flags: refusal === null ? molaFlags(alloc.experts, alloc.topK, settings.rank, settings.targets) : null,
      refusal,
    },
  };
}

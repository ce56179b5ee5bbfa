/**
 * The serialisable summary of an opened model that the page shows at once: what was recognised, what will
 * be analysed and what not (with the reason), and the plan's fixed totals.
 */
import type { ModelDescription } from '../src/core/formats/types';
import { tensorGroup } from '../src/core/model/block-matrix';
import { parameterCount, parametersByDtype } from '../src/core/parameters';
import type { AnalysisPlan, PlanOptions, SkippedTensor } from '../src/core/pipeline/plan';
import type { ModelSummary, TensorSummary } from './contract';

export function summarizeModel(
  model: ModelDescription,
  plan: AnalysisPlan,
  options: PlanOptions = {},
): Omit<ModelSummary, 'fingerprint'> {
  const planned = new Map(plan.items.map((i) => [i.name, i]));
  const skips = new Map(plan.skipped.map((s) => [s.name, s]));
  const tensors: TensorSummary[] = model.tensors.map((t) => {
    const item = planned.get(t.name);
    const analysed = item !== undefined;
    return {
      name: t.name,
      file: t.file,
      shape: [...t.shape],
      dtype: t.dtype,
      byteLength: t.byteLength,
      layer: t.placement.layer,
      role: t.placement.role,
      kind: t.placement.kind,
      matrixShape: t.matrixShape ? [t.matrixShape[0], t.matrixShape[1]] : null,
      ...(t.kernelMatrices !== undefined ? { kernelMatrices: t.kernelMatrices.count } : {}),
      analysed,
      ...(item !== undefined
        ? {
            work: {
              rows: item.rows,
              cols: item.cols,
              matrices: item.pooledMatrices ?? 1,
              flops: item.flops,
            },
          }
        : {}),
      group: tensorGroup(t),
      ...notAnalysed(analysed, skips.get(t.name), t.skipReason),
    };
  });
  return {
    // modelDisplayName (config, folder, shard names, metadata), given by openModel: the CLI's name too.
    name: model.name,
    format: model.format,
    architecture: model.architecture,
    numLayers: model.numLayers,
    ...(model.blocks ? { blocks: { ...model.blocks } } : {}),
    files: model.files.map((f) => ({ ...f })),
    // A tied head (the embedding's weights under a second name) is counted once, as `inspect` does.
    parameters: parameterCount(model.tensors),
    dtypes: parametersByDtype(model.tensors),
    tensors,
    totals: { matrices: plan.totals.matrices, bytes: plan.totals.bytes },
    errors: model.errors.map((e) => ({ ...e })),
    warnings: [...model.warnings],
    plan: { ...options },
    ...(model.lora !== undefined ? { lora: { ...model.lora, ranks: [...model.lora.ranks] } } : {}),
  };
}

/** Why a tensor is not analysed: the plan's code and words (a tensor the plan did not list: the reader's). */
function notAnalysed(
  analysed: boolean,
  skip: SkippedTensor | undefined,
  readerReason: string | null,
): Pick<TensorSummary, 'reason' | 'reasonCode'> {
  if (analysed) return { reason: null, reasonCode: null };
  if (skip !== undefined) return { reason: skip.reason, reasonCode: skip.code };
  return {
    reason: readerReason ?? 'not planned',
    reasonCode: readerReason !== null ? 'not-analysable' : null,
  };
}

/**
 * The serialisable summary of an opened model that the page shows at once: what was recognised, what will
 * be analysed and what not (with the reason), and the plan's fixed totals.
 */
import type { AnalysisPlan, PlanOptions } from '../src/core/pipeline/plan';
import type { ModelDescription } from '../src/core/formats/types';
import { parameterCount, parametersByDtype } from '../src/core/parameters';
import type { ModelSummary, TensorSummary } from './contract';

export function summarizeModel(
  model: ModelDescription,
  plan: AnalysisPlan,
  options: PlanOptions = {},
): Omit<ModelSummary, 'fingerprint'> {
  const planned = new Map(plan.items.map((i) => [i.name, i]));
  const reasons = new Map(plan.skipped.map((s) => [s.name, s.reason]));
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
      reason: analysed ? null : (reasons.get(t.name) ?? t.skipReason ?? 'not planned'),
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

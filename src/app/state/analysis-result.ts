/**
 * The AnalysisResult the core's exports and the comparison take, from what the worker sent the page: the
 * opened model's summary, the streamed matrices, the failed ones and the backend the run ended on. One
 * function for the shown model and for a second model opened to compare with it, so both sides of a
 * comparison are described exactly as the allocation export describes a model.
 */
import type { StudioErrorData } from '../../core/errors';
import type { AnalysisResult, MatrixResult } from '../../core/result';
import type { BackendInfo, ModelSummary } from '../../../workers/contract';

export function analysisResultOfSummary(
  s: ModelSummary,
  matrices: MatrixResult[],
  failures: readonly StudioErrorData[],
  backend: BackendInfo | null,
): AnalysisResult {
  return {
    model: {
      name: s.name,
      architecture: s.architecture,
      format: s.format,
      files: s.files.map((f) => ({ name: f.name, bytes: f.bytes })),
      numLayers: s.numLayers,
      ...(s.lora !== undefined ? { lora: s.lora } : {}),
      ...(s.blocks ? { blocks: s.blocks } : {}),
    },
    backend: backend?.name ?? 'cpu',
    adapter: backend?.adapter,
    matrices,
    // What leaves the result incomplete: the open errors (kept in the summary) and the failed matrices.
    errors: [...s.errors, ...failures],
    warnings: s.warnings,
    // What the worker ran with (workers/analysis-service.ts): the page always computes the diagnostics.
    diagnostics: { randomize: s.plan.extras?.randomize === true, seed: s.plan.extras?.seed ?? 0 },
    ...(s.plan.extras?.farms !== undefined ? { farms: s.plan.extras.farms } : {}),
  };
}

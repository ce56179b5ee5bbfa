/**
 * The stories260K float64 references (shared/fixtures/models/stories260K/expected.json) as an analysis
 * result, built by the same summarizeMatrix the app runs: the one test builder for export and allocation
 * tests (three copies before).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { summarizeMatrix, type AnalysisResult } from '../../src/core/result';

/** The part of expected.json this builder reads (tests that need more parse their own view). */
export interface StoriesExpected {
  matrices: Record<string, { shape: [number, number]; layer: number; role: string; eigenvalues: number[] }>;
}

export const stories = JSON.parse(
  readFileSync(path.resolve(process.cwd(), '../shared/fixtures/models/stories260K/expected.json'), 'utf8'),
) as StoriesExpected;

const ATTENTION = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];

export interface StoriesOptions {
  /** Which matrices' spectra came from the WebGPU backend (method svd); default none. */
  onGpu?: (name: string) => boolean;
  /** The backend the run selected; default 'cpu'. */
  selected?: AnalysisResult['backend'];
  /** Keep only the matrices of these layers; default all. */
  keepLayer?: (layer: number) => boolean;
  /** The model's file as listed in `model.files`; default model.safetensors. */
  fileName?: string;
}

export function storiesResult(opts: StoriesOptions = {}): AnalysisResult {
  const { onGpu = () => false, selected = 'cpu', keepLayer = () => true } = opts;
  const matrices = Object.entries(stories.matrices)
    .filter(([, m]) => keepLayer(m.layer))
    .map(([name, m]) =>
      summarizeMatrix(
        {
          name,
          file: 'model.safetensors',
          layer: m.layer,
          role: m.role,
          kind: ATTENTION.includes(m.role) ? 'attention' : 'mlp',
          shape: m.shape,
          dtype: 'F32',
        },
        {
          eigenvalues: Float64Array.from(m.eigenvalues),
          negativeCount: 0,
          noiseFloor: 0,
          timings: {},
          backend: onGpu(name) ? 'webgpu' : 'cpu',
          method: onGpu(name) ? 'svd' : 'gram',
        },
      ),
    );
  return {
    model: {
      name: 'stories260K',
      architecture: 'llama',
      format: 'safetensors',
      files: [{ name: opts.fileName ?? 'model.safetensors', bytes: 1 }],
      numLayers: 5,
    },
    backend: selected,
    ...(selected === 'webgpu' ? { adapter: 'Test GPU' } : {}),
    matrices,
    errors: [],
    warnings: [],
  };
}

/**
 * `alphalora compare`'s options and help. Apart from specs.ts so that the compare command adds
 * a file rather than edits the shared one; the options it shares with `analyze` are taken from
 * analyzeSpec, so their help text cannot drift apart.
 */
import type { CommandSpec } from './args';
import { analyzeSpec, fileOption } from './specs';

/** analyze's options that mean the same here (the selection of matrices, the estimator, the workers). */
const SHARED = ['estimator', 'roles', 'layers', 'include-other', 'jobs', 'quiet'];

export const compareSpec: CommandSpec = {
  name: 'compare',
  summary: 'compare two checkpoints: α per layer and per matrix of both, Δα, relative distances, ΔW spectra',
  synopsis:
    '<A> <B> [--delta] [--merged] [--out comparison.json] [--csv matrices.csv] [--estimator alphalora|weightwatcher|hill-mid|clip-xmax] ' +
    '[--roles q_proj,...] [--layers 0-15] [--include-other] [--jobs N]',
  positionals: {
    value: '<A> <B>',
    description:
      'The two models, each one checkpoint file or a folder (all shards, config.json): A is the reference (a base model), B the other (a fine-tune); Δ means B − A. They may be in different formats (GGUF against safetensors): matrices are matched by name, else by layer and role.',
    min: 2,
  },
  options: [
    ...analyzeSpec.options.filter((o) => SHARED.includes(o.name)),
    {
      name: 'delta',
      type: 'boolean',
      description:
        'Also analyse ΔW = W_B − W_A of every matched pair (WeightWatcher\'s base_model): its spectrum and fits, in float64 on the CPU, as "deltaWeights" of each matrix. One more spectrum per pair.',
    },
    {
      name: 'merged',
      type: 'boolean',
      description:
        "B is a PEFT adapter (its folder) of A: compare A with A + B, the adapter merged into A's weights in float64 in memory (as analyze --base), which is the adapter's effect on its base. Without it an adapter as B is its ΔW alone.",
    },
    fileOption('out', 'Write the comparison JSON to this file instead of standard output.'),
    fileOption(
      'csv',
      'Also write the matrix table as CSV (one row per pair, then each unmatched matrix with the reason).',
    ),
  ],
  notes: [
    'The result is the comparison JSON (format "alphalora-studio/comparison", version 1): "a" and "b" describe each model as the allocation JSON does (completeness included), "layers" holds each layer\'s α of both and delta = B − A, "matrices" each matched pair (alphaA, alphaB, delta, relativeDistance = ‖W_B − W_A‖_F / ‖W_A‖_F summed in float64, and how it was matched), "unmatched" every matrix without a counterpart and why. The models are analysed one after the other, then read pair by pair: only a few matrices are in memory at once.',
    'Exit codes: 0 success; 2 usage error; 3 either model cannot be read (the message names the file), a tensor failed, or either analysis is incomplete (the JSON is still written).',
  ],
};

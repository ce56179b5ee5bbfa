/**
 * The description of every command: options, help text. Kept apart from the commands themselves so that
 * `--help` and argument errors need no heavy imports, and each command loads only what it uses.
 */
import type { CommandSpec, OptionSpec } from './args';
import { DEFAULTS_TEXT } from '../core/allocation/defaults';
import { ALLOCATION_OPTIONS } from './commands/shared';
import { SCHEDULE_FORMAT_DESCRIPTION, SCHEDULE_OPTIONS } from './schedule-options';

const FORMAT_DESCRIPTION =
  'json: the allocation JSON; mola: the paste-ready MoLA/AlphaLoRA flags (--number_experts "…" --top_k "…" --lora_r "…" --lora_target_modules "…"), refused (no flags printed) when the result is incomplete (exit 3) or a layer gets 0 or fewer experts (exit 2); csv: one row per layer (layer,alpha,experts,top_k,lora_r); ' +
  SCHEDULE_FORMAT_DESCRIPTION;
const DEFAULTS_NOTE = `Defaults (the same as the page's): ${DEFAULTS_TEXT}.`;

/** The allocation settings every allocating command takes, in the order their synopses list them. */
const ALLOCATION_SYNOPSIS =
  '[--budget T] [--beta 2.5] [--mode faithful|safe] [--rank 8] [--for experts|ranks|sparsity|lr]';

/** --format of the commands that write an allocation in every format (analyze, allocate). */
const ALLOCATION_FORMAT_OPTION: OptionSpec = {
  name: 'format',
  type: 'string',
  value: 'json|mola|csv|peft|alphapruning|tempbalance',
  description: FORMAT_DESCRIPTION,
  default: 'json',
};

/** An option naming a file the command writes (--out, --csv); only what it writes differs. */
export function fileOption(name: string, description: string): OptionSpec {
  return { name, type: 'string', value: 'file', description };
}

/** --estimator, introduced as each command's reader needs; what each fit is, is said once. */
function estimatorOptionSpec(intro: string, alphalora: string): OptionSpec {
  return {
    name: 'estimator',
    type: 'string',
    value: 'name',
    description: `${intro}alphalora (${alphalora}, WeightWatcher xmin_peak), weightwatcher (WeightWatcher 0.7.5.5 default), hill-mid (Hill estimate at the median) or clip-xmax (WeightWatcher fix_fingers=clip_xmax: the weightwatcher fit refitted without 2 to 9 outlying top eigenvalues when that lowers α by more than 1; the JSON and CSV then carry numFingers and rawAlpha).`,
    default: 'alphalora',
  };
}

/** WeightWatcher diagnostics and FARMS (docs/specs/diagnostics.md; README "Diagnostics and FARMS"). */
const DIAGNOSTICS_OPTIONS: CommandSpec['options'] = [
  {
    name: 'diagnostics',
    type: 'boolean',
    description:
      'Add WeightWatcher 0.7.5.5\'s diagnostics to every matrix of the JSON ("diagnostics": MP fit, detX, clip_xmax finger clipping) and to --csv.',
  },
  {
    name: 'randomize',
    type: 'boolean',
    description:
      'With --diagnostics: also the randomised ESD (the spectrum of the element-shuffled matrix, seeded): randDistance, numTraps, … One more spectrum per matrix (five more under 100 wide).',
  },
  {
    name: 'seed',
    type: 'string',
    value: 'n',
    description: 'Seed of the --randomize shuffles (each matrix mixes in its name).',
    default: '0',
  },
  {
    name: 'farms',
    type: 'boolean',
    description:
      'FARMS: fit the pooled eigenvalues of fixed-shape windows of each matrix instead of the whole matrix; layer α and the allocation then use FARMS α (the JSON says so). Convolutions keep their whole-matrix fit.',
  },
  {
    name: 'farms-rows',
    type: 'string',
    value: 'N',
    description: 'FARMS window rows (num_row_samples; capped at the matrix side).',
    default: '2000',
  },
  {
    name: 'farms-q-ratio',
    type: 'string',
    value: 'Q',
    description: 'FARMS window columns = int(rows · Q).',
    default: '1.0',
  },
  {
    name: 'farms-ops',
    type: 'string',
    value: 'K',
    description: 'FARMS window starts per dimension (sampling_ops_per_dim, ≥ 2).',
    default: '15',
  },
];

export const analyzeSpec: CommandSpec = {
  name: 'analyze',
  summary: 'compute the spectra, layer α and the AlphaLoRA allocation of a checkpoint',
  synopsis:
    '<file|folder>... [--base folder] [--estimator alphalora|weightwatcher|hill-mid|clip-xmax] [--budget T] [--beta 2.5] ' +
    '[--mode faithful|safe] [--roles q_proj,k_proj,...] [--rank 8] [--layers 0-15] [--include-other] [--jobs N] [--for experts|ranks|sparsity|lr] [--format json|mola|csv|peft|alphapruning|tempbalance] [--out result.json] ' +
    '[--diagnostics [--randomize]] [--farms [--farms-rows N --farms-q-ratio Q --farms-ops K]]',
  positionals: {
    value: '<file|folder>...',
    description:
      'Checkpoint files (safetensors, GGUF, ONNX, PyTorch .bin/.pt, llama2.c .bin), all shards of a sharded checkpoint, config.json, index files, or folders holding them; or a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors or .bin), analysed as its ΔW = scale·B·A per module.',
    min: 1,
  },
  options: [
    {
      name: 'base',
      type: 'string',
      value: 'folder',
      description:
        'With a PEFT adapter as input: the base checkpoint (file or folder) it is merged into; the adapted matrices are analysed as W + ΔW (float64, in memory), the others as in the base.',
    },
    estimatorOptionSpec('Power-law fit behind each matrix α: ', 'the released AlphaLoRA code'),
    ...ALLOCATION_OPTIONS,
    ...SCHEDULE_OPTIONS,
    {
      name: 'roles',
      type: 'string',
      value: 'list',
      description:
        'Comma-separated matrix roles to analyse and average into the layer α (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj for LLaMA-family models).',
      default: 'every Linear matrix of each decoder block',
    },
    {
      name: 'layers',
      type: 'string',
      value: 'a-b',
      description:
        'Inclusive range of blocks to analyse (e.g. 0-15), or one block (7). Parts analysed separately can be joined with `alphalora merge`.',
      default: 'all blocks',
    },
    {
      name: 'include-other',
      type: 'boolean',
      description:
        'Also analyse the matrices outside the attention/MLP blocks: unrecognised names, and convolutions (each kernel position a matrix, eigenvalues pooled, as WeightWatcher does). They are listed in --csv; the layer α and the allocation use the block matrices only.',
    },
    {
      name: 'jobs',
      type: 'string',
      value: 'N',
      description: 'Matrices computed in parallel, each in its own worker thread (1: in the main thread).',
      default:
        'the number of CPU cores, at most 8 (1 for models small enough that starting threads would cost more than it saves)',
    },
    ALLOCATION_FORMAT_OPTION,
    fileOption('out', 'Write the result (see --format) to this file instead of standard output.'),
    fileOption('csv', 'Also write the per-matrix table (every metric) as CSV to this file.'),
    {
      name: 'quiet',
      type: 'boolean',
      description: 'No progress on stderr (errors and warnings are still shown).',
    },
    ...DIAGNOSTICS_OPTIONS,
  ],
  notes: [
    'The result is the allocation JSON (format "alphalora-studio/allocation"): per-layer α with every matrix metric, the expert allocation and the MoLA flags. Progress goes to stderr: a bar on a terminal, plain lines otherwise.',
    DEFAULTS_NOTE,
    'An incomplete result (a shard the index names is missing, tensors failed to read, layers of the model have no α) is marked in the JSON ("complete": false, "missing": {"files", "layers"}) and still written; the MoLA flags are withheld.',
    'Exit codes: 0 success; 2 usage error, or --format mola refused because a layer gets 0 or fewer experts, or a --for schedule that cannot be made from these α with these options (a rank budget below m × layers, α without module names for peft); 3 an input could not be read or the result is incomplete (the message names the file; the readable files are still analysed and the marked JSON written).',
  ],
};

export const allocateSpec: CommandSpec = {
  name: 'allocate',
  summary: 'allocate LoRA experts from precomputed layer α (no weights needed)',
  synopsis: `--alphas <alphas.json|alphas.csv|result.json|-> ${ALLOCATION_SYNOPSIS} [--format json|mola|csv|peft|alphapruning|tempbalance] [--out file]`,
  positionals: null,
  options: [
    {
      name: 'alphas',
      type: 'string',
      value: 'file',
      description:
        'Layer α: a JSON array of numbers (one per layer), JSON per-matrix α with names, a CSV (layer,alpha or name,alpha; WeightWatcher details CSV columns layer_id/name/alpha), or an allocation JSON written by `analyze`. "-" reads standard input.',
    },
    ...ALLOCATION_OPTIONS,
    ...SCHEDULE_OPTIONS,
    ALLOCATION_FORMAT_OPTION,
    fileOption('out', 'Write the result to this file instead of standard output.'),
  ],
  notes: [
    DEFAULTS_NOTE,
    "An allocation JSON written by this tool keeps its per-matrix α, estimator, model, roles and settings: budget, β, mode, rank and target modules default to the file's own, and the JSON written back equals the file apart from createdAt.",
  ],
};

export const inspectSpec: CommandSpec = {
  name: 'inspect',
  summary: 'show formats, architecture, tensors and what would be analysed',
  synopsis: '<file|folder>... [--roles q_proj,k_proj,...] [--layers 0-15] [--include-other] [--json]',
  positionals: {
    value: '<file|folder>...',
    description:
      'Checkpoint files (safetensors, GGUF, ONNX, PyTorch .bin/.pt, llama2.c .bin), shards, config.json, index files, or folders holding them.',
    min: 1,
  },
  options: [
    {
      name: 'roles',
      type: 'string',
      value: 'list',
      description: 'Comma-separated matrix roles an analysis would keep (e.g. q_proj,v_proj).',
      default: 'every Linear matrix of each block',
    },
    {
      name: 'layers',
      type: 'string',
      value: 'a-b',
      description: 'Inclusive range of blocks an analysis would keep (e.g. 0-15), or one block (7).',
      default: 'all blocks',
    },
    {
      name: 'include-other',
      type: 'boolean',
      description:
        'Plan the matrices outside the attention/MLP blocks too (unrecognised names, convolutions), as `analyze --include-other` would.',
    },
    { name: 'json', type: 'boolean', description: 'Print the description as JSON instead of text.' },
  ],
};

export const fitSpec: CommandSpec = {
  name: 'fit',
  summary: 'fit the power-law tail of an eigenvalue list computed elsewhere',
  synopsis: '--eigenvalues <file.json|-> [--estimator alphalora|weightwatcher|hill-mid|clip-xmax]',
  positionals: null,
  options: [
    {
      name: 'eigenvalues',
      type: 'string',
      value: 'file.json|-',
      description:
        'A JSON array of eigenvalues (λ = squared singular values), or an object with an "eigenvalues" array; ' +
        '"-" reads standard input. Any order: the list is sorted ascending first (xminIndex refers to the sorted list).',
    },
    estimatorOptionSpec('', 'the released AlphaLoRA fit'),
  ],
  notes: [
    'Prints { alpha, xmin, xminIndex, D, tail, sigma } as JSON (plus "failed" with the reason when no fit exists; with clip-xmax also numFingers and rawAlpha).',
  ],
};

export const mergeSpec: CommandSpec = {
  name: 'merge',
  summary: 'join results computed separately (layer ranges, shards) and recompute the allocation',
  synopsis: `<part.json>... ${ALLOCATION_SYNOPSIS} [--format json|peft|alphapruning|tempbalance] --out all.json`,
  positionals: {
    value: '<part.json>...',
    description:
      'Allocation JSONs written by `alphalora analyze` for the same model, e.g. with --layers 0-15 and --layers 16-31, or one shard each.',
    min: 1,
  },
  options: [
    ...ALLOCATION_OPTIONS.map((o) => ({
      ...o,
      default: `the parts' own value when they all agree, else ${o.default}`,
    })),
    ...SCHEDULE_OPTIONS,
    {
      name: 'format',
      type: 'string',
      value: 'json|peft|alphapruning|tempbalance',
      description: 'json: the merged allocation JSON; ' + SCHEDULE_FORMAT_DESCRIPTION,
      default: 'json',
    },
    fileOption('out', 'Write the merged allocation JSON to this file (standard output when omitted).'),
  ],
  notes: [
    'Parts from different models (name, architecture, layer count, matrix shapes per role) or estimators are refused, and so is the same matrix in two parts. A layer split across parts (a block spread over two shards) is joined, its α recomputed as the mean of its matrices.',
    'Analysing one shard alone reports the other shards as missing (exit code 3) but still writes its part; merge the parts of all shards.',
  ],
};

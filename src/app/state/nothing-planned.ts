/**
 * What the page says when the plan holds no matrix: which option would include which of the tensors
 * listed as not analysed, or that there is no weight matrix at all. Each tensor's group (decided in
 * src/core/model/block-matrix.ts, whose groups the plan's rules follow) says which option includes it:
 * embeddings and heads need "embeddings and output heads"; convolutions (pooled over their kernel
 * positions) and matrices outside the attention/MLP blocks need "other matrices"; block matrices are left
 * out only by the roles and layers chosen.
 */
import type { PlanOptions, TensorSummary } from '../../../workers/contract';
import { countOf } from '../util/format';

type Tensor = Pick<TensorSummary, 'group' | 'analysed'>;

const EMBEDDINGS_OPTION = '"embeddings and output heads"';
const OTHER_OPTION = '"other matrices"';

/** What a model without transformer blocks gets: its spectra and α, never an expert allocation. */
export const NO_BLOCKS_SENTENCE =
  'This model has no transformer blocks: AlphaLoRA allocates LoRA experts over transformer blocks, so it gets no expert allocation; the spectra and α of its other matrices can still be analysed.';

export function nothingPlannedMessage(tensors: readonly Tensor[], plan: PlanOptions): string {
  // Each tensor left out, by its group (the core's, which the plan's rules follow): norms and tensors
  // with no spectrum to compute are not counted.
  const left = { block: 0, embedding: 0, convolution: 0, other: 0, norm: 0, none: 0 };
  for (const t of tensors) if (!t.analysed) left[t.group]++;
  const { embedding: embeddings, convolution: convolutions, other: others, block: blocks } = left;
  // No tensor at all: there is no list to point to.
  if (tensors.length === 0) return 'Nothing to analyse: the opened files hold no tensor.';
  if (embeddings + convolutions + others + blocks === 0)
    return 'Nothing to analyse: no weight matrix was found in the opened files (a matrix is a 2-D weight with both sides ≥ 2, or a convolution with at least 2 input and 2 output channels); the model summary lists why each tensor is not analysed.';

  const steps: string[] = [];
  // Not counted: a head tied to the embedding is listed but analysed once, as the embedding.
  if (embeddings > 0 && plan.includeEmbeddings !== true)
    steps.push(`tick ${EMBEDDINGS_OPTION} to include the embedding and head matrices`);
  const outside: string[] = [];
  if (convolutions > 0)
    outside.push(
      `${countOf(convolutions, 'convolution')} (pooled over the kernel positions, as WeightWatcher does)`,
    );
  if (others > 0) outside.push(countOf(others, 'matrix', 'matrices') + ' outside the attention/MLP blocks');
  if (outside.length > 0 && plan.includeOther !== true)
    steps.push(`tick ${OTHER_OPTION} to include ${outside.join(' and ')}`);
  // Block matrices, and included ones that the roles or layers still leave out.
  if (blocks > 0 || steps.length === 0)
    steps.push(
      blocks > 0
        ? `widen the roles and layers to include ${countOf(blocks, 'attention/MLP matrix', 'attention/MLP matrices')}`
        : 'widen the roles and layers: they leave out every matrix listed',
    );
  // No transformer block at all: say plainly that there will be no allocation, whatever is ticked.
  const noBlocks = blocks === 0 && embeddings + convolutions + others > 0 ? ` ${NO_BLOCKS_SENTENCE}` : '';
  return `Nothing to analyse with the current selection: under the model summary, ${steps.join('; ')}.${noBlocks}`;
}

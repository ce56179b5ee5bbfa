/**
 * Why the plan leaves a tensor out, as a code that programs read and the words that people read (the
 * words are what `inspect`, the page's model summary and the JSON have always shown). The rules follow
 * the tensor's group (src/core/model/block-matrix.ts): block matrices are analysed by default, embeddings
 * and heads and the other matrices each have their own switch, norms and non-matrices never are.
 */
import type { TensorHandle } from '../formats/types';
import { tensorGroup } from '../model/block-matrix';

export type SkipCode =
  /** The tensor itself cannot be analysed (its dtype, its shape, missing data): the reader's words. */
  | 'not-analysable'
  /** The same weights as another tensor, analysed once under that name. */
  | 'tied'
  /** 1-D or otherwise no matrix. */
  | 'not-a-matrix'
  | 'norm'
  /** An embedding or head, left out unless "embeddings and output heads" (--include-embeddings). */
  | 'embedding-or-head'
  /** A convolution, left out unless "other matrices" (--include-other). */
  | 'convolution'
  /** A matrix outside the blocks, left out unless "other matrices". */
  | 'outside-blocks'
  /** A matrix in a block that is not attention or MLP, left out unless "other matrices". */
  | 'not-attention-or-mlp'
  /** A block matrix whose role is not selected. */
  | 'role'
  /** A matrix in a layer outside the selected range. */
  | 'layers';

export interface SkipReason {
  code: SkipCode;
  /** The reason in words, as shown to the user. */
  reason: string;
}

/** The selection the rules read (PlanOptions', plan.ts, without importing it back). */
export interface Selection {
  roles?: readonly string[];
  layers?: readonly [number, number];
  includeEmbeddings?: boolean;
  includeOther?: boolean;
}

/** Why a tensor is not analysed under these options, or null when it is. */
export function skipReasonOf(tensor: TensorHandle, opts: Selection): SkipReason | null {
  if (tensor.skipReason !== null) return { code: 'not-analysable', reason: tensor.skipReason };
  if (tensor.tiedTo !== undefined)
    return {
      code: 'tied',
      reason: `tied to ${tensor.tiedTo} (the same weights): analysed once, as ${tensor.tiedTo}`,
    };
  const { kind, layer, role } = tensor.placement;
  const conv = tensor.kernelMatrices;
  switch (tensorGroup(tensor)) {
    case 'none':
      return { code: 'not-a-matrix', reason: `not a matrix (shape [${tensor.shape.join(', ')}])` };
    case 'norm':
      return { code: 'norm', reason: 'normalisation weight, not a Linear matrix' };
    case 'embedding':
      // Roles and the layer range select decoder-block matrices; embeddings and heads have their own switch.
      if (opts.includeEmbeddings) return null;
      return {
        code: 'embedding-or-head',
        reason: `${kind} matrix: not analysed by default (AlphaLoRA allocates over the decoder blocks)`,
      };
    case 'convolution':
      if (!opts.includeOther && conv !== undefined)
        return {
          code: 'convolution',
          reason: `convolution weight (${conv.count} kernel ${conv.count === 1 ? 'matrix' : 'matrices'} [${conv.shape.join(', ')}], pooled as WeightWatcher does): not analysed by default; include other matrices (app option, CLI --include-other) to analyse it`,
        };
      break;
    case 'other':
      if (!opts.includeOther)
        return layer === null
          ? { code: 'outside-blocks', reason: 'outside the decoder blocks: not analysed by default' }
          : {
              code: 'not-attention-or-mlp',
              reason: 'not an attention or MLP Linear matrix: not analysed by default',
            };
      break;
    case 'block':
      // Roles select block matrices (the app lists only their roles); "other" matrices have their own
      // switch, and the layer range applies to every matrix that sits in a layer.
      if (opts.roles !== undefined && !opts.roles.includes(role))
        return { code: 'role', reason: `role ${role} not selected (roles: ${opts.roles.join(',')})` };
      break;
  }
  if (opts.layers !== undefined && layer !== null) {
    const [first, last] = opts.layers;
    if (layer < first || layer > last)
      return { code: 'layers', reason: `layer ${layer} outside the selected layers ${first}-${last}` };
  }
  return null;
}

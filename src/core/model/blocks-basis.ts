/**
 * What a model's "layers" are, in words, for the page and the JSON: the transformer blocks its tensor names
 * number, the blocks an ONNX inference graph shows (graph-blocks.ts; there the names say nothing, so the
 * reader must be told what was taken for a block), or none at all (then nothing is grouped into layers).
 */
import type { TensorPlacement } from '../formats/types';

export type BlocksSource = 'names' | 'graph' | 'none';

export interface BlocksBasis {
  /** Where the blocks come from: tensor names, the ONNX graph, or no blocks. */
  source: BlocksSource;
  /** One or two sentences saying what the layers are (or that there are none and how matrices are grouped). */
  description: string;
}

/** The role order a block's weights are named in (canonical: attention first, then the MLP). */
const ROLE_ORDER = ['qkv_proj', 'q_proj', 'k_proj', 'v_proj', 'qk_proj', 'kv_proj', 'qv_proj', 'o_proj'];
const roleRank = (role: string): number => {
  const i = ROLE_ORDER.indexOf(role);
  return i >= 0 ? i : ROLE_ORDER.length + ['gate_proj', 'up_proj', 'fc1', 'down_proj', 'fc2'].indexOf(role);
};
/** Blocks listed by weight name before "…": enough to find them, short enough for one line. */
const LISTED_BLOCKS = 3;

export function blocksBasis(
  tensors: readonly { name: string; placement: TensorPlacement }[],
  numLayers: number,
  /** Weight name -> placement the ONNX graph gave, when the graph (not the names) placed the blocks. */
  byGraph: ReadonlyMap<string, TensorPlacement>,
): BlocksBasis {
  const layers = numLayers === 1 ? '1 layer' : `${numLayers} layers`;
  if (byGraph.size > 0) {
    // 1. Per block, its weights in role order (graph placements only: a name may still number a layer).
    const blocks = new Map<number, { name: string; role: string }[]>();
    for (const t of tensors) {
      const p = byGraph.get(t.name.replace(/#.*$/, ''));
      if (!p || t.placement.layer === null) continue;
      const list = blocks.get(t.placement.layer) ?? [];
      list.push({ name: t.name, role: t.placement.role });
      blocks.set(t.placement.layer, list);
    }
    const order = [...blocks.keys()].sort((a, b) => a - b);
    const roles = [...new Set(order.flatMap((l) => blocks.get(l)!.map((w) => w.role)))].sort(
      (a, b) => roleRank(a) - roleRank(b),
    );
    // 2. Which weights each block holds, by name, so the reader can find them in the graph.
    const listed = order.slice(0, LISTED_BLOCKS).map((l) => {
      const names = blocks.get(l)!.map((w) => w.name);
      return `block ${l}: ${names.join(', ')}`;
    });
    const more = order.length > LISTED_BLOCKS ? `; … ${order.length - LISTED_BLOCKS} more` : '';
    return {
      source: 'graph',
      description:
        `The ${layers} are the transformer blocks found in the ONNX inference graph (its node and weight ` +
        `names say nothing about blocks): each is an attention core (a Softmax between two MatMuls) with ` +
        `the weights that project it and the MLP after it, in graph order; roles ${roles.join(', ')} ` +
        `(${listed.join('; ')}${more}). Every other matrix is outside the blocks.`,
    };
  }
  if (numLayers > 0)
    return {
      source: 'names',
      description: `The ${layers} are the model's transformer blocks, numbered as its tensor names number them.`,
    };
  return {
    source: 'none',
    description:
      'No transformer blocks: no tensor name places a matrix in a block' +
      ' and no ONNX graph shows an attention core (a Softmax between two MatMuls), so there are no layers;' +
      ' each matrix stands alone, by its tensor name and kind (embedding, convolution or other).',
  };
}

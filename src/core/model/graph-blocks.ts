/**
 * Transformer blocks found in a computation graph (ONNX) rather than in tensor names. Exporters such as
 * paddle2onnx name every node p2o.MatMul.N and every weight linear_N.w_0: nothing in a name says which
 * block a weight belongs to or what it does. The graph does:
 *
 * 1. An attention core is a Softmax between two activation×activation MatMuls: scores = Q·Kᵀ before it,
 *    Softmax(scores)·V after it.
 * 2. Tracing the data path back from Q, K and V (through reshapes, transposes, slices, bias adds and
 *    scalings) reaches the weight MatMul/Gemm that projects each: one weight for all three is a fused
 *    qkv_proj (its output split on the way); otherwise q_proj, k_proj, v_proj. A core with no projection
 *    of its own (none found, or one unsplit weight behind all three) is no block. The first weight
 *    MatMul/Gemm fed by the attention output is o_proj.
 * 3. The block's MLP is the weight MatMul/Gemm ops after o_proj in graph order, before the next block's
 *    projections and before any convolution: two chained ones are fc1 → fc2; three where the first two
 *    read the same input are gate_proj, up_proj → down_proj.
 *
 * Blocks are numbered in graph order of their attention cores. Weights this finds nothing for keep the
 * placement their names give.
 */
import type { TensorPlacement } from '../formats/types';
import { minOf, pushAll } from '../array';

export interface GraphNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
}

/** Ops that pass a weight through unchanged in layout terms (a MatMul may read its weight through them). */
const WEIGHT_PASS = new Set(['Cast', 'Transpose', 'DequantizeLinear', 'Identity', 'Reshape']);
/** Element-wise ops whose every input is data (bias adds, scalings, masks). */
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Where']);
const WEIGHTED = new Set(['MatMul', 'Gemm']);
const MAX_DEPTH = 12;

interface Graph {
  nodes: GraphNode[];
  producer: Map<string, number>;
  consumers: Map<string, number[]>;
  /** Node index -> the weight it multiplies by, for MatMul/Gemm nodes with a weight operand. */
  weightOf: Map<number, string>;
  /** Node index -> which of its inputs (0 or 1) is the weight operand. */
  weightSlot: Map<number, number>;
}

function buildGraph(nodes: GraphNode[], weights: ReadonlySet<string>): Graph {
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) producer.set(o, i);
    for (const input of n.inputs) {
      const list = consumers.get(input) ?? [];
      list.push(i);
      consumers.set(input, list);
    }
  });
  // A weight operand is a weight tensor, possibly read through up to 3 pass-through nodes.
  const weightBehind = (value: string): string | null => {
    let v = value;
    for (let hop = 0; hop <= 3; hop++) {
      if (weights.has(v)) return v;
      const p = producer.get(v);
      if (p === undefined || !WEIGHT_PASS.has(nodes[p]!.opType)) return null;
      v = nodes[p]!.inputs[0] ?? '';
    }
    return null;
  };
  const weightOf = new Map<number, string>();
  const weightSlot = new Map<number, number>();
  nodes.forEach((n, i) => {
    if (!WEIGHTED.has(n.opType)) return;
    for (const slot of [1, 0]) {
      const w = weightBehind(n.inputs[slot] ?? '');
      if (w === null) continue;
      weightOf.set(i, w);
      weightSlot.set(i, slot);
      return;
    }
  });
  return { nodes, producer, consumers, weightOf, weightSlot };
}

/**
 * The inputs that carry data (not shapes, indices or axes) for the backward trace. Where(cond, a, b)
 * selects between a and b; its condition is a mask, not data.
 */
function dataInputs(n: GraphNode): string[] {
  if (n.opType === 'Where') return n.inputs.slice(1, 3);
  return BINARY.has(n.opType) ? n.inputs : n.inputs.slice(0, 1);
}

/** Ops that take a part of a value: how a fused QKV projection's output becomes Q, K and V. */
const SELECT = new Set(['Slice', 'Split', 'Gather']);

interface Projection {
  node: number;
  /** True when the path from the projection passed an op that takes a part of it (SELECT). */
  selected: boolean;
}

/** The nearest weight MatMul/Gemm behind a value along the data path (breadth first), or null. */
function projectionBehind(g: Graph, value: string): Projection | null {
  let frontier: { v: string; selected: boolean }[] = [{ v: value, selected: false }];
  const seen = new Set<string>();
  for (let depth = 0; depth < MAX_DEPTH && frontier.length > 0; depth++) {
    const next: { v: string; selected: boolean }[] = [];
    for (const { v, selected } of frontier) {
      if (seen.has(v)) continue;
      seen.add(v);
      const p = g.producer.get(v);
      if (p === undefined) continue;
      if (g.weightOf.has(p)) return { node: p, selected };
      const op = g.nodes[p]!.opType;
      // Another matrix product, a convolution or a Softmax is the end of this projection's path.
      if (WEIGHTED.has(op) || op === 'Conv' || op === 'Softmax') continue;
      const part = selected || SELECT.has(op);
      for (const input of dataInputs(g.nodes[p]!)) next.push({ v: input, selected: part });
    }
    frontier = next;
  }
  return null;
}

/**
 * Q, K and V of an attention core by their projections, or null when the core has none of its own:
 * no projection at all, or one weight op reached unsplit by all three (Q = K = V = one activation, as in
 * parameter-free attention pooling; the trace then reaches the weight op before it, often the previous
 * block's down_proj through the residual). A fused QKV projection is split (Slice, Split, Gather) on the way.
 */
function projectionsOf(
  g: Graph,
  core: Core,
): { q: number | null; k: number | null; v: number | null } | null {
  const q = projectionBehind(g, g.nodes[core.score]!.inputs[0] ?? '');
  const k = projectionBehind(g, g.nodes[core.score]!.inputs[1] ?? '');
  const v = projectionBehind(g, g.nodes[core.value]!.inputs[1] ?? '');
  const found = [q, k, v].filter((x): x is Projection => x !== null);
  if (found.length === 0) return null;
  const one = found.every((x) => x.node === found[0]!.node);
  if (found.length > 1 && one && !found.some((x) => x.selected)) return null;
  return { q: q?.node ?? null, k: k?.node ?? null, v: v?.node ?? null };
}

/** The nearest node downstream of a value (breadth first) that satisfies `match`, or null. */
function firstDownstream(
  g: Graph,
  value: string,
  match: (i: number) => boolean,
  stopAt: Set<string>,
): number | null {
  let frontier = [value];
  const seen = new Set<string>();
  for (let depth = 0; depth < MAX_DEPTH && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const v of frontier) {
      if (seen.has(v)) continue;
      seen.add(v);
      for (const c of g.consumers.get(v) ?? []) {
        if (match(c)) return c;
        if (!stopAt.has(g.nodes[c]!.opType)) pushAll(next, g.nodes[c]!.outputs);
      }
    }
    frontier = next;
  }
  return null;
}

interface Core {
  score: number;
  value: number;
}

/**
 * The score product Q·Kᵀ behind a Softmax input: the nearest weightless MatMul (breadth first) back
 * through scalings, casts and masks along every data input, since a mask may come first
 * (Add(mask, scores)) or the scores may be Where's second operand (Where(causal, scores, -inf), as HF
 * exports causal masks). A weight MatMul ends its path: that is a projection, not a score.
 */
function scoreProduct(g: Graph, value: string): number | null {
  let frontier = [value];
  const seen = new Set<string>();
  for (let depth = 0; depth < 4 && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const v of frontier) {
      if (seen.has(v)) continue;
      seen.add(v);
      const p = g.producer.get(v);
      if (p === undefined) continue;
      const op = g.nodes[p]!.opType;
      if (op === 'MatMul') {
        if (!g.weightOf.has(p)) return p;
        continue;
      }
      if (BINARY.has(op) || op === 'Cast') pushAll(next, dataInputs(g.nodes[p]!));
    }
    frontier = next;
  }
  return null;
}

/** Softmax(Q·Kᵀ)·V: both products multiply two activations (no weight). */
function attentionCores(g: Graph): Core[] {
  const cores: Core[] = [];
  for (const n of g.nodes) {
    if (n.opType !== 'Softmax') continue;
    const score = scoreProduct(g, n.inputs[0] ?? '');
    if (score === null) continue;
    const value = firstDownstream(
      g,
      n.outputs[0] ?? '',
      (c) => g.nodes[c]!.opType === 'MatMul' && !g.weightOf.has(c),
      new Set(['MatMul', 'Gemm', 'Conv', 'Softmax']),
    );
    if (value !== null) cores.push({ score, value });
  }
  return cores.sort((a, b) => a.score - b.score);
}

/** The data input of a weight op (the operand that is not its weight). */
function activationOf(g: Graph, i: number): string {
  return g.nodes[i]!.inputs[g.weightSlot.get(i) === 0 ? 1 : 0] ?? '';
}

/** True when the value `to` reads is produced, along the data path, from node `from`'s output. */
function feeds(g: Graph, from: number, to: number): boolean {
  let frontier = [activationOf(g, to)];
  const target = new Set(g.nodes[from]!.outputs);
  const seen = new Set<string>();
  for (let depth = 0; depth < MAX_DEPTH && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const v of frontier) {
      if (target.has(v)) return true;
      if (seen.has(v)) continue;
      seen.add(v);
      const p = g.producer.get(v);
      if (p === undefined || g.weightOf.has(p) || g.nodes[p]!.opType === 'Conv') continue;
      pushAll(next, dataInputs(g.nodes[p]!));
    }
    frontier = next;
  }
  return false;
}

/**
 * Weight name -> placement for every weight the graph puts in a transformer block. Empty when the graph
 * has no attention core (then names alone place the tensors).
 */
export function placeByGraph(nodes: GraphNode[], weights: ReadonlySet<string>): Map<string, TensorPlacement> {
  const g = buildGraph(nodes, weights);
  const out = new Map<string, TensorPlacement>();
  const blocks = attentionCores(g).flatMap((core) => {
    const projections = projectionsOf(g, core);
    if (projections === null) return [];
    const { q, k, v } = projections;
    const o = firstDownstream(
      g,
      g.nodes[core.value]!.outputs[0] ?? '',
      (c) => g.weightOf.has(c),
      new Set(['MatMul', 'Gemm', 'Conv', 'Softmax']),
    );
    return [{ q, k, v, o, start: minOf([q, k, v, core.score].filter((x): x is number => x !== null)) }];
  });
  const weightOps = [...g.weightOf.keys()].sort((a, b) => a - b);
  const convs = g.nodes.flatMap((n, i) => (n.opType === 'Conv' ? [i] : []));
  blocks.forEach((b, layer) => {
    const put = (node: number | null, role: string, kind: TensorPlacement['kind']): void => {
      const w = node === null ? undefined : g.weightOf.get(node);
      if (w !== undefined && !out.has(w)) out.set(w, { layer, role, kind });
    };
    // Q, K and V: one role per distinct weight, named after the projections it makes (qkv_proj, q_proj…).
    const letters = new Map<number, string>();
    for (const [node, letter] of [
      [b.q, 'q'],
      [b.k, 'k'],
      [b.v, 'v'],
    ] as const)
      if (node !== null) letters.set(node, (letters.get(node) ?? '') + letter);
    for (const [node, l] of letters) put(node, `${l}_proj`, 'attention');
    if (b.o === null) return;
    put(b.o, 'o_proj', 'attention');
    // The MLP: weight ops after o_proj, before the next block and before any convolution.
    const end = Math.min(blocks[layer + 1]?.start ?? Infinity, convs.find((c) => c > b.o!) ?? Infinity);
    const mlp = weightOps.filter((i) => i > b.o! && i < end && !letters.has(i));
    const [m0, m1, m2] = mlp;
    if (m0 === undefined || m1 === undefined) return;
    if (m2 !== undefined && activationOf(g, m0) === activationOf(g, m1) && feeds(g, m1, m2)) {
      put(m0, 'gate_proj', 'mlp');
      put(m1, 'up_proj', 'mlp');
      put(m2, 'down_proj', 'mlp');
    } else if (feeds(g, m0, m1)) {
      put(m0, 'fc1', 'mlp');
      put(m1, 'fc2', 'mlp');
    }
  });
  return out;
}

/**
 * Which matrix of model B is the counterpart of which matrix of model A (compare).
 *
 * 1. By name: the same tensor name in both (two safetensors checkpoints of one architecture).
 * 2. By layer and role: names differ between formats (GGUF `blk.0.attn_q.weight` vs safetensors
 *    `model.layers.0.self_attn.q_proj.weight`), but model/architecture.ts places both at layer 0, role
 *    q_proj, so the placement the analysis already carries is the canonical key. Only a key that is unique
 *    on both sides is matched: two candidates (an unknown "other" name repeated per sub-module) would be a
 *    guess, so they stay unmatched with the reason.
 *
 * Nothing is dropped: every matrix is either in a pair or in its side's unmatched list with a reason.
 * Shapes are compared as each reader presents them: GGUF stores dims innermost first and its reader
 * reverses them (formats/gguf.ts), so a GGUF matrix is [out, in] like PyTorch's; a pair whose shapes are
 * each other's transpose (GPT-2 Conv1D [in, out] vs a Linear [out, in]) or differ is still paired (its α
 * compare; the spectrum of W and Wᵀ is the same) but marked, and the distance code handles or refuses it.
 */

/** What matching needs to know of a matrix (MatrixResult and MatrixInfo have it; a plan item maps to it). */
export interface MatchKey {
  name: string;
  layer: number | null;
  role: string;
  /** [rows, cols] as analysed. */
  shape: readonly [number, number];
}

export type MatchedBy = 'name' | 'layer-role';

/** 'equal', 'transposed' (B is Aᵀ's shape, not square), or 'different'. */
export type ShapeAgreement = 'equal' | 'transposed' | 'different';

export interface MatrixPair<A extends MatchKey = MatchKey, B extends MatchKey = MatchKey> {
  a: A;
  b: B;
  by: MatchedBy;
  shapes: ShapeAgreement;
}

export interface Unmatched<M extends MatchKey = MatchKey> {
  matrix: M;
  /** Why it has no counterpart, in words (names the other side's candidates when ambiguous). */
  reason: string;
}

export interface MatrixMatching<A extends MatchKey = MatchKey, B extends MatchKey = MatchKey> {
  /** In A's order. */
  pairs: MatrixPair<A, B>[];
  unmatchedA: Unmatched<A>[];
  unmatchedB: Unmatched<B>[];
}

export function shapeAgreement(a: readonly [number, number], b: readonly [number, number]): ShapeAgreement {
  if (a[0] === b[0] && a[1] === b[1]) return 'equal';
  if (a[0] === b[1] && a[1] === b[0]) return 'transposed';
  return 'different';
}

/** The layer-and-role key of a matrix: `0/q_proj`, or `-/embed_tokens` outside the blocks. */
export function placementKey(m: Pick<MatchKey, 'layer' | 'role'>): string {
  return `${m.layer ?? '-'}/${m.role}`;
}

/** Pairs the matrices of A and B (see the module comment). Pure; each side's names are unique. */
export function matchMatrices<A extends MatchKey, B extends MatchKey>(
  a: readonly A[],
  b: readonly B[],
): MatrixMatching<A, B> {
  const bByName = new Map(b.map((m) => [m.name, m]));
  const usedB = new Set<B>();
  const byA = new Map<A, { b: B; by: MatchedBy }>();

  // 1. Same name.
  for (const m of a) {
    const other = bByName.get(m.name);
    if (other !== undefined && !usedB.has(other)) {
      byA.set(m, { b: other, by: 'name' });
      usedB.add(other);
    }
  }

  // 2. Same layer and role among those left, when the key is unique on both sides.
  const restA = a.filter((m) => !byA.has(m));
  const restB = b.filter((m) => !usedB.has(m));
  const groupsA = groupBy(restA);
  const groupsB = groupBy(restB);
  const ambiguous = new Map<MatchKey, string>();
  for (const [key, listA] of groupsA) {
    const listB = groupsB.get(key) ?? [];
    if (listA.length === 1 && listB.length === 1) {
      byA.set(listA[0]!, { b: listB[0]!, by: 'layer-role' });
      usedB.add(listB[0]!);
    } else if (listB.length > 0) {
      const why = `${keyWords(listA[0]!)} is held by ${listA.length} matrices of A (${names(listA)}) and ${listB.length} of B (${names(listB)}): no unique counterpart`;
      for (const m of [...listA, ...listB]) ambiguous.set(m, why);
    }
  }

  const pairs: MatrixPair<A, B>[] = [];
  const unmatchedA: Unmatched<A>[] = [];
  for (const m of a) {
    const hit = byA.get(m);
    if (hit !== undefined) {
      pairs.push({ a: m, b: hit.b, by: hit.by, shapes: shapeAgreement(m.shape, hit.b.shape) });
    } else {
      unmatchedA.push({ matrix: m, reason: ambiguous.get(m) ?? noCounterpart(m, 'B') });
    }
  }
  const unmatchedB = b
    .filter((m) => !usedB.has(m))
    .map((m) => ({ matrix: m, reason: ambiguous.get(m) ?? noCounterpart(m, 'A') }));
  return { pairs, unmatchedA, unmatchedB };
}

function groupBy<M extends MatchKey>(list: readonly M[]): Map<string, M[]> {
  const out = new Map<string, M[]>();
  for (const m of list) {
    const key = placementKey(m);
    const group = out.get(key);
    if (group === undefined) out.set(key, [m]);
    else group.push(m);
  }
  return out;
}

function keyWords(m: Pick<MatchKey, 'layer' | 'role'>): string {
  return m.layer === null ? `role ${m.role} outside the blocks` : `layer ${m.layer}, role ${m.role}`;
}

function names(list: readonly MatchKey[]): string {
  const shown = list.slice(0, 3).map((m) => m.name);
  return list.length > 3 ? `${shown.join(', ')}, …` : shown.join(', ');
}

function noCounterpart(m: MatchKey, other: 'A' | 'B'): string {
  return `no matrix of ${other} has this name or ${keyWords(m)}`;
}

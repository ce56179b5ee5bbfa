/**
 * AlphaLoRA's layer-wise expert allocation (arXiv 2410.10054): layers with a larger power-law α (less
 * well trained) get more LoRA experts.
 *
 * Faithful mode reproduces the released `expert_number.py` bit for bit:
 *   sᵢ = αᵢ^β;  nᵢ = roundHalfEven(sᵢ / Σs · T)   (Σ as numpy sums: pairwise)
 *   while Σn ≠ T: Σn < T → nᵢ += 1 at the first argmin(sᵢ − nᵢ); Σn > T → nᵢ −= 1 at the first
 *   argmax(sᵢ − nᵢ). The fix-up compares the RAW sᵢ with the counts, not the scaled targets — a quirk of
 *   the reference (it sends extra experts to the lowest-α layer) kept on purpose.
 * At small budgets it can give a layer 0 or even negative experts: it does, with a warning.
 *
 * Safe mode is our deviation from the paper code, labelled as such: largest remainder on the scaled
 * targets tᵢ = sᵢ / Σs · T with every layer ≥ 1 (floors clamped to 1, then the remaining experts to the
 * largest tᵢ − nᵢ, or taken back from the smallest tᵢ − nᵢ among layers above 1; ties to the lower layer).
 *
 * top_kᵢ = 2 where nᵢ > 1, else 1 (as the released code sets it).
 */
import { StudioError } from '../errors';
import { itemAt } from '../item-at';
import { numpySum, roundHalfEven } from './numpy';

export type AllocationMode = 'faithful' | 'safe';

export interface Allocation {
  experts: number[];
  topK: number[];
  warnings: string[];
}

/** Faithful mode: the released expert_number.py, quirks included. */
export function allocateFaithful(alphas: number[], beta: number, budget: number): Allocation {
  const s = scores(alphas, beta, budget);
  const total = numpySum(s);
  const n = s.map((si) => roundHalfEven((si / total) * budget));
  let sum = n.reduce((a, b) => a + b, 0);
  while (sum !== budget) {
    if (sum < budget) {
      const pick = firstArgExtreme(s, n, (d, best) => d < best);
      addExpert(n, pick, 1);
      sum += 1;
    } else {
      const pick = firstArgExtreme(s, n, (d, best) => d > best);
      addExpert(n, pick, -1);
      sum -= 1;
    }
  }
  const warnings: string[] = [];
  const empty = n.flatMap((v, i) => (v <= 0 ? [`${i} (${v})`] : []));
  if (empty.length > 0) {
    warnings.push(
      `Faithful mode gave ${empty.length} layer(s) zero or negative experts at budget ${budget}: layer ` +
        `${empty.join(', ')}. This is what the released AlphaLoRA code does; raise the budget or use safe mode.`,
    );
  }
  return { experts: n, topK: topKFor(n), warnings };
}

/** Safe mode: largest remainder on the scaled targets, every layer ≥ 1 (a deviation from the paper code). */
export function allocateSafe(alphas: number[], beta: number, budget: number): Allocation {
  const s = scores(alphas, beta, budget);
  const L = s.length;
  const warnings = [
    'Safe mode (largest remainder, every layer ≥ 1) is a deviation from the released AlphaLoRA code.',
  ];
  if (budget < L) {
    warnings.push(
      `A budget of ${budget} cannot give each of ${L} layers an expert: every layer gets 1 (total ${L}).`,
    );
    const ones = s.map(() => 1);
    return { experts: ones, topK: topKFor(ones), warnings };
  }
  const total = numpySum(s);
  const target = s.map((si) => (si / total) * budget);
  const n = target.map((t) => Math.max(1, Math.floor(t)));
  let sum = n.reduce((a, b) => a + b, 0);
  // Each step moves one expert; at most L steps each way (floors lose < 1 each, clamps add < 1 each).
  while (sum < budget) {
    const pick = firstArgExtreme(target, n, (d, best) => d > best);
    addExpert(n, pick, 1);
    sum += 1;
  }
  while (sum > budget) {
    const gap = (i: number): number => itemAt(target, i, 'safe allocation') - itemAt(n, i, 'safe allocation');
    let pick = -1;
    for (let i = 0; i < L; i++) {
      if (itemAt(n, i, 'safe allocation') > 1 && (pick < 0 || gap(i) < gap(pick))) pick = i;
    }
    addExpert(n, pick, -1);
    sum -= 1;
  }
  return { experts: n, topK: topKFor(n), warnings };
}

export function allocate(
  alphas: number[],
  opts: { mode: AllocationMode; beta: number; budget: number },
): Allocation {
  return opts.mode === 'faithful'
    ? allocateFaithful(alphas, opts.beta, opts.budget)
    : allocateSafe(alphas, opts.beta, opts.budget);
}

/** top_k per layer: 2 where a layer has more than one expert, else 1. */
export function topKFor(experts: number[]): number[] {
  return experts.map((n) => (n > 1 ? 2 : 1));
}

/** sᵢ = αᵢ^β, after checking the inputs (a failed layer's NaN α must not slip into the budget). */
function scores(alphas: number[], beta: number, budget: number): number[] {
  if (alphas.length === 0) throw new StudioError('BAD_INPUT', 'No layer α to allocate experts from.');
  const bad = alphas.findIndex((a) => !(Number.isFinite(a) && a > 0));
  if (bad >= 0) {
    throw new StudioError(
      'BAD_INPUT',
      `Layer ${bad} has no usable α (${alphas[bad]}); exclude it or fix its fit.`,
    );
  }
  if (!Number.isFinite(beta)) throw new StudioError('BAD_INPUT', `β must be a finite number, got ${beta}.`);
  if (!Number.isSafeInteger(budget) || budget < 0) {
    throw new StudioError('BAD_INPUT', `The expert budget T must be a whole number ≥ 0, got ${budget}.`);
  }
  return alphas.map((a) => Math.pow(a, beta));
}

/** First index where vᵢ − nᵢ is extreme under `better` (strict, so ties keep the first, like argmin). */
function firstArgExtreme(v: number[], n: number[], better: (d: number, best: number) => boolean): number {
  const gap = (i: number): number => itemAt(v, i, 'expert rounding') - itemAt(n, i, 'expert rounding');
  let pick = 0;
  let best = gap(0);
  for (let i = 1; i < v.length; i++) {
    const d = gap(i);
    if (better(d, best)) {
      pick = i;
      best = d;
    }
  }
  return pick;
}

/** nᵢ += delta for the layer an argmin picked (pick −1, none found, is a broken invariant). */
function addExpert(n: number[], i: number, delta: number): void {
  n[i] = itemAt(n, i, 'expert allocation') + delta;
}

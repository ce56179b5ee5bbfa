/**
 * Trainable parameters of a MoE-LoRA adapter (MoLA / AlphaLoRA): on each target module of layer l,
 * nₗ experts each with A (r × in) and B (out × r), plus the module's router, a Linear(in → nₗ) without
 * bias — in parameters per expert. Per layer: nₗ · Σ_modules (r·(in + out) + in).
 */
export interface ModuleShape {
  in: number;
  out: number;
}

/** `modules`: the target modules of one layer (the same in every layer). */
export function trainableParams(experts: number[], modules: ModuleShape[], rank: number): number {
  const perExpert = modules.reduce((s, m) => s + rank * (m.in + m.out) + m.in, 0);
  return experts.reduce((s, n) => s + n * perExpert, 0);
}

/** The same when layers differ in their modules: `modules[l]` are layer l's target modules. */
export function trainableParamsPerLayer(experts: number[], modules: ModuleShape[][], rank: number): number {
  return experts.reduce((s, n, l) => s + trainableParams([n], modules[l] ?? [], rank), 0);
}

/**
 * The worker's `compare` request: two models named by their ModelRefs, analysed by the page, measured pair
 * by pair in a worker that may hold neither. Distances are checked against float64 sums taken here over
 * the decoded weights; ΔW's largest eigenvalue against ‖W_B − W_A‖₂² bounds.
 */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import type { AnalysisResult, MatrixResult } from '../../src/core/result';
import { blobSource } from '../../workers/blob-source';
import { createAnalysisService } from '../../workers/analysis-service';
import type { AnalysisCallbacks, ModelRef } from '../../workers/contract';
import { safetensorsFile } from './safetensors-file';
import { InThreadCpuSelector } from './service-runner';

const ROLES = ['self_attn.q_proj', 'mlp.down_proj'];
const file = (name: string, seed: number): File =>
  safetensorsFile({ roles: ROLES, layers: 2, rows: 24, cols: 16, name, seed });

async function analysed(f: File): Promise<{ ref: ModelRef; result: AnalysisResult }> {
  const service = createAnalysisService(new InThreadCpuSelector());
  const opened = await service.open(1, [f]);
  if (!opened.ok) throw new Error(opened.error.message);
  const ref = { files: [f], plan: {}, fingerprint: opened.summary.fingerprint };
  const matrices: MatrixResult[] = [];
  const callbacks: AnalysisCallbacks = {
    onProgress: () => undefined,
    onMatrix: (m) => matrices.push(m),
    onMatrixError: (e) => {
      throw new Error(e.message);
    },
    onBackend: () => undefined,
    onDone: () => undefined,
  };
  await service.analyze(2, ref, callbacks);
  const s = opened.summary;
  const result: AnalysisResult = {
    model: {
      name: s.name,
      architecture: s.architecture,
      format: s.format,
      files: [],
      numLayers: s.numLayers,
    },
    backend: 'cpu',
    matrices,
    errors: [],
    warnings: [],
  };
  return { ref, result };
}

async function weights(f: File): Promise<Map<string, Float32Array>> {
  const model = await openModel([blobSource(f)]);
  const out = new Map<string, Float32Array>();
  for (const t of model.tensors) out.set(t.name, await t.read());
  return out;
}

describe('analysis service: compare', () => {
  it('measures every matched pair in a fresh worker; distances equal float64 sums over the weights', async () => {
    const fa = file('a.safetensors', 1);
    const fb = file('b.safetensors', 2);
    const [A, B] = [await analysed(fa), await analysed(fb)];
    const pairs: [number, number][] = [];
    const fresh = createAnalysisService(new InThreadCpuSelector());
    const outcome = await fresh.compare(3, A.ref, B.ref, { deltaWeights: true }, (done, total) =>
      pairs.push([done, total]),
    );
    if (!outcome.ok) throw new Error(outcome.error.message);
    expect(pairs.at(-1)).toEqual([4, 4]);
    const [wa, wb] = [await weights(fa), await weights(fb)];
    expect([...outcome.pairs.distances.keys()].sort()).toEqual([...wa.keys()].sort());
    for (const [name, d] of outcome.pairs.distances) {
      const x = wa.get(name)!;
      const y = wb.get(name)!;
      let sa = 0;
      let sd = 0;
      for (let i = 0; i < x.length; i++) {
        sa += x[i]! * x[i]!;
        sd += (y[i]! - x[i]!) ** 2;
      }
      expect(Math.abs(d.relativeDistance! - Math.sqrt(sd / sa))).toBeLessThan(1e-12);
      // ΔW's eigenvalues sum to ‖ΔW‖_F² (trace of ΔWᵀΔW).
      const delta = outcome.pairs.deltas.get(name)!;
      const trace = delta.eigenvalues.reduce((s, v) => s + v, 0);
      expect(Math.abs(trace - sd) / sd).toBeLessThan(1e-9);
    }
  });
});

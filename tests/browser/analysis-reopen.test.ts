/**
 * Every request names its model (`ModelRef`: files, plan, fingerprint), so a worker that never opened it
 * (a fresh one, after a cancel terminated the last) opens it from the request, and two models stay open
 * side by side (a comparison). Files whose fingerprint no longer matches are refused, naming them.
 */
import { describe, expect, it } from 'vitest';
import { createAnalysisService } from '../../workers/analysis-service';
import type { AnalysisCallbacks, ModelRef, PlanOptions } from '../../workers/contract';
import type { MatrixResult } from '../../src/core/result';
import { safetensorsFile } from './safetensors-file';
import { InThreadCpuSelector } from './service-runner';

const ROLES = ['self_attn.q_proj', 'mlp.down_proj'];

function file(name: string, seed: number): File {
  return safetensorsFile({ roles: ROLES, layers: 2, rows: 24, cols: 16, name, seed });
}

function collect(): { matrices: MatrixResult[]; callbacks: AnalysisCallbacks } {
  const matrices: MatrixResult[] = [];
  return {
    matrices,
    callbacks: {
      onProgress: () => undefined,
      onMatrix: (m) => matrices.push(m),
      onMatrixError: (e) => {
        throw new Error(e.message);
      },
      onBackend: () => undefined,
      onDone: () => undefined,
    },
  };
}

async function openRef(files: File[], plan: PlanOptions = {}): Promise<ModelRef> {
  const outcome = await createAnalysisService(new InThreadCpuSelector()).open(1, files, plan);
  if (!outcome.ok) throw new Error(outcome.error.message);
  return { files, plan, fingerprint: outcome.summary.fingerprint };
}

describe('analysis service: models named by the request', () => {
  it('a worker that never opened the model opens it from the request and analyses it', async () => {
    const a = file('a.safetensors', 1);
    const ref = await openRef([a]);
    // Another service instance: what a restarted worker is.
    const fresh = createAnalysisService(new InThreadCpuSelector());
    const run = collect();
    const outcome = await fresh.analyze(7, ref, run.callbacks);
    expect(outcome.status).toBe('complete');
    expect(outcome.matricesDone).toBe(4);
    expect(run.matrices.map((m) => m.name).sort()).toEqual([
      'model.layers.0.mlp.down_proj.weight',
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.1.mlp.down_proj.weight',
      'model.layers.1.self_attn.q_proj.weight',
    ]);
  });

  it('two models stay open side by side and each request gets its own', async () => {
    const service = createAnalysisService(new InThreadCpuSelector());
    const a = file('a.safetensors', 1);
    const b = file('b.safetensors', 2);
    const openedA = await service.open(1, [a]);
    const openedB = await service.open(2, [b]);
    if (!openedA.ok || !openedB.ok) throw new Error('open failed');
    expect(openedA.summary.fingerprint).not.toBe(openedB.summary.fingerprint);
    const runA = collect();
    const runB = collect();
    const refA = { files: [a], plan: {}, fingerprint: openedA.summary.fingerprint };
    const refB = { files: [b], plan: {}, fingerprint: openedB.summary.fingerprint };
    await Promise.all([service.analyze(3, refA, runA.callbacks), service.analyze(4, refB, runB.callbacks)]);
    const lambdaMax = (ms: MatrixResult[]): number[] =>
      [...ms].sort((x, y) => x.name.localeCompare(y.name)).map((m) => m.metrics.lambdaMax);
    // Different weights (other seeds): the spectra differ; each equals a run of its own file alone.
    expect(lambdaMax(runA.matrices)).not.toEqual(lambdaMax(runB.matrices));
    const alone = collect();
    await createAnalysisService(new InThreadCpuSelector()).analyze(5, refB, alone.callbacks);
    expect(lambdaMax(runB.matrices)).toEqual(lambdaMax(alone.matrices));
  });

  it('files that changed since they were opened are refused, naming them', async () => {
    const a = file('a.safetensors', 1);
    const ref = await openRef([a]);
    const changed = { ...ref, files: [file('a.safetensors', 3)] };
    // Same name and size, other bytes: a restarted worker must not analyse them under the old identity.
    const fresh = createAnalysisService(new InThreadCpuSelector());
    const outcome = await fresh.analyze(2, changed, collect().callbacks);
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.code).toBe('BAD_INPUT');
    expect(outcome.error?.message).toContain('a.safetensors: the files changed since they were opened');
  });
});

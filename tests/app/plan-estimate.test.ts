/**
 * The page's pre-start estimate over a model summary (as the worker builds it): every tensor the plan
 * analyses is charged, a convolution as its kh·kw kernel-position matrices.
 */
import { describe, expect, it } from 'vitest';
import { estimatePlan } from '../../src/app/state/plan-estimate';
import { openModel } from '../../src/core/formats/open';
import { THROUGHPUT } from '../../src/core/pipeline/estimate';
import { planAnalysis } from '../../src/core/pipeline/plan';
import { summarizeModel } from '../../workers/model-summary';
import type { BackendInfo, PlanOptions } from '../../workers/contract';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';

const CPU: BackendInfo = { name: 'cpu', adapter: 'CPU (float64)', reason: null, software: false };

/**
 * spectrumFlops worked out by hand (m·n·(n+1) + (4/3)·n³ + 30·n², n the smaller side):
 * 32×32: 32·32·33 + (4/3)·32768 + 30·1024 = 33 792 + 43 690.67 + 30 720 = 108 202.67;
 * 16×8:  16·8·9 + (4/3)·512 + 30·64 = 1 152 + 682.67 + 1 920 = 3 754.67.
 */
const Q_FLOPS = 108_202 + 2 / 3;
const KERNEL_FLOPS = 3_754 + 2 / 3;

describe('estimatePlan', () => {
  it('charges an analysed convolution as its 9 kernel matrices [16, 8], with its bytes', async () => {
    const header = {
      'model.layers.0.self_attn.q_proj.weight': { dtype: 'F32', shape: [32, 32], data_offsets: [0, 4096] },
      'features.0.weight': { dtype: 'F32', shape: [16, 8, 3, 3], data_offsets: [4096, 4096 + 4608] },
    };
    const values = Array.from({ length: (4096 + 4608) / 4 }, (_, i) => Math.sin(i));
    const model = await openModel([src('m.safetensors', safetensors(header, f32Bytes(values)))]);
    const options = { includeOther: true };
    const plan = planAnalysis(model, options);
    expect(plan.items.map((i) => i.name).sort()).toEqual([
      'features.0.weight',
      'model.layers.0.self_attn.q_proj.weight',
    ]);
    const summary = { ...summarizeModel(model, plan, options), fingerprint: 'f' };
    const est = estimatePlan(summary, CPU);
    expect(est.matrices).toBe(2);
    expect(est.bytes).toBe(4096 + 4608);
    const rate = THROUGHPUT.cpu;
    const want =
      Q_FLOPS / rate.flopsPerSecond +
      rate.perMatrixSeconds +
      9 * (KERNEL_FLOPS / rate.flopsPerSecond + rate.perMatrixSeconds);
    expect(est.computeSeconds).toBeCloseTo(want, 12);
    expect(est.readSeconds).toBeCloseTo((4096 + 4608) / 1e9, 15);

    // With the convolution already done (resumed), only q_proj is left to charge.
    const rest = estimatePlan(summary, CPU, new Set(['features.0.weight']));
    expect(rest.matrices).toBe(1);
    expect(rest.bytes).toBe(4096);
    expect(rest.computeSeconds).toBeCloseTo(Q_FLOPS / rate.flopsPerSecond + rate.perMatrixSeconds, 12);
  });

  it('the randomised ESD and FARMS windows add their spectra (the convolution gets neither)', async () => {
    const header = {
      'model.layers.0.self_attn.q_proj.weight': { dtype: 'F32', shape: [32, 32], data_offsets: [0, 4096] },
      'features.0.weight': { dtype: 'F32', shape: [16, 8, 3, 3], data_offsets: [4096, 4096 + 4608] },
    };
    const values = Array.from({ length: (4096 + 4608) / 4 }, (_, i) => Math.sin(i));
    const model = await openModel([src('m.safetensors', safetensors(header, f32Bytes(values)))]);
    const rate = THROUGHPUT.cpu;
    const base =
      Q_FLOPS / rate.flopsPerSecond +
      rate.perMatrixSeconds +
      9 * (KERNEL_FLOPS / rate.flopsPerSecond + rate.perMatrixSeconds);
    const withExtras = (extras: PlanOptions['extras']) => {
      const options: PlanOptions = { includeOther: true, extras };
      const plan = planAnalysis(model, options);
      return estimatePlan({ ...summarizeModel(model, plan, options), fingerprint: 'f' }, CPU);
    };
    // 32 wide (< 100): 5 pooled shuffles + 1 single = 6 more spectra of 32×32.
    const rand = withExtras({ randomize: true });
    expect(rand.extraSpectra).toBe(6);
    expect(rand.computeSeconds).toBeCloseTo(
      base + 6 * (Q_FLOPS / rate.flopsPerSecond + rate.perMatrixSeconds),
      12,
    );
    // FARMS with 16-row windows and 3 starts per dimension: steps ⌊16/2⌋ = 8, 3×3 windows of 16×16.
    const farms = withExtras({ farms: { rows: 16, qRatio: 1, ops: 3 } });
    expect(farms.extraSpectra).toBe(9);
    expect(farms.computeSeconds).toBeGreaterThan(base);
    expect(withExtras(undefined).extraSpectra).toBe(0);
  });
});

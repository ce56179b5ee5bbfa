/**
 * Benchmark accounting: stage-time aggregation (StageStats), the flop split by stage, the extrapolation
 * of a partial run, the GPU buffer counter, and analyzeModel's `onRead` hook on a small generated model.
 * Expected numbers are worked out by hand in each test from the records given.
 */
import { describe, expect, it } from 'vitest';
import type { ModelDescription, TensorHandle } from '../../src/core/formats/types';
import { createCpuBackend } from '../../src/core/linalg/backend';
import { analyzeModel } from '../../src/core/pipeline/analyze';
import type { ReadTiming } from '../../src/core/pipeline/analyze';
import { planAnalysis, spectrumFlops, stageFlops } from '../../src/core/pipeline/plan';
import { StageStats, extrapolateWallTime } from '../../src/core/pipeline/stage-stats';
import { GpuMemoryCounter } from '../../src/gpu/memory';

describe('stageFlops and spectrumFlops', () => {
  it('count an 11008×4096 spectrum as worked out by hand', () => {
    // n = 4096 (the smaller side), m = 11008. Gram m·n·(n+1) = 45 088 768 · 4097 = 184 728 682 496;
    // reduction (4/3)·n³ = (4/3) · 68 719 476 736 = 91 625 968 981.33…; QL 30·n² = 503 316 480.
    const f = stageFlops(11008, 4096);
    expect(f.gram).toBe(184_728_682_496);
    expect(f.reduction).toBeCloseTo(91_625_968_981.333, 2);
    expect(f.tridiagonal).toBe(503_316_480);
    // The sum: 276 857 967 957.33…, the same either way round (the Gram runs over the longer side).
    expect(spectrumFlops(11008, 4096)).toBeCloseTo(276_857_967_957.333, 2);
    expect(spectrumFlops(4096, 11008)).toBeCloseTo(276_857_967_957.333, 2);
    // A 1×1 matrix: 1·1·2 + 4/3 + 30 = 33.33….
    expect(spectrumFlops(1, 1)).toBeCloseTo(100 / 3, 12);
  });

  it("give bench/README.md's 47.2 TFLOP for llama2-7b (128 of 4096×4096, 96 of 11008×4096)", () => {
    const total = 128 * spectrumFlops(4096, 4096) + 96 * spectrumFlops(11008, 4096);
    expect(total / 1e12).toBeCloseTo(47.2, 1);
    // Split as the README does: Gram 26.5 + reduction 20.5 + sterf 0.11 TFLOP.
    const a = stageFlops(4096, 4096);
    const b = stageFlops(11008, 4096);
    const stage = (k: keyof typeof a) => (128 * a[k] + 96 * b[k]) / 1e12;
    expect(stage('gram')).toBeCloseTo(26.5, 1);
    expect(stage('reduction')).toBeCloseTo(20.5, 1);
    expect(stage('tridiagonal')).toBeCloseTo(0.11, 2);
  });
});

describe('StageStats', () => {
  it('sums stage times, shares, read rate, GFLOP/s and matrices/s', () => {
    const stats = new StageStats();
    stats.add({ name: 'a', rows: 8, cols: 4, bytes: 64, stages: { read: 2, gram: 1, reduction: 3, fit: 2 } });
    stats.add({
      name: 'b',
      rows: 4,
      cols: 4,
      bytes: 32,
      stages: { read: 6, gram: 1, reduction: 1, tridiagonal: 2, fit: 2 },
    });
    const s = stats.summary(20);
    expect(s.matrices).toBe(2);
    expect(s.bytes).toBe(96);
    expect(s.flops).toBeCloseTo(spectrumFlops(8, 4) + spectrumFlops(4, 4), 9);
    const ms = Object.fromEntries(s.stages.map((t) => [t.stage, t.ms]));
    expect(ms).toEqual({
      read: 8,
      gram: 2,
      reduction: 4,
      tridiagonal: 2,
      gramRejected: 0,
      bidiagonal: 0,
      singular: 0,
      fit: 4,
    });
    // Shares of the 20 ms summed over stages.
    expect(s.stages.map((t) => t.share)).toEqual([0.4, 0.1, 0.2, 0.1, 0, 0, 0, 0.2]);
    // Gram: 8·4·5 + 4·4·5 = 240 flops in 2 ms -> 120 000 flop/s.
    expect(s.stages[1]!.gflops).toBeCloseTo(240 / 2e-3 / 1e9, 12);
    // Tridiagonal: only b reported it: 30·16 flops in 2 ms.
    expect(s.stages[3]!.gflops).toBeCloseTo(480 / 2e-3 / 1e9, 12);
    expect(s.stages[0]!.gflops).toBeNull();
    expect(s.stages[7]!.gflops).toBeNull();
    expect(s.readBytesPerSecond).toBeCloseTo(96 / 8e-3, 9);
    expect(s.bytesPerSecond).toBeCloseTo(96 / 20e-3, 9);
    expect(s.gflops).toBeCloseTo(s.flops / 20e-3 / 1e9, 15);
    expect(s.matricesPerSecond).toBeCloseTo(100, 9);
  });

  it("the SVD path's stages: bidiagonal and singular at their own flops, a rejected Gram try timed only", () => {
    const stats = new StageStats();
    stats.add({
      name: 's',
      rows: 12,
      cols: 6,
      bytes: 288,
      stages: { read: 1, gramRejected: 1, bidiagonal: 2, singular: 1, fit: 1 },
    });
    const by = Object.fromEntries(stats.summary(6).stages.map((t) => [t.stage, t]));
    // Bidiagonal 4·12·6² − (4/3)·6³ = 1728 − 288 = 1440 flops in 2 ms; singular 30·6² = 1080 in 1 ms.
    expect(by.bidiagonal!.gflops).toBeCloseTo(1440 / 2e-3 / 1e9, 12);
    expect(by.singular!.gflops).toBeCloseTo(1080 / 1e-3 / 1e9, 12);
    expect(by.gramRejected!.gflops).toBeNull();
    expect(by.gramRejected!.share).toBeCloseTo(1 / 6, 12);
  });

  it('counts a pooled convolution as its kernel matrices, as the plan does (flops and stage rates)', () => {
    // A 3×3 convolution [16, 8]: 9 spectra of [16, 8], their stage times summed by the pool.
    const stats = new StageStats();
    stats.add({ name: 'conv', rows: 16, cols: 8, bytes: 4608, matrices: 9, stages: { gram: 9 } });
    const s = stats.summary(10);
    const one = stageFlops(16, 8);
    expect(s.matrices).toBe(1);
    expect(s.flops).toBeCloseTo(9 * spectrumFlops(16, 8), 9);
    // Gram: 9 · 16·8·9 = 10 368 flops in 9 ms.
    expect(one.gram).toBe(16 * 8 * 9);
    expect(s.stages[1]!.gflops).toBeCloseTo((9 * one.gram) / 9e-3 / 1e9, 12);
    // The plan's total for this one item is the same 9 spectra: measured fraction 1.
    expect(extrapolateWallTime(s, 9 * spectrumFlops(16, 8))?.measuredFraction).toBeCloseTo(1, 12);
  });

  it('gives null rates and zero shares when nothing was timed, and refuses negative times', () => {
    const empty = new StageStats().summary(0);
    expect(empty.matrices).toBe(0);
    expect(empty.gflops).toBeNull();
    expect(empty.bytesPerSecond).toBeNull();
    expect(empty.stages.every((t) => t.share === 0 && t.ms === 0)).toBe(true);
    const stats = new StageStats();
    expect(() => stats.add({ name: 'x', rows: 2, cols: 2, bytes: 16, stages: { gram: -1 } })).toThrow(
      /x: stage gram/,
    );
    expect(() => stats.add({ name: 'y', rows: 2, cols: 2, bytes: 16, stages: { read: NaN } })).toThrow(
      /y: stage read/,
    );
    expect(stats.count).toBe(0);
  });
});

describe('extrapolateWallTime', () => {
  it('scales the measured wall time by the flops still to do', () => {
    const e = extrapolateWallTime({ flops: 250, wallMs: 10 }, 1000);
    expect(e).toEqual({ wallMs: 40, measuredFraction: 0.25 });
    expect(extrapolateWallTime({ flops: 0, wallMs: 10 }, 1000)).toBeNull();
  });
});

describe('GpuMemoryCounter', () => {
  it('tracks live bytes and their peak, once per buffer', () => {
    const c = new GpuMemoryCounter();
    const a = {};
    const b = {};
    const d = {};
    c.allocate(a, 100);
    c.allocate(b, 50);
    c.allocate(a, 100); // the same buffer again: not counted twice
    expect(c.snapshot()).toEqual({ liveBytes: 150, peakBytes: 150, liveBuffers: 2, allocations: 2 });
    c.release(a);
    c.release(a); // a second destroy changes nothing
    c.allocate(d, 20);
    expect(c.snapshot()).toEqual({ liveBytes: 70, peakBytes: 150, liveBuffers: 2, allocations: 3 });
    c.resetPeak();
    expect(c.snapshot().peakBytes).toBe(70);
    c.release({}); // never allocated: ignored
    c.release(b);
    c.release(d);
    expect(c.snapshot()).toEqual({ liveBytes: 0, peakBytes: 70, liveBuffers: 0, allocations: 3 });
    expect(() => c.allocate({}, -1)).toThrow(RangeError);
  });
});

/** A model of `count` F32 matrices rows×cols of seeded values, held in memory. */
function generatedModel(count: number, rows: number, cols: number): ModelDescription {
  const tensors: TensorHandle[] = Array.from({ length: count }, (_, i) => {
    const values = new Float32Array(rows * cols);
    let x = 12345 + i;
    for (let j = 0; j < values.length; j++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      values[j] = x / 2147483648 - 0.5;
    }
    return {
      name: `model.layers.${i}.mlp.up_proj.weight`,
      file: 'gen.safetensors',
      shape: [rows, cols],
      dtype: 'F32',
      byteLength: rows * cols * 4,
      placement: { layer: i, role: 'up_proj', kind: 'mlp' },
      matrixShape: [rows, cols],
      skipReason: null,
      read: () => Promise.resolve(values.slice()),
      readF64: () => Promise.resolve(Float64Array.from(values)),
    };
  });
  return {
    name: 'gen',
    format: 'safetensors',
    architecture: 'llama',
    numLayers: count,
    files: [{ name: 'gen.safetensors', bytes: count * rows * cols * 4, format: 'safetensors' }],
    tensors,
    metadata: {},
    errors: [],
    warnings: [],
  };
}

describe('analyzeModel onRead', () => {
  it('reports every read once with its bytes, and the stage records add up', async () => {
    const model = generatedModel(3, 24, 16);
    const plan = planAnalysis(model);
    const reads: ReadTiming[] = [];
    const stats = new StageStats();
    const readOf = new Map<string, ReadTiming>();
    const result = await analyzeModel(model, plan, createCpuBackend(), {
      onRead: (r) => {
        reads.push(r);
        readOf.set(r.name, r);
      },
      onMatrix: (m) =>
        stats.add({
          name: m.name,
          rows: m.shape[0],
          cols: m.shape[1],
          // What the read reported (0 if it did not: then the byte total below fails).
          bytes: readOf.get(m.name)?.bytes ?? 0,
          stages: {
            read: readOf.get(m.name)?.ms,
            gram: m.timings.gram,
            reduction: m.timings.reduction,
            tridiagonal: m.timings.tridiagonal,
            fit: m.timings.fit,
          },
        }),
    });
    expect(result.matrices).toHaveLength(3);
    expect(reads.map((r) => r.index).sort()).toEqual([0, 1, 2]);
    expect(reads.map((r) => r.name).sort()).toEqual(plan.items.map((i) => i.name).sort());
    for (const r of reads) {
      expect(r.bytes).toBe(24 * 16 * 4);
      expect(r.ms).toBeGreaterThanOrEqual(0);
    }
    // Each matrix's read was reported before its result, so every record has its read time.
    expect(stats.list().map((r) => r.name)).toEqual(result.matrices.map((m) => m.name));
    for (const r of stats.list()) expect(r.stages.read, r.name).toBeDefined();
    const s = stats.summary(1);
    expect(s.matrices).toBe(3);
    // 3 F32 matrices of 24×16: 3 · 24·16·4 bytes, as reported by the reads.
    expect(s.bytes).toBe(3 * 24 * 16 * 4);
    expect(s.bytes).toBe(plan.totals.bytes);
    expect(s.flops).toBeCloseTo(3 * spectrumFlops(24, 16), 6);
    expect(s.flops).toBeCloseTo(plan.totals.flops, 6);
  });
});

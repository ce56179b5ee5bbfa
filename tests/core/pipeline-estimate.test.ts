/** The pre-start time estimate: rates per backend, small matrices at the CPU rate, reading overlapped. */
import { describe, expect, it } from 'vitest';
import {
  CONFIRM_ABOVE_BYTES,
  estimateTime,
  formatEstimate,
  needsConfirmation,
} from '../../src/core/pipeline/estimate';
import { spectrumFlops } from '../../src/core/pipeline/plan';

const CPU = { name: 'cpu', software: false } as const;
const GPU = { name: 'webgpu', software: false } as const;
const SWIFTSHADER = { name: 'webgpu', software: true } as const;

describe('estimateTime', () => {
  it('charges a 1024×1024 F32 matrix on the CPU at 4 GFLOP/s plus 2 ms', () => {
    // Worked by hand: 1024·1024·1025 + (4/3)·1024³ + 30·1024² = 2 537 903 445.33 flops.
    const flops = 2_537_903_445.333;
    expect(spectrumFlops(1024, 1024)).toBeCloseTo(flops, 0);
    const est = estimateTime([{ rows: 1024, cols: 1024, bytes: 4 * 1024 * 1024, flops }], CPU);
    expect(est.computeSeconds).toBeCloseTo(flops / 4e9 + 0.002, 9);
    expect(est.readSeconds).toBeCloseTo(4_194_304 / 1e9, 12);
    expect(est.seconds).toBe(est.computeSeconds);
  });

  it('is 50× faster on a hardware GPU than on the CPU for big matrices, and slower on SwiftShader', () => {
    // A square matrix goes to the GPU's SVD path: (8/3)·n³ + 30·n² flops against the plan's Gram-path
    // n²·(n+1) + (4/3)·n³ + 30·n², so the GPU's work is the plan's times their ratio (≈ 1.142 at 4096).
    const n = 4096;
    const svdOverGram = ((8 / 3) * n ** 3 + 30 * n ** 2) / (n * n * (n + 1) + (4 / 3) * n ** 3 + 30 * n ** 2);
    expect(svdOverGram).toBeCloseTo(1.1423, 4);
    const item = { rows: n, cols: n, bytes: 0, flops: 1e12 };
    expect(estimateTime([item], GPU).computeSeconds).toBeCloseTo((1e12 * svdOverGram) / 2e11 + 0.02, 9);
    expect(estimateTime([item], CPU).computeSeconds).toBeCloseTo(1e12 / 4e9 + 0.002, 9);
    expect(estimateTime([item], SWIFTSHADER).computeSeconds).toBeCloseTo(
      (1e12 * svdOverGram) / 9e7 + 0.05,
      6,
    );
  });

  it('prices a matrix at least 4× longer than wide by the Gram the GPU tries first (no scaling)', () => {
    const tall = { rows: 4 * 1024, cols: 1024, bytes: 0, flops: 1e11 };
    expect(estimateTime([tall], GPU).computeSeconds).toBeCloseTo(1e11 / 2e11 + 0.02, 9);
    // Just under the aspect: the SVD of the long side, (4·m·n² − (4/3)·n³ + 30·n²) / Gram's flops.
    const m = 4 * 1024 - 1;
    const k = 1024;
    const ratio =
      (4 * m * k * k - (4 / 3) * k ** 3 + 30 * k * k) / (m * k * (k + 1) + (4 / 3) * k ** 3 + 30 * k * k);
    expect(ratio).toBeGreaterThan(2.7);
    const near = { rows: m, cols: k, bytes: 0, flops: 1e11 };
    expect(estimateTime([near], GPU).computeSeconds).toBeCloseTo((1e11 * ratio) / 2e11 + 0.02, 9);
  });

  it('charges matrices with a side of at most 128 at the CPU rate even under WebGPU (they run there)', () => {
    const small = { rows: 128, cols: 4096, bytes: 0, flops: 1e9 };
    expect(estimateTime([small], SWIFTSHADER).computeSeconds).toBeCloseTo(1e9 / 4e9 + 0.002, 9);
    const wide = { rows: 129, cols: 4096, bytes: 0, flops: 1e9 };
    expect(estimateTime([wide], SWIFTSHADER).computeSeconds).toBeCloseTo(1e9 / 9e7 + 0.05, 6);
  });

  it('is read-bound when the bytes take longer than the work (reading overlaps computing)', () => {
    // 8192×1024: the Gram the GPU tries first, priced at the plan's flops.
    const est = estimateTime([{ rows: 8192, cols: 1024, bytes: 5e9, flops: 2e11 }], GPU);
    expect(est.readSeconds).toBeCloseTo(5, 9);
    expect(est.computeSeconds).toBeCloseTo(1.02, 9);
    expect(est.seconds).toBeCloseTo(5, 9);
  });

  it('sums over matrices, and an empty plan takes no time', () => {
    const item = { rows: 512, cols: 512, bytes: 1e6, flops: 4e8 };
    const one = estimateTime([item], CPU).computeSeconds;
    expect(estimateTime([item, item, item], CPU).computeSeconds).toBeCloseTo(3 * one, 12);
    expect(estimateTime([], GPU)).toEqual({ seconds: 0, computeSeconds: 0, readSeconds: 0 });
  });
});

describe('formatEstimate', () => {
  it('rounds to the unit a person reads', () => {
    expect(formatEstimate(0.4)).toBe('under a second');
    expect(formatEstimate(42.4)).toBe('about 42 s');
    expect(formatEstimate(89)).toBe('about 89 s');
    expect(formatEstimate(180)).toBe('about 3 min');
    expect(formatEstimate(2 * 3600 + 18 * 60)).toBe('about 2.3 h');
    expect(formatEstimate(Number.NaN)).toBe('unknown');
  });
});

describe('needsConfirmation', () => {
  const est = (seconds: number): { seconds: number; computeSeconds: number; readSeconds: number } => ({
    seconds,
    computeSeconds: seconds,
    readSeconds: 0,
  });
  it('waits for the user above 20 s or above 1 GiB, starts at once below both', () => {
    expect(needsConfirmation(est(5), 1e6)).toBe(false);
    expect(needsConfirmation(est(20), 1e6)).toBe(false);
    expect(needsConfirmation(est(21), 1e6)).toBe(true);
    expect(needsConfirmation(est(1), CONFIRM_ABOVE_BYTES)).toBe(false);
    expect(needsConfirmation(est(1), CONFIRM_ABOVE_BYTES + 1)).toBe(true);
  });
});

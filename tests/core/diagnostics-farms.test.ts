/**
 * FARMS fixed sampling (spec ../shared/specs/diagnostics.md §6): the window plans the spec lists (from
 * FARMS's own sampling.py), Python slice semantics, and the property that a matrix no larger than one window
 * is its own single window (FARMS α = plain α).
 */
import { describe, expect, it } from 'vitest';
import { FARMS_DEFAULTS, farmsPlan, windowOf } from '../../src/core/diagnostics/farms';
import { farmsSpectrum, farmsSpectrumCpu } from '../../src/core/diagnostics/farms-spectrum';
import { createCpuBackend, type SpectrumBackend } from '../../src/core/linalg/backend';
import { spectrumCpu } from '../../src/core/linalg/spectrum-cpu';
import { fitSpectrum } from '../../src/core/spectral/estimators';
import { ESTIMATORS } from '../../src/core/spectral/types';
import { estimateTime } from '../../src/core/pipeline/estimate';
import { withExtraSpectra } from '../../src/core/pipeline/estimate-extras';
import { spectrumFlops } from '../../src/core/pipeline/plan';
import { mulberry32 } from '../fixtures-gen/rng';

const starts = (plan: ReturnType<typeof farmsPlan>, axis: 'r0' | 'c0'): number[] =>
  [...new Set(plan.windows.map((w) => w[axis]))].sort((a, b) => a - b);

describe('FARMS window plans (spec §6.11)', () => {
  it('LLaMA 4096×4096: 2000×2000 windows, step 149, 15×15 = 225 windows, 450,000 values', () => {
    const p = farmsPlan(4096, 4096, FARMS_DEFAULTS);
    expect(p.windowShape).toEqual([2000, 2000]);
    expect([p.rowStep, p.colStep]).toEqual([149, 149]);
    expect(p.windows.length).toBe(225);
    expect(p.numEvals).toBe(450_000);
    // ⌊2096/14⌋ = 149; starts 0, 149, …, 14·149 = 2086 ≤ 2096.
    expect(starts(p, 'r0')).toEqual(Array.from({ length: 15 }, (_, i) => i * 149));
  });

  it('4096×11008: steps 149 / 643, 225 windows', () => {
    const p = farmsPlan(4096, 11008, FARMS_DEFAULTS);
    expect([p.rowStep, p.colStep]).toEqual([149, 643]); // ⌊9008/14⌋ = 643
    expect(p.windows.length).toBe(225);
    expect(starts(p, 'c0').at(-1)).toBe(14 * 643);
  });

  it('704×256: 15 windows at rows 0, 32, …, 448 (one column start)', () => {
    const p = farmsPlan(704, 256, FARMS_DEFAULTS);
    expect(p.windowShape).toEqual([256, 256]);
    expect(p.windows.length).toBe(15);
    expect(starts(p, 'r0')).toEqual(Array.from({ length: 15 }, (_, i) => 32 * i));
    expect(starts(p, 'c0')).toEqual([0]);
    expect(p.numEvals).toBe(15 * 256);
  });

  it('1024×256: step 54, starts 0…756', () => {
    const p = farmsPlan(1024, 256, FARMS_DEFAULTS);
    expect(p.rowStep).toBe(54);
    expect(starts(p, 'r0')).toEqual(Array.from({ length: 15 }, (_, i) => 54 * i));
  });

  it('64×256: col_step 13, starts 0…182; columns 246–255 are never sampled', () => {
    const p = farmsPlan(64, 256, FARMS_DEFAULTS);
    expect(p.colStep).toBe(13);
    expect(starts(p, 'c0')).toEqual(Array.from({ length: 15 }, (_, i) => 13 * i));
    expect(Math.max(...p.windows.map((w) => w.c1))).toBe(246);
  });

  it('256×256: one window, the whole matrix', () => {
    const p = farmsPlan(256, 256, FARMS_DEFAULTS);
    expect(p.windows).toEqual([{ r0: 0, r1: 256, c0: 0, c1: 256 }]);
  });

  it('Python slices: 60×100 with Q ratio 2 → ncs 120, c0 = −20 → columns 80…99 (60×20 windows)', () => {
    const p = farmsPlan(60, 100, { rows: 2000, qRatio: 2, ops: 15 });
    expect(p.windowShape).toEqual([60, 120]);
    expect(p.windows).toEqual([{ r0: 0, r1: 60, c0: 80, c1: 100 }]);
    expect(p.numEvals).toBe(20);
  });

  it('ops 1 is refused (FARMS divides by ops − 1)', () => {
    expect(() => farmsPlan(10, 10, { rows: 5, qRatio: 1, ops: 1 })).toThrow(/ops/);
  });

  it('windowOf copies the window row by row', () => {
    const w = Float32Array.from({ length: 12 }, (_, i) => i); // 3×4
    const win = windowOf(w, 4, { r0: 1, r1: 3, c0: 1, c1: 3 });
    expect(win.rows).toBe(2);
    expect(win.cols).toBe(2);
    expect(Array.from(win.data)).toEqual([5, 6, 9, 10]);
  });
});

describe('FARMS spectrum and α', () => {
  const gaussian = (rows: number, cols: number, seed: number): Float32Array => {
    const rand = mulberry32(seed);
    return Float32Array.from(
      { length: rows * cols },
      () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()),
    );
  };

  it('a square matrix under the window size: FARMS α equals the plain fit for every estimator', () => {
    const w = gaussian(96, 96, 3);
    const plain = spectrumCpu(w, 96, 96).eigenvalues;
    const farms = farmsSpectrumCpu(w, 96, 96, FARMS_DEFAULTS);
    expect(farms.eigenvalues).toEqual(plain);
    for (const est of ESTIMATORS)
      expect(fitSpectrum(farms.eigenvalues, est)).toEqual(fitSpectrum(plain, est));
  });

  it('pools every window’s eigenvalues, ascending: 200×64 with 64-row windows and ops 4', () => {
    const w = gaussian(200, 64, 4);
    const params = { rows: 64, qRatio: 1, ops: 4 };
    const farms = farmsSpectrumCpu(w, 200, 64, params);
    const plan = farmsPlan(200, 64, params);
    // ⌊136/3⌋ = 45: rows 0, 45, 90, 135.
    expect(plan.windows.map((x) => x.r0)).toEqual([0, 45, 90, 135]);
    const expected = plan.windows
      .flatMap((win) => Array.from(spectrumCpu(windowOf(w, 64, win).data, 64, 64).eigenvalues))
      .sort((a, b) => a - b);
    expect(farms.eigenvalues.length).toBe(4 * 64);
    expect(Array.from(farms.eigenvalues)).toEqual(expected);
  });

  it('through an engine: the windows go as one batch of one shape, and pool to the float64 path exactly', async () => {
    const w = gaussian(200, 64, 4);
    const params = { rows: 64, qRatio: 1, ops: 4 };
    const cpu = createCpuBackend();
    const batches: string[] = [];
    const batching: SpectrumBackend = {
      ...cpu,
      spectra: (inputs, signal) => {
        batches.push(inputs.map((i) => `${i.rows}×${i.cols}`).join(','));
        return Promise.all(inputs.map((i) => cpu.spectrum(i, signal)));
      },
    };
    const viaBatch = await farmsSpectrum(batching, w, 200, 64, params);
    expect(batches).toEqual(['64×64,64×64,64×64,64×64']);
    expect(viaBatch.eigenvalues).toEqual(farmsSpectrumCpu(w, 200, 64, params).eigenvalues);
    // An engine without a batch (the CLI's pool) gets the same windows one by one, with the same pool.
    const viaSingles = await farmsSpectrum(cpu, w, 200, 64, params);
    expect(viaSingles.eigenvalues).toEqual(viaBatch.eigenvalues);
  });
});

describe('time estimate with the extra spectra', () => {
  const item = { rows: 512, cols: 256, bytes: 512 * 256 * 4, flops: spectrumFlops(512, 256) };

  it('randomize adds R + 1 spectra of the same shape (R = 1 at 256 wide, 5 under 100)', () => {
    const [r] = withExtraSpectra([item], { randomize: true });
    expect(r!.flops).toBeCloseTo(3 * item.flops, 6);
    expect(r!.matrices).toBe(3);
    const small = { rows: 300, cols: 60, bytes: 0, flops: spectrumFlops(300, 60) };
    expect(withExtraSpectra([small], { randomize: true })[0]!.matrices).toBe(7);
  });

  it('FARMS adds one spectrum per window; off changes nothing; the estimate grows', () => {
    const [f] = withExtraSpectra([item], { randomize: false, farms: FARMS_DEFAULTS });
    // 512×256: 256×256 windows, row step ⌊256/14⌋ = 18, 15 windows.
    expect(f!.matrices).toBe(16);
    expect(f!.flops).toBeCloseTo(item.flops + 15 * spectrumFlops(256, 256), 6);
    expect(withExtraSpectra([item], { randomize: false })[0]).toBe(item);
    const cpu = { name: 'cpu' as const, software: false };
    expect(estimateTime([f!], cpu).computeSeconds).toBeGreaterThan(estimateTime([item], cpu).computeSeconds);
  });
});

import { describe, expect, it } from 'vitest';
import { createGpuBackend } from '../../src/gpu/spectrum-gpu';
import spectraExpected from '../../../shared/fixtures/spectra/expected.json';
import gaussUrl from '../../../shared/fixtures/spectra/gauss_512x256_seed0.safetensors?url';
import { f32Of, fetchBytes, readSafetensors } from './gpu-fixtures';

describe('GPU spectrum', () => {
  it('gauss', async () => {
    const backend = await createGpuBackend();
    const w = readSafetensors(await fetchBytes(gaussUrl)).get('weight')!;
    const res = await backend.spectrum({ data: f32Of(w.bytes), rows: 512, cols: 256 });
    const exp = spectraExpected.gauss_512x256_seed0.eigenvalues;
    let maxd = 0;
    for (let i = 0; i < exp.length; i++) maxd = Math.max(maxd, Math.abs(res.eigenvalues[i]! - exp[i]!));
    console.log(res.timings, maxd, res.eigenvalues[255], exp[255], res.eigenvalues[0], exp[0]);
    expect(maxd).toBeLessThan(1e-4 * exp[255]!);
  });
});

/**
 * A CPU spectrum worker of the browser pool (cpu-pool.ts): one float64 eigen-solve at a time, the
 * eigenvalues' buffer transferred back. It has no cancel: the pool terminates a worker whose job was
 * cancelled (the solve is one synchronous loop).
 */
import * as Comlink from 'comlink';
import { createCpuBackend, type SpectrumInput } from '../src/core/linalg/backend';
import type { SpectrumResult } from '../src/core/spectral/types';

const cpu = createCpuBackend('browser CPU pool');

export interface CpuSpectrumWorkerApi {
  spectrum(input: SpectrumInput): Promise<SpectrumResult>;
}

const api: CpuSpectrumWorkerApi = {
  async spectrum(input) {
    const result = await cpu.spectrum(input);
    return Comlink.transfer(result, [result.eigenvalues.buffer]);
  },
};

Comlink.expose(api);

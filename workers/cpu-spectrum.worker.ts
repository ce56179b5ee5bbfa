/**
 * A CPU worker of the browser pool (worker-pool.ts), one job at a time, buffers transferred back:
 * - `spectrum`: a whole float64 eigen-solve (the CPU backend, and small matrices under WebGPU);
 * - `finish`: the float64 CPU stage of a matrix the GPU reduced (σ² of its bidiagonal);
 * - `summarize`: the fits and metrics of a spectrum.
 * The last two keep the analysis worker's own thread free to feed the GPU. No cancel: the pool terminates
 * a worker whose job was cancelled (each job is one synchronous loop).
 */
import * as Comlink from 'comlink';
import { createCpuBackend, type SpectrumInput } from '../src/core/linalg/backend';
import { finishReduced, type FinishedSpectrum } from '../src/core/linalg/finish';
import { summarizeMatrix, type MatrixInfo, type MatrixResult } from '../src/core/result';
import type { SpectrumMethod, SpectrumResult } from '../src/core/spectral/types';

const cpu = createCpuBackend('browser CPU pool');

export interface CpuSpectrumWorkerApi {
  spectrum(input: SpectrumInput): Promise<SpectrumResult>;
  finish(method: SpectrumMethod, d: Float64Array, e: Float64Array): FinishedSpectrum;
  summarize(info: MatrixInfo, spectrum: SpectrumResult): MatrixResult;
}

const api: CpuSpectrumWorkerApi = {
  async spectrum(input) {
    const result = await cpu.spectrum(input);
    return Comlink.transfer(result, [result.eigenvalues.buffer]);
  },
  finish(method, d, e) {
    const result = finishReduced(method, d, e);
    return Comlink.transfer(result, [result.eigenvalues.buffer]);
  },
  summarize(info, spectrum) {
    const result = summarizeMatrix(info, spectrum);
    return Comlink.transfer(result, [result.eigenvalues.buffer]);
  },
};

Comlink.expose(api);

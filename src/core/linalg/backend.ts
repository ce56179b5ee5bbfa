/**
 * The one interface both spectrum engines implement (CPU float64 here and in Node workers, WebGPU fp32 in
 * src/gpu), and the in-thread CPU backend.
 */
import { StudioError } from '../errors';
import type { RawTensor } from '../formats/types';
import type { SpectrumBackendName, SpectrumResult } from '../spectral/types';
import { decodeRaw } from '../formats/dtypes';
import { spectrumCpu } from './spectrum-cpu';

/** A matrix as decoded values, or as the raw F32/F16/BF16 bytes of the file. Row-major rows×cols. */
export type SpectrumInput =
  | { data: Float32Array | Float64Array; rows: number; cols: number }
  | { raw: RawTensor; rows: number; cols: number };

export interface SpectrumBackend {
  readonly name: SpectrumBackendName;
  /** What runs it: 'node', 'main thread', 'N worker threads', or the GPU adapter's description. */
  readonly adapter: string;
  spectrum(input: SpectrumInput, signal?: AbortSignal): Promise<SpectrumResult>;
  /**
   * Several matrices of one shape at once, results in order. Optional: the GPU batches them through one
   * pass per reduction step; without it, `spectraOf` runs them one by one.
   */
  spectra?(inputs: readonly SpectrumInput[], signal?: AbortSignal): Promise<SpectrumResult[]>;
  dispose?(): void;
}

/**
 * The spectra of several matrices of one shape: the backend's batch when it has one, else every matrix
 * through `spectrum` at once (a CPU pool spreads them over its workers; the in-thread CPU runs them in turn).
 */
export function spectraOf(
  backend: SpectrumBackend,
  inputs: readonly SpectrumInput[],
  signal?: AbortSignal,
): Promise<SpectrumResult[]> {
  if (backend.spectra) return backend.spectra(inputs, signal);
  return Promise.all(inputs.map((input) => backend.spectrum(input, signal)));
}

/** The matrix values of an input, decoding raw bytes when needed. */
export function inputValues(input: SpectrumInput): Float32Array | Float64Array {
  const count = input.rows * input.cols;
  if ('data' in input) {
    if (input.data.length < count) {
      throw new StudioError(
        'BAD_INPUT',
        `Matrix ${input.rows}×${input.cols} has only ${input.data.length} values.`,
      );
    }
    return input.data;
  }
  return decodeRaw(input.raw, count);
}

/** Runs spectrumCpu in the calling thread (a worker, or Node). */
export function createCpuBackend(adapter = 'main thread'): SpectrumBackend {
  return {
    name: 'cpu',
    adapter,
    spectrum(input, signal) {
      // Async so that callers get a rejected promise, never a synchronous throw.
      return Promise.resolve().then(() => spectrumCpu(inputValues(input), input.rows, input.cols, signal));
    },
  };
}

/**
 * Convolution weights the WeightWatcher way: a 4-D kernel [out, in, kh, kw] is kh·kw matrices
 * W[:, :, i, j] of shape [out, in], one per kernel position; each gets its own spectrum (on the same
 * SpectrumBackend as every other matrix) and the eigenvalues of all positions are pooled into one
 * ascending list that is fitted once.
 *
 * What we follow from WeightWatcher's source (0.7.x: `WWLayer.conv2D_Wmats`, `combined_eigenvalues`,
 * `apply_normalize_Wmats`, `layer_supported`; default `pool=True`, not the old ww2x per-slice mode):
 * - the slices are W[:, :, i, j] of the channels-last (PyTorch/ONNX) layout, so one matrix is
 *   [out channels, in channels]. WeightWatcher transposes a slice to N ≥ M first; that does not change
 *   the min(out, in) eigenvalues of WᵀW / WWᵀ, which is what each backend returns.
 * - all positions' eigenvalues are concatenated and sorted, giving min(out, in)·kh·kw of them.
 * - 1×1 convolutions are included (one slice, receptive field 1), as WeightWatcher does.
 * - a depthwise kernel [C, 1, k, k] has single-column slices (one eigenvalue each): the readers give it
 *   no kernel matrices and it is listed as skipped. WeightWatcher would pool those k² single eigenvalues
 *   and, for 3×3 kernels, drops the layer under its min_evals; we skip every depthwise kernel, since a
 *   column's squared norm is no matrix spectrum.
 *
 * What we do not follow: WeightWatcher's default `conv2d_norm=True` multiplies each slice by
 * √(conv2d_count / 2), and conv2d_count stays 1 outside its ww2x slice mode (only the slice iterator sets
 * it), so its pooled conv eigenvalues are half of ours. We keep the weights unscaled, like every other matrix here, so that λmax and the norms
 * of a convolution stay comparable with the Linear matrices next to it. α, the KS distance D and the tail
 * count do not depend on a common scale factor (the fit is scale-invariant); xmin, λmax and the norms
 * (log_norm, log_spectral_norm, alpha_weighted) differ from WeightWatcher's by that factor 1/2. Its
 * min_evals/max_evals layer filters are not applied either: the fit reports too few eigenvalues itself.
 */
import { StudioError, throwIfAborted } from '../errors';
import type { TensorHandle } from '../formats/types';
import type { SpectrumBackend, SpectrumInput } from '../linalg/backend';
import type { SpectrumResult } from '../spectral/types';

/** Every kernel position's matrix of one convolution weight, row-major [rows, cols] each. */
export interface PooledInput {
  matrices: (Float32Array | Float64Array)[];
  rows: number;
  cols: number;
}

/** Reads every kernel-position matrix of a convolution weight in one read of the tensor. */
export async function readPooledInput(
  tensor: TensorHandle,
  signal: AbortSignal | undefined,
  float64: boolean,
): Promise<PooledInput> {
  const kernels = tensor.kernelMatrices;
  if (kernels === undefined)
    throw new StudioError('INTERNAL', `${tensor.name} has no kernel matrices to pool`, tensor.file);
  const matrices = float64 ? await kernels.readAllF64(signal) : await kernels.readAll(signal);
  throwIfAborted(signal);
  return { matrices, rows: kernels.shape[0], cols: kernels.shape[1] };
}

/** The spectrum of one planned item: a plain matrix on the backend, or a convolution's pooled spectrum. */
export function spectrumOf(
  backend: SpectrumBackend,
  input: SpectrumInput | PooledInput,
  signal?: AbortSignal,
): Promise<SpectrumResult> {
  return 'matrices' in input ? pooledSpectrum(backend, input, signal) : backend.spectrum(input, signal);
}

/**
 * The spectra of every matrix on the backend, one after another (each already fills the GPU queue or a
 * CPU worker; the plan runs other items beside this one), pooled.
 */
export async function pooledSpectrum(
  backend: SpectrumBackend,
  input: PooledInput,
  signal?: AbortSignal,
): Promise<SpectrumResult> {
  const parts: SpectrumResult[] = [];
  for (const data of input.matrices) {
    const one: SpectrumInput = { data, rows: input.rows, cols: input.cols };
    parts.push(await backend.spectrum(one, signal));
    throwIfAborted(signal);
  }
  return poolSpectra(parts);
}

/**
 * One spectrum from several: eigenvalues concatenated and sorted ascending; clamped negatives summed; the
 * noise floor is the largest of the parts' (each part's floor is relative to its own λmax, so below the
 * largest one a pooled eigenvalue may be noise); stage timings summed.
 */
export function poolSpectra(parts: readonly SpectrumResult[]): SpectrumResult {
  if (parts.length === 0) throw new StudioError('INTERNAL', 'no spectra to pool');
  let total = 0;
  for (const p of parts) total += p.eigenvalues.length;
  const eigenvalues = new Float64Array(total);
  let offset = 0;
  let negativeCount = 0;
  let noiseFloor = 0;
  const timings: Record<string, number> = {};
  for (const p of parts) {
    eigenvalues.set(p.eigenvalues, offset);
    offset += p.eigenvalues.length;
    negativeCount += p.negativeCount;
    noiseFloor = Math.max(noiseFloor, p.noiseFloor);
    for (const [stage, ms] of Object.entries(p.timings)) timings[stage] = (timings[stage] ?? 0) + ms;
  }
  eigenvalues.sort();
  // A pool is 'gram' only when every kernel position's spectrum was (the GPU chooses per matrix).
  const method = parts.every((p) => p.method === 'gram') ? 'gram' : 'svd';
  return { eigenvalues, negativeCount, noiseFloor, timings, backend: parts[0]!.backend, method };
}

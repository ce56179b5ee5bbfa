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
import { maxOf } from '../array';
import { spectraOf, type SpectrumBackend, type SpectrumInput } from '../linalg/backend';
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
  return 'matrices' in input
    ? pooledSpectrum(backend, input, signal)
    : scaledSpectrum(backend, input, signal);
}

/**
 * Weights whose largest magnitude is outside [2^-SAFE_EXPONENT, 2^SAFE_EXPONENT] are scaled into [1, 2)
 * before the spectrum: finite F64 weights of 1e170 overflow every Gram (1e340), 1e-170 underflow it, and an
 * fp32 engine overflows at 1e19. Between the bounds nothing is touched (no fixture or trained weight
 * comes near them).
 */
const SAFE_EXPONENT = 64;

/** x·2^e without an intermediate overflow or underflow of 2^e itself. */
function timesPow2(x: number, e: number): number {
  let v = x;
  let rest = e;
  while (rest !== 0) {
    const step = Math.max(-1000, Math.min(1000, rest));
    v *= 2 ** step;
    rest -= step;
  }
  return v;
}

/** The power of two to divide the values by (0: leave them), from their largest magnitude. */
export function weightScaleExponent(values: Float32Array | Float64Array): number {
  return scaleExponentOf(largestMagnitude(values));
}

function largestMagnitude(values: Float32Array | Float64Array): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (a > max) max = a;
  }
  return max;
}

function scaleExponentOf(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 0;
  const e = Math.floor(Math.log2(max));
  return e > SAFE_EXPONENT || e < -SAFE_EXPONENT ? e : 0;
}

/** Decoded values, the only kind `scaledSpectra` takes (raw bytes are never scaled). */
export type DecodedInput = Extract<SpectrumInput, { data: unknown }>;

/**
 * The one place every engine's input passes (CPU float64, the CPU pool, WebGPU): decoded values with an
 * extreme largest magnitude are scaled by a power of two (exact: no value's digits change), the spectrum is
 * taken, and λ (and the noise floor) are scaled back by the square. When λ itself is outside float64's
 * range (weights beyond ≈1e154), the spectrum stays that of the scaled matrix and says so (`scaleLog2`):
 * α, D and the tail do not depend on a common factor; NaN/Inf is then reported only for values that are.
 * Raw F32/F16/BF16 bytes go to the engine as stored (an F16/BF16 value is at most 3.4e38).
 */
export async function scaledSpectrum(
  backend: SpectrumBackend,
  input: SpectrumInput,
  signal?: AbortSignal,
): Promise<SpectrumResult> {
  if (!('data' in input)) return backend.spectrum(input, signal);
  const [result] = await scaledSpectra(backend, [input], signal);
  return result!;
}

/**
 * `scaledSpectrum` for matrices of one shape that are pooled afterwards (FARMS windows, a convolution's
 * kernel positions, shuffled copies): one power of two for all of them, from their largest magnitude
 * together, so that their eigenvalues stay in one unit; computed through the backend's batch
 * (`spectraOf`), the GPU's one pass per step for the whole group.
 */
export async function scaledSpectra(
  backend: SpectrumBackend,
  inputs: readonly DecodedInput[],
  signal?: AbortSignal,
): Promise<SpectrumResult[]> {
  const k = scaleExponentOf(maxOf([0, ...inputs.map((input) => largestMagnitude(input.data))]));
  if (k === 0) return spectraOf(backend, inputs, signal);
  for (const { data } of inputs) for (let i = 0; i < data.length; i++) data[i] = timesPow2(data[i]!, -k);
  const results = await spectraOf(backend, inputs, signal);
  return results.map((result) => {
    const back = new Float64Array(result.eigenvalues.length);
    let representable = true;
    for (let i = 0; i < back.length; i++) {
      const v = result.eigenvalues[i]!;
      back[i] = timesPow2(v, 2 * k);
      if (!Number.isFinite(back[i]!) || (v > 0 && back[i] === 0)) representable = false;
    }
    if (!representable) return { ...result, scaleLog2: k };
    return { ...result, eigenvalues: back, noiseFloor: timesPow2(result.noiseFloor, 2 * k) };
  });
}

/**
 * The spectra of every kernel position on the backend (one batch of one shape; the plan runs other items
 * beside this one), pooled.
 */
export async function pooledSpectrum(
  backend: SpectrumBackend,
  input: PooledInput,
  signal?: AbortSignal,
): Promise<SpectrumResult> {
  const { rows, cols } = input;
  const parts = await scaledSpectra(
    backend,
    input.matrices.map((data) => ({ data, rows, cols })),
    signal,
  );
  throwIfAborted(signal);
  return poolSpectra(parts);
}

/**
 * One spectrum from several: eigenvalues concatenated and sorted ascending; clamped negatives summed; the
 * noise floor is the largest of the parts' (each part's floor is relative to its own λmax, so below the
 * largest one a pooled eigenvalue may be noise); stage timings summed.
 */
export function poolSpectra(parts: readonly SpectrumResult[]): SpectrumResult {
  if (parts.length === 0) throw new StudioError('INTERNAL', 'no spectra to pool');
  // Parts given for differently scaled weights (see scaledSpectrum) have no common unit to pool in.
  const scale = parts[0]!.scaleLog2;
  if (parts.some((p) => p.scaleLog2 !== scale))
    throw new StudioError(
      'NON_FINITE',
      'the kernel matrices differ so much in magnitude that their eigenvalues have no common float64 scale',
    );
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
  return {
    eigenvalues,
    negativeCount,
    noiseFloor,
    timings,
    backend: parts[0]!.backend,
    method,
    ...(scale !== undefined ? { scaleLog2: scale } : {}),
  };
}

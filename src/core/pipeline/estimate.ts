/**
 * A rough time estimate of an analysis plan on a backend, shown before the analysis starts so the user can
 * narrow the selection of a large model first. It is an ESTIMATE: throughput figures per backend kind
 * (below, with where they come from) times the plan's flops (`spectrumFlops`) and bytes; reading overlaps
 * computing in the pipeline, so the slower of the two sets the pace. On WebGPU the flops are those of the
 * method the GPU will use (`engineFlops`). Real figures vary several-fold with
 * the machine; the UI says so.
 */
import { isSmallMatrix } from '../linalg/small-matrix';
import type { SpectrumBackendName } from '../spectral/types';
import { chooseMethod } from './method';
import { methodFlops, spectrumFlops } from './plan';

/** What the estimate needs to know about the backend (a subset of the worker's BackendInfo). */
export interface EstimateBackend {
  name: SpectrumBackendName;
  /** A software adapter (SwiftShader): correct but orders of magnitude slower than a GPU. */
  software: boolean;
}

/**
 * One item of the plan: its matrix shape (to route small ones to the CPU), bytes read and flops (all of its
 * matrices). A convolution is `matrices` kernel-position matrices of that shape, each with its own fixed cost.
 */
export interface EstimateItem {
  rows: number;
  cols: number;
  bytes: number;
  flops: number;
  /** Spectra computed for this item: kh·kw for a convolution; 1 when absent. */
  matrices?: number;
}

export interface Throughput {
  /** Sustained spectrum work, flop/s. */
  flopsPerSecond: number;
  /** Fixed cost per matrix (dispatches, read-back, fit), seconds. */
  perMatrixSeconds: number;
}

/**
 * Figures per backend kind. CPU: the float64 WebAssembly kernels do ≈ 5 GFLOP/s on one core at n = 1024
 * (bench/README.md); 4 GFLOP/s allows for the browser and a shared machine. WebGPU on hardware: 200 GFLOP/s,
 * the low end of bench/README.md's projection for a discrete/laptop GPU (not measured here). SwiftShader:
 * ≈ 0.09 GFLOP/s measured at n = 512 (bench/README.md).
 */
export const THROUGHPUT: Record<SpectrumBackendName | 'software', Throughput> = {
  cpu: { flopsPerSecond: 4e9, perMatrixSeconds: 0.002 },
  webgpu: { flopsPerSecond: 2e11, perMatrixSeconds: 0.02 },
  software: { flopsPerSecond: 9e7, perMatrixSeconds: 0.05 },
};

/**
 * Reading + converting weights (File.slice, dtype decode in the worker), bytes/s: 1 GB/s (an SSD). The
 * same whatever computes the spectra, since reading always runs in the worker.
 */
export const READ_BYTES_PER_SECOND = 1e9;

export interface TimeEstimate {
  seconds: number;
  computeSeconds: number;
  readSeconds: number;
}

function throughputFor(backend: EstimateBackend, rows: number, cols: number): Throughput {
  // Small matrices run on the float64 CPU path even under WebGPU (the worker's routing), so at its rate.
  if (backend.name === 'cpu' || isSmallMatrix(rows, cols)) return THROUGHPUT.cpu;
  return backend.software ? THROUGHPUT.software : THROUGHPUT.webgpu;
}

/**
 * The item's flops on the engine that will compute it. The plan counts the CPU's Gram path; a matrix the
 * GPU reduces by SVD (`chooseMethod`) does bidiagonalisation work instead, more of it (≈ 8/3·n³ against
 * 7/3·n³ square, ≈ 2.75× at a 1:4 aspect), so its flops are scaled by the ratio of the two.
 */
function engineFlops(backend: EstimateBackend, item: EstimateItem): number {
  const { rows, cols } = item;
  if (backend.name === 'cpu' || isSmallMatrix(rows, cols)) return item.flops;
  const method = chooseMethod(rows, cols);
  if (method === 'gram') return item.flops;
  return (item.flops * methodFlops(rows, cols, method)) / spectrumFlops(rows, cols);
}

export function estimateTime(items: readonly EstimateItem[], backend: EstimateBackend): TimeEstimate {
  let computeSeconds = 0;
  let bytes = 0;
  for (const item of items) {
    const rate = throughputFor(backend, item.rows, item.cols);
    computeSeconds +=
      engineFlops(backend, item) / rate.flopsPerSecond + rate.perMatrixSeconds * (item.matrices ?? 1);
    bytes += item.bytes;
  }
  const readSeconds = bytes / READ_BYTES_PER_SECOND;
  // Reading the next tensor overlaps the current spectrum (prefetch), so the slower stage sets the pace.
  return { seconds: Math.max(computeSeconds, readSeconds), computeSeconds, readSeconds };
}

/** "under a second", "about 40 s", "about 3 min", "about 1.5 h": an estimate, so rounded. */
export function formatEstimate(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  if (seconds < 1) return 'under a second';
  if (seconds < 90) return `about ${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}

/** Above these the analysis waits for "Start analysis", so the selection can be narrowed first. */
export const CONFIRM_ABOVE_SECONDS = 20;
export const CONFIRM_ABOVE_BYTES = 1024 ** 3;

export function needsConfirmation(estimate: TimeEstimate, bytes: number): boolean {
  return estimate.seconds > CONFIRM_ABOVE_SECONDS || bytes > CONFIRM_ABOVE_BYTES;
}

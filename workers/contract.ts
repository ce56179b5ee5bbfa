/**
 * The typed contract between the React app and the analysis worker. Everything here crosses postMessage,
 * so it is plain data (no classes, no functions except the comlink-proxied callbacks) and errors travel as
 * `StudioErrorData` (branch on `code`, never `instanceof`).
 *
 * Identity: every request about an opened model carries a `ModelRef` (its files, plan and fingerprint), as
 * web-llm's requests carry their model id. The worker keeps opened models by fingerprint and plan as a
 * cache only: a worker that does not hold the model (a fresh one, after a cancel terminated the last)
 * opens it again from the request. Several models may be open at once (a comparison holds two).
 *
 * Cancellation: AbortSignal cannot cross postMessage, so every long call takes a request id first and the
 * app cancels it with `cancel(id)`; the app-side client (src/app/worker/client.ts) turns a real AbortSignal
 * into that call and terminates the worker when the loop does not stop in time.
 */
import type { LoraModelInfo } from '../src/core/adapters/lora-types';
import type { TensorGroup } from '../src/core/model/block-matrix';
import type { BlocksBasis } from '../src/core/model/blocks-basis';
import type { StudioErrorData } from '../src/core/errors';
import type { FormatName, ModelFileInfo, TensorKind } from '../src/core/formats/types';
import type { PlanOptions } from '../src/core/pipeline/plan';
import type { PairMeasures } from '../src/core/compare/compare-models';
import type { SkipCode } from '../src/core/pipeline/skip-reason';
import type { MatrixResult } from '../src/core/result';
import type { SpectrumBackendName } from '../src/core/spectral/types';

export type { PlanOptions };

/** Names one long-running call, so that `cancel(id)` can abort it. */
export type RequestId = number;

/**
 * An opened model, as every request names it: enough for any worker to open it again. `fingerprint` is
 * the one its open produced (ModelSummary.fingerprint): a reopen whose files no longer match it fails
 * (the files changed on disk since) rather than analysing other weights under the same name.
 */
export interface ModelRef {
  files: File[];
  plan: PlanOptions;
  fingerprint: string;
}

/** Which spectrum backend analyses, and why (shown in the header and the progress panel). */
export interface BackendInfo {
  name: SpectrumBackendName;
  /** Adapter description for WebGPU, "CPU (float64)" otherwise. */
  adapter: string;
  /**
   * Why the CPU is used when it is (no WebGPU, no adapter, device lost), or, for WebGPU, that this is a
   * new device after a lost one; null otherwise.
   */
  reason: string | null;
  /** True for software adapters (SwiftShader): correct but slow. */
  software: boolean;
  /**
   * On the CPU backend: the software WebGPU adapter that was found but not used, because the float64 CPU
   * path is far faster than an emulated GPU (see WorkerOptions.useSoftwareGpu).
   */
  softwareAdapter?: string;
  /** How work is split, e.g. that small matrices run on the float64 CPU path. */
  note?: string;
  /**
   * True when this backend replaces a lost GPU device: a new device, or the CPU when none could be had
   * (the header says so; `reason` has the details in words).
   */
  deviceLost?: boolean;
}

/** One tensor as the summary lists it: where it sits and whether it is analysed (and why not). */
export interface TensorSummary {
  name: string;
  file: string;
  shape: number[];
  dtype: string;
  byteLength: number;
  layer: number | null;
  role: string;
  kind: TensorKind;
  /** Analysed as this [rows, cols] matrix, or null. */
  matrixShape: [number, number] | null;
  /** A convolution's kernel-position matrices (kh·kw), analysed pooled under "other matrices". */
  kernelMatrices?: number;
  /** True when the plan includes it. */
  analysed: boolean;
  /**
   * What the plan computes for it, present when analysed (its PlanItem's figures): the analysed matrix
   * [rows, cols] (a convolution's kernel-position matrix), how many such spectra (kh·kw for a convolution,
   * else 1) and their flops in all (`spectrumFlops`). The page's time estimate sums these.
   */
  work?: { rows: number; cols: number; matrices: number; flops: number };
  /** Why it is not analysed, or null when it is. */
  reason: string | null;
  /** The same as a code (src/core/pipeline/skip-reason.ts); null when analysed. */
  reasonCode: SkipCode | null;
  /** What it is to the analysis, which says the option that includes it (src/core/model/block-matrix.ts). */
  group: TensorGroup;
}

/** What was recognised in the opened files: shown at once, before any spectrum is computed. */
export interface ModelSummary {
  name: string;
  format: FormatName;
  architecture: string;
  numLayers: number;
  /** What the layers are, in words (src/core/model/blocks-basis.ts). */
  blocks?: BlocksBasis;
  files: ModelFileInfo[];
  /** Total number of parameters: elements of every tensor, a tied head counted once (src/core/parameters.ts). */
  parameters: number;
  /** Parameters per stored dtype, e.g. { F32: 260000 }. */
  dtypes: Record<string, number>;
  tensors: TensorSummary[];
  /** Fixed totals of the analysis plan (the progress bar's denominators). */
  totals: { matrices: number; bytes: number };
  /** Per-file errors (each names its file); the other files were still opened. */
  errors: StudioErrorData[];
  warnings: string[];
  /**
   * The opened files' fingerprint (names, sizes, dates, hash of header bytes; no plan options): finished
   * matrices are cached under it plus the matrix name, so a changed selection reuses them.
   */
  fingerprint: string;
  /** The plan options this summary was made with. */
  plan: PlanOptions;
  /** Set when the files are a PEFT LoRA adapter, alone or merged into its base (src/core/adapters). */
  lora?: LoraModelInfo;
}

/** The result of `open`: a summary, or an error that stopped every file from opening. */
export type OpenOutcome =
  { ok: true; summary: ModelSummary } | { ok: false; error: StudioErrorData; errors: StudioErrorData[] };

/**
 * Progress events with fixed totals; `done` counts never decrease; the last event of a complete run has
 * phase 'done' (a cancelled or failed run ends with its outcome instead).
 */
export interface ProgressEvent {
  phase: 'spectrum' | 'done';
  matricesDone: number;
  matricesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** The matrix being worked on, or null between matrices. */
  current: string | null;
  elapsedMs: number;
  /** Estimated milliseconds left, or null before the first matrix finishes. */
  remainingMs: number | null;
  backend: BackendInfo;
}

/** Callbacks the app passes with `Comlink.proxy`. */
export interface AnalysisCallbacks {
  onProgress(event: ProgressEvent): void;
  /**
   * One finished matrix; its eigenvalues' buffer is transferred, not copied. `newSpectra` is how many
   * spectra the backend computed since the previous call (the app sums it: moving a slider must never
   * add to it).
   */
  onMatrix(matrix: MatrixResult, newSpectra: number): void;
  /** A matrix could not be analysed (NaN in the tensor, read error): the others continue. */
  onMatrixError(error: StudioErrorData): void;
  /**
   * The backend changed mid-run: the GPU device was lost and the rest is analysed on a new device
   * (`name` 'webgpu', `reason` says the device was lost) or on the CPU.
   */
  onBackend(info: BackendInfo): void;
  /**
   * The last call of a run, on the same channel as the matrices (so after every one of them: the return
   * value of `analyse` travels on another port and may overtake them).
   */
  onDone(outcome: AnalyzeOutcome): void;
}

export interface AnalyzeOutcome {
  status: 'complete' | 'cancelled' | 'failed';
  /** Matrices of the plan finished, the ones named done in the request included. */
  matricesDone: number;
  error: StudioErrorData | null;
  /** The backend the run ended on; null when its worker was terminated before it said (a stuck cancel). */
  backend: BackendInfo | null;
  elapsedMs: number;
}

/** What `compare` measures of the matched pairs (core compare's, keyed by A's matrix name). */
export type { PairMeasures };

export type CompareOutcome = { ok: true; pairs: PairMeasures } | { ok: false; error: StudioErrorData };

/** Worker settings; set before the first `backend()` call. */
export interface WorkerOptions {
  /**
   * End-to-end test hook: destroy the worker's first GPU device when this many matrices have gone to the
   * GPU, so the real lost-device path (resume on a new device, progress totals kept) can be exercised; the
   * new device is not destroyed. Off by default.
   */
  loseGpuAfter?: number;
  /**
   * End-to-end test hook: after a lost device, requesting a new one fails, so the remaining matrices are
   * analysed on the CPU (the path of a GPU that does not come back). Off by default.
   */
  noNewGpuDevice?: boolean;
  /**
   * Analyse on a software WebGPU adapter (SwiftShader) when that is the only one. Off by default: such an
   * adapter emulates the GPU on the CPU and is 10-100× slower than the float64 CPU backend (bench/README.md),
   * so the CPU is used. Tests and benchmarks of the GPU path turn it on (URL `?software-gpu`).
   */
  useSoftwareGpu?: boolean;
}

/** What `Comlink.wrap<AnalysisWorkerApi>()` gives the app (every method is async across the boundary). */
export interface AnalysisWorkerApi {
  configure(options: WorkerOptions): void;
  /** Probes WebGPU once (creating the device) and says which backend the analysis will use. */
  backend(): Promise<BackendInfo>;
  /**
   * Opens the files (File objects are structured-cloned, not copied) and keeps them for later requests;
   * `plan` says which matrices to analyse beyond the default attention/MLP ones. The summary's
   * fingerprint, with these files and plan, is the `ModelRef` later requests carry.
   */
  open(request: RequestId, files: File[], plan?: PlanOptions): Promise<OpenOutcome>;
  /**
   * Analyses `model` (opened again first when this worker does not hold it), streaming results through the
   * callbacks. `done` names matrices of the plan whose results the app already has (resume): only the
   * others are analysed, while the progress totals stay those of the whole plan and its counters start at
   * the done ones.
   */
  analyze(
    request: RequestId,
    model: ModelRef,
    callbacks: AnalysisCallbacks,
    done?: readonly string[],
  ): Promise<AnalyzeOutcome>;
  /**
   * Reads the matched weight matrices of `a` and `b` pair by pair (core compare's `measurePairs`, never
   * more than one pair in memory): their relative Frobenius distance, and with `deltaWeights` the spectrum
   * and fits of W_B − W_A. Nothing is analysed again (the page holds both analyses and builds the
   * comparison); `onPair` counts the pairs done of a fixed total.
   */
  compare(
    request: RequestId,
    a: ModelRef,
    b: ModelRef,
    options: { deltaWeights: boolean },
    onPair: (done: number, total: number) => void,
  ): Promise<CompareOutcome>;
  /** Aborts a running request; results it produces afterwards are not sent. */
  cancel(request: RequestId): void;
  /** Forgets an opened model (frees its file handles); a later request naming it opens it again. */
  close(model: ModelRef): void;
}

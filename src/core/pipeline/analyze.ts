/**
 * Stage 3 of the pipeline: for every planned matrix, read its weights, compute the spectrum on the given
 * backend (WebGPU or CPU) and summarise it (fits, metrics). Shared by the browser worker and the CLI.
 *
 * - A matrix that fails (NaN/Inf, a read error) is reported and the others go on.
 * - Cancelling throws ABORTED; every matrix finished before that has already gone out through `onMatrix`,
 *   so the caller keeps partial results.
 * - A lost or missing GPU stops the run (the error is rethrown): the caller retries the remaining matrices
 *   on another backend (`remainingPlan`).
 * - At most `concurrency + prefetch` tensors are in memory at once; reading the next tensors overlaps
 *   the current computation.
 */
import { abortError, isStudioError, StudioError, throwIfAborted, toErrorData } from '../errors';
import type { StudioErrorCode, StudioErrorData } from '../errors';
import type { ModelDescription, RawTensor } from '../formats/types';
import type { SpectrumBackend, SpectrumInput } from '../linalg/backend';
import { summarizeMatrix } from '../result';
import type { AnalysisResult, DiagnosticsOptions, MatrixInfo, MatrixResult } from '../result';
import type { SpectrumResult } from '../spectral/types';
import type { FarmsParams } from '../diagnostics/farms';
import { extraSpectra, needsWeights, withExtras, type ExtraSpectra } from './extra-spectra';
import type { AnalysisPlan, PlanItem } from './plan';
import { readPooledInput, spectrumOf } from './pooled-spectrum';
import type { PooledInput } from './pooled-spectrum';
import { ProgressTracker } from './progress';
import type { LoraInput } from '../adapters/lora-types';
import type { Progress } from './progress';

export interface AnalyzeOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Called once per analysed matrix, as soon as it is done (in completion order). */
  onMatrix?: (m: MatrixResult) => void;
  /** Spectra computed at once. Default 1 (one GPU queue); use the pool size for the CPU pool. */
  concurrency?: number;
  /**
   * Tensors read ahead of the computation (default 1): the next matrix comes off the disk while the
   * current one is on the GPU/CPU. At most `concurrency + prefetch` tensors are in memory at once.
   */
  prefetch?: number;
  /**
   * Fits and metrics of one spectrum, off this thread (the browser's CPU pool); default `summarizeMatrix`
   * here. Either way the same function computes them.
   */
  summarize?: (info: MatrixInfo, spectrum: SpectrumResult, signal?: AbortSignal) => Promise<MatrixResult>;
  /** Clock for progress timings (tests inject one). */
  now?: () => number;
  /**
   * Benchmark hook: called when a tensor's read (File.slice + decode into what the backend takes) has
   * finished, with its wall time. Reads run ahead of the computation, so these overlap other stages.
   */
  onRead?: (read: ReadTiming) => void;
  /** WeightWatcher's diagnostics per matrix (docs/specs/diagnostics.md §1–§4; §2's shuffles when `randomize`). */
  diagnostics?: DiagnosticsOptions;
  /** FARMS: every matrix's fits become those of its pooled fixed-shape windows (spec §6). */
  farms?: FarmsParams;
}

export interface ReadTiming {
  index: number;
  name: string;
  /** Bytes read from the file (the plan's count for this tensor). */
  bytes: number;
  ms: number;
}

/** Errors that end the whole run rather than one matrix. */
const FATAL_CODES: readonly StudioErrorCode[] = ['ABORTED', 'GPU_DEVICE_LOST', 'GPU_UNAVAILABLE'];

export async function analyzeModel(
  model: ModelDescription,
  plan: AnalysisPlan,
  backend: SpectrumBackend,
  opts: AnalyzeOptions = {},
): Promise<AnalysisResult> {
  const { signal, onProgress, onMatrix } = opts;
  let next = 0;
  let fatal: unknown = null;
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1));
  const prefetch = Math.max(0, Math.floor(opts.prefetch ?? 1));
  // A callback that throws is the caller's bug: it ends the run and is rethrown at the end, rather than
  // being mistaken for a tensor error (which would also break the progress counters).
  const guard =
    <T>(callback: ((value: T) => void) | undefined) =>
    (value: T): void => {
      try {
        callback?.(value);
      } catch (err) {
        if (fatal === null) fatal = err;
      }
    };
  const deliver = guard(onMatrix);
  const summarize = opts.summarize ?? ((info, spectrum) => Promise.resolve(summarizeMatrix(info, spectrum)));
  const onRead = opts.onRead ? guard(opts.onRead) : undefined;
  const tracker = new ProgressTracker(plan.totals, guard(onProgress), opts.now);
  const results: (MatrixResult | undefined)[] = new Array<MatrixResult | undefined>(plan.items.length);
  const tensorErrors: StudioErrorData[] = [];
  const extraOpts = {
    ...(opts.diagnostics !== undefined ? { diagnostics: opts.diagnostics } : {}),
    ...(opts.farms !== undefined ? { farms: opts.farms } : {}),
  };
  const wantsExtras = opts.diagnostics !== undefined || opts.farms !== undefined;
  const wantsWeights = needsWeights(extraOpts);

  // 1. Announce the fixed totals before any work.
  tracker.start(backend.name, backend.adapter);

  // 2. Reads run up to `prefetch` items ahead of the computations; a read is dropped from the map as soon
  //    as its computation takes it, so the map never holds more than the window.
  const reads = new Map<number, Promise<SpectrumInput | PooledInput | LoraInput>>();
  const startRead = (index: number): void => {
    const item = plan.items[index];
    if (item === undefined || reads.has(index) || fatal !== null) return; // past the last item
    const t0 = onRead ? performance.now() : 0;
    let read = inputFor(item, backend, signal, wantsWeights);
    if (onRead) {
      read = read.then((input) => {
        onRead({ index, name: item.name, bytes: item.bytes, ms: performance.now() - t0 });
        return input;
      });
    }
    read.catch(() => undefined); // handled when its computation awaits it; never an unhandled rejection
    reads.set(index, read);
  };
  const takeRead = (index: number): Promise<SpectrumInput | PooledInput | LoraInput> => {
    startRead(index);
    const read = reads.get(index) as Promise<SpectrumInput | PooledInput | LoraInput>;
    reads.delete(index);
    return read;
  };

  // 3. `concurrency` loops pull the next item; each computes one spectrum at a time.
  const runLoop = async (): Promise<void> => {
    while (fatal === null && next < plan.items.length) {
      if (signal?.aborted) {
        fatal = abortError();
        return;
      }
      const index = next++;
      const item = plan.items[index];
      if (item === undefined) return; // the loop condition has just checked the index: no item left
      tracker.matrixStart(item, index);
      const t0 = performance.now();
      let matrix: MatrixResult;
      try {
        const input = takeRead(index);
        for (let k = 1; k <= prefetch; k++) startRead(next - 1 + k);
        const read = await input;
        // The shuffles and windows first: the matrix's own spectrum may scale its data in place.
        let extras: ExtraSpectra = {};
        if (wantsWeights && 'data' in read) {
          extras = await extraSpectra(backend, read, item.name, extraOpts, signal);
        }
        // A LoRA ΔW arrives as its finished spectrum (the r×r core, src/core/adapters).
        const spectrum = 'spectrum' in read ? read.spectrum : await spectrumOf(backend, read, signal);
        throwIfAborted(signal);
        matrix = await summarize(
          {
            name: item.name,
            file: item.file,
            layer: item.layer,
            role: item.role,
            kind: item.kind,
            shape: [item.rows, item.cols],
            dtype: item.tensor.dtype,
            ...(item.pooledMatrices !== undefined ? { pooledMatrices: item.pooledMatrices } : {}),
            ...(item.tensor.lora !== undefined
              ? {
                  source: item.tensor.lora.source,
                  rank: item.tensor.lora.rank,
                  scale: item.tensor.lora.scale,
                }
              : {}),
          },
          spectrum,
          signal,
        );
        throwIfAborted(signal);
        if (wantsExtras) matrix = withExtras(matrix, extras, extraOpts);
      } catch (err) {
        if (isFatal(err, signal)) {
          if (fatal === null) fatal = signal?.aborted ? abortError() : err;
          return;
        }
        const data = tensorError(item, err);
        tensorErrors.push(data);
        tracker.matrixError(item, index, data);
        continue;
      }
      results[index] = matrix;
      tracker.matrixDone(item, index, performance.now() - t0);
      deliver(matrix);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, plan.items.length) }, runLoop));

  // 4. The final event, then either the error that ended the run or the result in plan order.
  tracker.done(fatal !== null);
  if (fatal !== null) throw fatal;
  return {
    model: {
      name: model.name,
      architecture: model.architecture,
      format: model.format,
      files: model.files.map((f) => ({ name: f.name, bytes: f.bytes })),
      numLayers: model.numLayers,
      ...(model.lora !== undefined ? { lora: model.lora } : {}),
      ...(model.blocks ? { blocks: { ...model.blocks } } : {}),
    },
    backend: backend.name,
    adapter: backend.adapter,
    matrices: results.filter((m): m is MatrixResult => m !== undefined),
    errors: [...model.errors, ...tensorErrors],
    warnings: [...model.warnings],
    ...extraOpts,
  };
}

/**
 * Reads one tensor in the form the backend wants. The GPU gets the stored F32/F16/BF16 bytes when the
 * reader offers them (no conversion on the CPU); the CPU backend gets float32 (exact for every stored
 * dtype up to 32 bits, and half the memory of float64) or float64 for 64-bit weights.
 */
async function inputFor(
  item: PlanItem,
  backend: SpectrumBackend,
  signal: AbortSignal | undefined,
  needsWeights: boolean,
): Promise<SpectrumInput | PooledInput | LoraInput> {
  const { tensor, rows, cols } = item;
  if (tensor.lora !== undefined) return tensor.lora.input(signal);
  if (item.pooledMatrices !== undefined) return readPooledInput(tensor, signal, is64Bit(tensor.dtype));
  // Shuffles and FARMS windows need the decoded values, so the GPU then gets them decoded too.
  if (backend.name === 'webgpu' && tensor.readRaw !== undefined && !needsWeights) {
    const raw: RawTensor | null = await tensor.readRaw(signal);
    throwIfAborted(signal);
    if (raw !== null) return { raw, rows, cols };
  }
  const data = is64Bit(tensor.dtype) ? await tensor.readF64(signal) : await tensor.read(signal);
  throwIfAborted(signal);
  return { data, rows, cols };
}

function is64Bit(dtype: string): boolean {
  return /^(F64|FLOAT64|DOUBLE)$/i.test(dtype);
}

function isFatal(err: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  return isStudioError(err) && FATAL_CODES.includes(err.code);
}

/** The error of one matrix, always naming the tensor and its file. */
function tensorError(item: PlanItem, err: unknown): StudioErrorData {
  const data = toErrorData(err);
  const message = data.message.includes(item.name) ? data.message : `${item.name}: ${data.message}`;
  const error = new StudioError(data.code, message, data.file ?? item.file);
  return toErrorData(error);
}

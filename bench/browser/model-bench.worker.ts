/**
 * The whole-model benchmark's worker (`npm run bench -- --model DIR`): the same steps the app's analysis
 * worker runs (workers/analysis-service.ts) on the same backend selection (workers/backend-select.ts:
 * WebGPU with small matrices on the CPU, else the CPU worker pool, at the same concurrency), with the
 * benchmark's accounting switched on: per-matrix stage times (read from `onRead`, the rest from the
 * backend's `timings`), bytes, flops and the GPU buffer counter. Files arrive as disk-backed Files and are
 * read through File.slice only. Stops at the time budget and says so.
 */
import * as Comlink from 'comlink';
import { isStudioError } from '../../src/core/errors';
import { openModel } from '../../src/core/formats/open';
import { analyzeModel } from '../../src/core/pipeline/analyze';
import { planAnalysis } from '../../src/core/pipeline/plan';
import type { PlanItem, PlanOptions } from '../../src/core/pipeline/plan';
import { StageStats, extrapolateWallTime } from '../../src/core/pipeline/stage-stats';
import type { Extrapolation, MatrixStageRecord, StageSummary } from '../../src/core/pipeline/stage-stats';
import type { GpuMemorySnapshot } from '../../src/gpu/memory';
import { BackendSelector } from '../../workers/backend-select';
import type { SelectedBackend } from '../../workers/backend-select';
import { blobSource } from '../../workers/blob-source';
import type { BackendInfo } from '../../workers/contract';

export interface ModelBenchConfig {
  backend: 'webgpu' | 'cpu';
  /** Wall-clock budget of the analysis (after opening), ms. */
  budgetMs: number;
  plan?: PlanOptions;
}

export interface ModelBenchProgress {
  done: number;
  total: number;
  elapsedMs: number;
  name: string;
}

export interface ModelBenchResult {
  backend: BackendInfo;
  model: { name: string; architecture: string; files: number; fileBytes: number };
  plan: { matrices: number; bytes: number; flops: number };
  /** Opening the files (headers only) and planning, ms. */
  openMs: number;
  summary: StageSummary;
  records: MatrixStageRecord[];
  /** False when the budget ran out first. */
  complete: boolean;
  /** Present when incomplete: the whole plan's time at the measured rate. */
  extrapolation: Extrapolation | null;
  gpuMemory: GpuMemorySnapshot | null;
  /** Reading alone (no computation), after the analysis: the raw read rate File.slice gives here. */
  readAlone: { bytes: number; ms: number; matrices: number };
  errors: string[];
}

/** Cap on the read-alone pass after an analysis, ms. */
const READ_ALONE_MS = 20_000;

/**
 * Reads the plan's tensors one after another as the backend would (raw bytes when the reader has them,
 * else decoded), discarding them, until the plan or the time cap ends.
 */
async function readAlone(
  items: readonly PlanItem[],
  raw: boolean,
  capMs = READ_ALONE_MS,
): Promise<ModelBenchResult['readAlone']> {
  const t0 = performance.now();
  let bytes = 0;
  let matrices = 0;
  for (const item of items) {
    if (performance.now() - t0 > capMs) break;
    const got = raw && item.tensor.readRaw ? await item.tensor.readRaw() : null;
    if (got === null) await item.tensor.read();
    bytes += item.bytes;
    matrices++;
  }
  return { bytes, ms: performance.now() - t0, matrices };
}

async function select(selector: BackendSelector, backend: 'webgpu' | 'cpu'): Promise<SelectedBackend> {
  if (backend === 'cpu') return selector.fallBackToCpu('bench: --backend cpu');
  // The bench measures whatever adapter exists, a software one included (the app would pass it over).
  selector.options = { ...selector.options, useSoftwareGpu: true };
  const selected = await selector.get();
  if (selected.info.name !== 'webgpu') {
    throw new Error(`--backend webgpu: no WebGPU here (${selected.info.reason ?? 'unknown reason'})`);
  }
  return selected;
}

const api = {
  /**
   * Reads every planned tensor (raw bytes, as the GPU path does; decoded when `raw` is false) with no
   * computation, within `budgetMs`: the read rate of File.slice on this machine for this model.
   */
  async readOnly(
    files: File[],
    raw: boolean,
    budgetMs: number,
  ): Promise<ModelBenchResult['readAlone'] & { planBytes: number; planMatrices: number }> {
    const model = await openModel(files.map((f) => blobSource(f)));
    const plan = planAnalysis(model);
    const reads = await readAlone(plan.items, raw, budgetMs);
    return { ...reads, planBytes: plan.totals.bytes, planMatrices: plan.totals.matrices };
  },

  async run(
    files: File[],
    config: ModelBenchConfig,
    onProgress: (p: ModelBenchProgress) => void,
  ): Promise<ModelBenchResult> {
    // 1. Open and plan, as the app does.
    const t0 = performance.now();
    const model = await openModel(files.map((f) => blobSource(f)));
    const plan = planAnalysis(model, config.plan ?? {});
    const openMs = performance.now() - t0;
    const selector = new BackendSelector();
    const selected = await select(selector, config.backend);
    selected.gpuMemory?.resetPeak();

    // 2. Analyse with the accounting on; the budget aborts the run.
    const stats = new StageStats();
    const readMs = new Map<string, number>();
    const bytesOf = new Map(plan.items.map((i) => [i.name, i.bytes]));
    const errors: string[] = model.errors.map((e) => `${e.file ?? ''}: ${e.message}`);
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), config.budgetMs);
    const started = performance.now();
    let complete = true;
    try {
      await analyzeModel(model, plan, selected.backend, {
        signal: ctrl.signal,
        concurrency: selected.concurrency,
        onRead: (r) => readMs.set(r.name, r.ms),
        onMatrix: (m) => {
          const t = m.timings;
          stats.add({
            name: m.name,
            rows: m.shape[0],
            cols: m.shape[1],
            bytes: bytesOf.get(m.name) ?? 0,
            ...(m.pooledMatrices !== undefined ? { matrices: m.pooledMatrices } : {}),
            // Only the stages this matrix's method ran (the Gram path's or the SVD path's).
            stages: Object.fromEntries(
              Object.entries({
                read: readMs.get(m.name),
                gram: t.gram,
                reduction: t.reduction,
                tridiagonal: t.tridiagonal,
                gramRejected: t.gramRejected,
                bidiagonal: t.bidiagonal,
                singular: t.singular,
                fit: t.fit,
              }).filter(([, ms]) => ms !== undefined),
            ),
          });
          readMs.delete(m.name);
          onProgress({
            done: stats.count,
            total: plan.items.length,
            elapsedMs: performance.now() - started,
            name: m.name,
          });
        },
        onProgress: (p) => {
          if (p.status === 'matrix-error') errors.push(p.error.message);
        },
      });
    } catch (err) {
      if (!(isStudioError(err) && err.code === 'ABORTED')) throw err;
      complete = false;
    } finally {
      clearTimeout(timer);
    }
    const wallMs = performance.now() - started;
    const summary = stats.summary(wallMs);
    const gpuMemory = selected.gpuMemory?.snapshot() ?? null;
    selected.backend.dispose?.();
    // 3. After the analysis (so that it ran on a cache as cold as it was): the read rate alone.
    const reads = await readAlone(plan.items, selected.info.name === 'webgpu');
    return {
      backend: selected.info,
      model: {
        name: model.name,
        architecture: model.architecture,
        files: model.files.length,
        fileBytes: model.files.reduce((a, f) => a + f.bytes, 0),
      },
      plan: plan.totals,
      openMs,
      summary,
      records: [...stats.list()],
      complete,
      extrapolation: complete ? null : extrapolateWallTime(summary, plan.totals.flops),
      gpuMemory,
      readAlone: reads,
      errors,
    };
  },
};

export type ModelBenchApi = typeof api;

Comlink.expose(api);

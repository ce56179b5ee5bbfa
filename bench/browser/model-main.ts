/**
 * Page half of the whole-model benchmark: takes the Files that scripts/bench.mjs set on the file input
 * (disk-backed: Chromium reads them from disk on File.slice, nothing is copied into JS memory), hands them
 * to the benchmark worker (model-bench.worker.ts) and returns its result. Progress goes to the console
 * with a `[bench]` prefix, which the Node side prints.
 */
import * as Comlink from 'comlink';
import type { ModelBenchApi, ModelBenchConfig, ModelBenchResult } from './model-bench.worker';

type ReadOnlyResult = Awaited<ReturnType<ModelBenchApi['readOnly']>>;

declare global {
  interface Window {
    runModelBench(config: ModelBenchConfig): Promise<ModelBenchResult>;
    runReadOnly(config: { raw: boolean; budgetMs: number }): Promise<ReadOnlyResult>;
  }
}

function inputFiles(): File[] {
  const input = document.getElementById('files') as HTMLInputElement;
  const files = Array.from(input.files ?? []);
  if (files.length === 0) throw new Error('no model files were set on the file input');
  return files;
}

function benchWorker(): Worker {
  return new Worker(new URL('./model-bench.worker.ts', import.meta.url), {
    type: 'module',
    name: 'model-bench',
  });
}

window.runReadOnly = async ({ raw, budgetMs }) => {
  const worker = benchWorker();
  try {
    return await Comlink.wrap<ModelBenchApi>(worker).readOnly(inputFiles(), raw, budgetMs);
  } finally {
    worker.terminate();
  }
};

window.runModelBench = async (config: ModelBenchConfig): Promise<ModelBenchResult> => {
  const files = inputFiles();
  const worker = benchWorker();
  const api = Comlink.wrap<ModelBenchApi>(worker);
  try {
    return await api.run(
      files,
      config,
      Comlink.proxy((p) => {
        const s = (p.elapsedMs / 1000).toFixed(1);
        console.log(`[bench] ${config.backend}: ${p.done}/${p.total} matrices, ${s} s (${p.name})`);
      }),
    );
  } finally {
    worker.terminate();
  }
};

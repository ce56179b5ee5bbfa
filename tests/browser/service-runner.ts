/**
 * Runs the analysis worker's service in the page (open -> plan -> analyse, no worker in between) and
 * records everything it sends back, for the resume and lost-device tests.
 */
import { createCpuBackend } from '../../src/core/linalg/backend';
import type { MatrixResult } from '../../src/core/result';
import { createAnalysisService } from '../../workers/analysis-service';
import { BackendSelector, type SelectedBackend } from '../../workers/backend-select';
import type {
  AnalyzeOutcome,
  AnalysisCallbacks,
  BackendInfo,
  ProgressEvent,
  WorkerOptions,
} from '../../workers/contract';

/** Always the in-thread float64 CPU backend: no GPU probing, deterministic. */
export class InThreadCpuSelector extends BackendSelector {
  override get(): Promise<SelectedBackend> {
    return Promise.resolve({
      backend: createCpuBackend('in-thread test backend'),
      concurrency: 1,
      info: { name: 'cpu', adapter: 'CPU (float64)', reason: null, software: false },
    });
  }
}

export interface Recorded {
  /** The analysed tensors of the plan, in the summary's order. */
  names: string[];
  total: number;
  bytes: number;
  matrices: MatrixResult[];
  progress: ProgressEvent[];
  /** Each backend change, with how many matrices had arrived before it. */
  switches: { info: BackendInfo; after: number }[];
  newSpectra: number;
  outcome: AnalyzeOutcome;
}

/** Opens `file` and analyses it; `done` are matrices finished earlier (a resume). A matrix error throws. */
export async function runService(
  selector: BackendSelector,
  file: File,
  { options = {}, done }: { options?: WorkerOptions; done?: string[] } = {},
): Promise<Recorded> {
  const service = createAnalysisService(selector);
  service.configure(options);
  const opened = await service.open(1, [file]);
  if (!opened.ok) throw new Error(opened.error.message);
  const rec: Omit<Recorded, 'outcome'> = {
    names: opened.summary.tensors.filter((t) => t.analysed).map((t) => t.name),
    total: opened.summary.totals.matrices,
    bytes: opened.summary.totals.bytes,
    matrices: [],
    progress: [],
    switches: [],
    newSpectra: 0,
  };
  const callbacks: AnalysisCallbacks = {
    onProgress: (e) => rec.progress.push(e),
    onMatrix: (m, n) => {
      rec.matrices.push(m);
      rec.newSpectra += n;
    },
    onMatrixError: (e) => {
      throw new Error(e.message);
    },
    onBackend: (info) => rec.switches.push({ info, after: rec.matrices.length }),
    onDone: () => undefined,
  };
  const model = { files: [file], plan: {}, fingerprint: opened.summary.fingerprint };
  const outcome = await service.analyze(2, model, callbacks, done);
  return { ...rec, outcome };
}

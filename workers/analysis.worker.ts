/**
 * Worker entry point: exposes the analysis service through comlink. The app wraps it with
 * `Comlink.wrap<AnalysisWorkerApi>(new Worker(new URL('../../workers/analysis.worker.ts', import.meta.url),
 * { type: 'module' }))`; the contract lives in ./contract.ts so the app never imports worker code.
 */
import * as Comlink from 'comlink';
import { createAnalysisService } from './analysis-service';

export type { AnalysisWorkerApi } from './contract';

Comlink.expose(createAnalysisService());

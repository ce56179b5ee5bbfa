/**
 * The comparison hook: a second model taken after the first was analysed ("Compare with…"),
 * analysed through the same worker seam with the same plan (so the same backend and matrix selection),
 * then its matched pairs measured by the worker's `compare` request (relative distance, ΔW on request).
 * Every model is named to the worker by its ModelRef, so nothing here assumes one open model: the shown
 * model is A, the one taken here B. The Comparison object itself is built by the panel with the core's
 * `buildComparison`, from the estimator and roles on screen (a change of either redoes no worker work).
 *
 * Lifetime: a new first model, a new second model or `clear` abort whatever ran (late results are dropped
 * by the run's signal), and the worker closes every model this hook opened once its request finished.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { toErrorData } from '../../core/errors';
import type { StudioErrorData } from '../../core/errors';
import type { AnalysisResult, MatrixResult } from '../../core/result';
import type { AnalysisCallbacks, BackendInfo, ModelRef, PairMeasures } from '../../../workers/contract';
import type { AnalysisClient } from '../worker/client';
import { modelRefOf } from '../worker/client';
import { matrixCount } from '../util/format';
import { analysisResultOfSummary } from './analysis-result';
import { inPlanOrder } from './plan-order';

export type ComparisonStatus =
  'idle' | 'opening' | 'analyzing' | 'measuring' | 'complete' | 'failed' | 'cancelled';

export interface ComparisonState {
  status: ComparisonStatus;
  /** What is happening, for the status line. */
  message: string;
  /** The second model's analysis (its matrices stream in while it is analysed). */
  b: AnalysisResult | null;
  /** The worker's measures of the matched pairs, and whether they include ΔW. */
  measures: (PairMeasures & { withDelta: boolean }) | null;
  /** The "ΔW" checkbox: measure ΔW = W_B − W_A too. */
  withDelta: boolean;
  error: StudioErrorData | null;
}

const IDLE: ComparisonState = {
  status: 'idle',
  message: '',
  b: null,
  measures: null,
  withDelta: false,
  error: null,
};

export interface ComparisonControls {
  state: ComparisonState;
  /** Opens, analyses and measures a second model against the shown one. */
  compareWith(files: File[]): void;
  /** Measures the pairs again with or without ΔW (the second model's analysis is kept). */
  setDeltaWeights(on: boolean): void;
  cancel(): void;
  clear(): void;
}

interface Deps {
  client: () => AnalysisClient;
  /** The shown model (A) as the worker names it. */
  modelRef: () => ModelRef | null;
  /** A's analysis as the page has it; null while there is none. */
  resultA: AnalysisResult | null;
  /** Changes whenever another first model is shown: the comparison with the last one is dropped. */
  runA: number;
}

export function useComparison({ client, modelRef, resultA, runA }: Deps): ComparisonControls {
  const [state, setState] = useState<ComparisonState>(IDLE);
  const ctrlRef = useRef(new AbortController());
  const refB = useRef<ModelRef | null>(null);
  const resultARef = useRef(resultA);
  resultARef.current = resultA;
  const stateRef = useRef(state);
  stateRef.current = state;

  const supersede = useCallback((): AbortSignal => {
    ctrlRef.current.abort();
    ctrlRef.current = new AbortController();
    return ctrlRef.current.signal;
  }, []);

  // Another first model: the comparison with the last one no longer means anything.
  useEffect(() => {
    supersede();
    refB.current = null;
    setState(IDLE);
  }, [runA, supersede]);
  useEffect(() => () => ctrlRef.current.abort(), []);

  /** Step 3: the pair walk in the worker (A and B reopened there by their refs). */
  const measure = useCallback(
    async (signal: AbortSignal, deltaWeights: boolean): Promise<void> => {
      const refA = modelRef();
      const a = resultARef.current;
      const ref = refB.current;
      if (!refA || !a || !ref) return;
      setState((s) => ({
        ...s,
        status: 'measuring',
        message: 'Comparing the matched matrices…',
        error: null,
      }));
      try {
        const outcome = await client().compare(signal, refA, ref, { deltaWeights }, (done, total) =>
          // A count that arrives after the outcome (callbacks and the reply race) must not overwrite it.
          setState((s) =>
            s.status === 'measuring'
              ? { ...s, message: `Comparing the matched matrices: ${done} of ${total}…` }
              : s,
          ),
        );
        if (outcome === null || signal.aborted) {
          if (ctrlRef.current.signal === signal) {
            setState((s) => ({ ...s, status: 'cancelled', message: 'Comparison cancelled.' }));
          }
          return;
        }
        if (!outcome.ok) {
          setState((s) => ({ ...s, status: 'failed', message: outcome.error.message, error: outcome.error }));
          return;
        }
        const pairs = outcome.pairs.distances.size;
        setState((s) => ({
          ...s,
          status: 'complete',
          measures: { ...outcome.pairs, withDelta: deltaWeights },
          message: `Compared ${pairs} matched ${pairs === 1 ? 'pair' : 'pairs'}${deltaWeights ? ' (with ΔW)' : ''}.`,
        }));
      } catch (err) {
        if (signal.aborted) return;
        const error = toErrorData(err);
        setState((s) => ({ ...s, status: 'failed', message: error.message, error }));
      } finally {
        client().close(refA);
        client().close(ref);
      }
    },
    [client, modelRef],
  );

  const compareWith = useCallback(
    (files: File[]): void => {
      const signal = supersede();
      const plan = modelRef()?.plan ?? {};
      const wantDelta = stateRef.current.withDelta;
      const what = files.length === 1 ? files[0]!.name : `${files.length} files`;
      refB.current = null;
      setState({ ...IDLE, withDelta: wantDelta, status: 'opening', message: `Opening ${what} to compare…` });
      void (async (): Promise<void> => {
        let opened: ModelRef | null = null;
        try {
          // 1. Open with A's plan: the same matrix selection on both sides.
          const c = client();
          const outcome = await c.open(signal, files, plan);
          if (outcome === null || signal.aborted) return;
          if (!outcome.ok) {
            setState({ ...IDLE, status: 'failed', message: outcome.error.message, error: outcome.error });
            return;
          }
          opened = modelRefOf(files, plan, outcome);
          const summary = outcome.summary;
          if (summary.totals.matrices === 0) {
            const error: StudioErrorData = summary.errors[0] ?? {
              name: 'StudioError',
              code: 'BAD_INPUT',
              message: `${what}: no weight matrix to compare was recognised.`,
            };
            setState({ ...IDLE, status: 'failed', message: error.message, error });
            return;
          }
          // 2. Analyse B as A was analysed (same worker, same backend choice), streaming its matrices.
          const matrices: MatrixResult[] = [];
          const failures: StudioErrorData[] = [];
          let backend: BackendInfo | null = await c.backend();
          const show = (status: ComparisonStatus, message: string): void =>
            setState((s) => ({
              ...s,
              status,
              message,
              b: analysisResultOfSummary(summary, inPlanOrder([...matrices], summary), failures, backend),
            }));
          show(
            'analyzing',
            `Analysing ${summary.name} to compare: 0 of ${matrixCount(summary.totals.matrices)}…`,
          );
          const callbacks: AnalysisCallbacks = {
            onProgress: () => undefined,
            onMatrix: (m) => {
              matrices.push(m);
              show(
                'analyzing',
                `Analysing ${summary.name} to compare: ${matrices.length} of ${matrixCount(summary.totals.matrices)}…`,
              );
            },
            onMatrixError: (e) => failures.push(e),
            onBackend: (b) => {
              backend = b;
            },
            onDone: () => undefined,
          };
          if (!opened) return;
          const run = await c.analyze(signal, opened, callbacks);
          if (signal.aborted) return;
          if (run.status === 'failed') {
            const error = run.error ?? toErrorData(new Error(`${summary.name} could not be analysed`));
            setState((s) => ({ ...s, status: 'failed', message: error.message, error }));
            return;
          }
          const b = analysisResultOfSummary(summary, inPlanOrder(matrices, summary), failures, backend);
          setState((s) => ({ ...s, b }));
          refB.current = opened;
          opened = null; // measure() closes it
          // 3. The pairs.
          await measure(signal, stateRef.current.withDelta);
        } catch (err) {
          if (!signal.aborted) {
            const error = toErrorData(err);
            setState((s) => ({ ...s, status: 'failed', message: error.message, error }));
          }
        } finally {
          if (opened) client().close(opened);
          // Cancelled (not superseded: a newer comparison owns the state then).
          if (signal.aborted && ctrlRef.current.signal === signal) {
            setState((s) =>
              s.status === 'complete' || s.status === 'idle'
                ? s
                : { ...s, status: 'cancelled', message: 'Comparison cancelled.' },
            );
          }
        }
      })();
    },
    [client, measure, modelRef, supersede],
  );

  const setDeltaWeights = useCallback(
    (on: boolean): void => {
      setState((s) => ({ ...s, withDelta: on }));
      const b = stateRef.current.b;
      // While B is analysed, its run measures with the box as it is then; afterwards, measure again.
      if (b === null || refB.current === null || stateRef.current.status === 'analyzing') return;
      if (stateRef.current.status === 'opening') return;
      void measure(supersede(), on);
    },
    [measure, supersede],
  );

  const cancel = useCallback(() => ctrlRef.current.abort(), []);
  const clear = useCallback(() => {
    supersede();
    refB.current = null;
    setState(IDLE);
  }, [supersede]);

  return { state, compareWith, setDeltaWeights, cancel, clear };
}

/**
 * The page's one worker client and the backend it reports (use-analysis.ts). Apart from the session hook
 * because the client's life (created on first use, the WebGPU probe at mount, terminated at unmount) is
 * independent of any run.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { toErrorData } from '../../core/errors';
import type { BackendInfo } from '../../../workers/contract';
import { AnalysisClient } from '../worker/client';

export interface AnalysisClientHandle {
  /** The client, created on first use (stable across renders). */
  client: () => AnalysisClient;
  /** The backend the worker reports; a failed probe reads as the CPU, with the reason. */
  backend: BackendInfo | null;
  /** A run moved to another backend (a lost GPU device). */
  setBackend: (backend: BackendInfo) => void;
}

export function useAnalysisClient(): AnalysisClientHandle {
  const [backend, setBackend] = useState<BackendInfo | null>(null);
  const clientRef = useRef<AnalysisClient | null>(null);

  const client = useCallback((): AnalysisClient => {
    clientRef.current ??= new AnalysisClient();
    return clientRef.current;
  }, []);

  useEffect(() => {
    let live = true;
    client()
      .backend()
      .then(
        (b) => live && setBackend(b),
        (e: unknown) =>
          live &&
          setBackend({
            name: 'cpu',
            adapter: 'CPU (float64)',
            reason: toErrorData(e).message,
            software: false,
          }),
      );
    return () => {
      live = false;
    };
  }, [client]);

  useEffect(
    () => () => {
      clientRef.current?.dispose();
      clientRef.current = null;
    },
    [],
  );

  return { client, backend, setBackend };
}

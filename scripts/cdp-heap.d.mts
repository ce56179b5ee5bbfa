/** Types of cdp-heap.mjs for the TypeScript tests. */
export interface CdpLike {
  on(event: string, listener: (params: unknown) => void): unknown;
  send(method: string, params?: object): Promise<unknown>;
}
export interface HeapPeaks {
  pageBytes: number;
  workers: { type: string; url: string; peakBytes: number }[];
  totalBytes: number;
}
export class HeapProbe {
  constructor(cdp: CdpLike);
  errors: string[];
  polls: number;
  start(intervalMs?: number): Promise<void>;
  stop(): void;
  reset(): void;
  peaks(): HeapPeaks;
  poll(): Promise<void>;
}

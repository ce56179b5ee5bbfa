/**
 * The globals that exist in every place core code runs (browser main thread, dedicated workers, Node 20)
 * and that core code may use. Only tsconfig.core.json includes this file: the other compile units get
 * the real DOM / WebWorker / Node declarations instead.
 */
interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
  throwIfAborted(): void;
}
declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare const console: {
  log(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
};
declare const performance: { now(): number };
declare function structuredClone<T>(value: T): T;
declare function setTimeout(handler: () => void, ms?: number): unknown;
declare function queueMicrotask(callback: () => void): void;

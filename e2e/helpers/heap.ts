/**
 * Reads the JS heap of a page AND of its workers (the analysis worker and the CPU pool's workers it
 * starts) with the Chromium DevTools protocol. The page's own session reads `Runtime.getHeapUsage`; the
 * workers are reached by auto-attaching to them (non-flattened sessions: commands and answers travel as
 * `Target.sendMessageToTarget` / `Target.receivedMessageFromTarget`), recursively for nested workers.
 * Each figure is the V8 heap plus ArrayBuffer backing stores, so decoded tensors are counted.
 */
import type { CDPSession, Page } from '@playwright/test';

/** `Runtime.getHeapUsage`: the V8 heap plus ArrayBuffer backing stores (where tensors live). */
interface HeapUsage {
  usedSize: number;
  backingStorageSize?: number;
}

/** Bytes a context holds: its JS heap and its ArrayBuffers (typed arrays are stored outside the heap). */
function held(h: HeapUsage): number {
  return h.usedSize + (h.backingStorageSize ?? 0);
}

interface HeapSample {
  pageUsed: number;
  /** Used heap per reachable worker, by its URL. */
  workers: { url: string; used: number }[];
  total: number;
}

export interface HeapProbe {
  sample(): Promise<HeapSample>;
  /** Starts sampling every `everyMs`; `stop()` returns the largest totals seen (and the sample count). */
  watch(everyMs: number): {
    stop(): Promise<{ maxTotal: number; maxPage: number; samples: number; workersSeen: number }>;
  };
  dispose(): Promise<void>;
}

export async function heapProbe(page: Page): Promise<HeapProbe> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  // Each worker session by the chain of session ids that reaches it (page -> worker -> nested worker).
  const routes = new Map<string, { path: string[]; url: string }>();
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;

  const sendTo = (path: string[], method: string, params: object = {}): Promise<unknown> => {
    const id = nextId++;
    const answer = new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject }));
    // Wrap once per level below the first: the parent session forwards it to the child.
    let message = JSON.stringify({ id, method, params });
    for (let i = path.length - 1; i >= 1; i--) {
      message = JSON.stringify({
        id: nextId++,
        method: 'Target.sendMessageToTarget',
        params: { sessionId: path[i], message },
      });
    }
    cdp
      .send('Target.sendMessageToTarget', { sessionId: path[0], message })
      .catch((e: unknown) => pending.get(id)?.reject(e instanceof Error ? e : new Error(String(e))));
    return answer;
  };

  const attach = (path: string[], url: string): void => {
    routes.set(path[path.length - 1], { path, url });
    // Nested workers (the CPU pool inside the analysis worker) too; and let the worker run on.
    sendTo(path, 'Target.setAutoAttach', {
      autoAttach: true,
      waitForDebuggerOnStart: false,
      flatten: false,
    }).catch(() => undefined);
    sendTo(path, 'Runtime.runIfWaitingForDebugger').catch(() => undefined);
  };

  interface Message {
    id?: number;
    result?: unknown;
    error?: { message: string };
    method?: string;
    params?: { sessionId: string; message?: string; targetInfo?: { url: string } };
  }
  const handle = (path: string[], raw: string): void => {
    const msg = JSON.parse(raw) as Message;
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error.message));
      else p?.resolve(msg.result);
      return;
    }
    const params = msg.params;
    if (!params) return;
    if (msg.method === 'Target.attachedToTarget')
      attach([...path, params.sessionId], params.targetInfo?.url ?? '');
    else if (msg.method === 'Target.detachedFromTarget') routes.delete(params.sessionId);
    else if (msg.method === 'Target.receivedMessageFromTarget' && params.message !== undefined) {
      handle([...path, params.sessionId], params.message);
    }
  };

  cdp.on('Target.attachedToTarget', (e) => attach([e.sessionId], e.targetInfo.url));
  cdp.on('Target.detachedFromTarget', (e) => {
    if (e.sessionId) routes.delete(e.sessionId);
  });
  cdp.on('Target.receivedMessageFromTarget', (e) => handle([e.sessionId], e.message));
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });

  const sample = async (): Promise<HeapSample> => {
    const pageHeap = await cdp.send('Runtime.getHeapUsage');
    const workers: { url: string; used: number }[] = [];
    for (const { path, url } of [...routes.values()]) {
      try {
        const heap = (await Promise.race([
          sendTo(path, 'Runtime.getHeapUsage'),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000)),
        ])) as HeapUsage;
        workers.push({ url, used: held(heap) });
      } catch {
        // the worker ended between the listing and the query
      }
    }
    const pageUsed = held(pageHeap);
    return { pageUsed, workers, total: pageUsed + workers.reduce((a, w) => a + w.used, 0) };
  };

  return {
    sample,
    watch(everyMs) {
      let maxTotal = 0;
      let maxPage = 0;
      let samples = 0;
      let workersSeen = 0;
      let running = true;
      const loop = (async () => {
        while (running) {
          try {
            const s = await sample();
            maxTotal = Math.max(maxTotal, s.total);
            maxPage = Math.max(maxPage, s.pageUsed);
            workersSeen = Math.max(workersSeen, s.workers.length);
            samples++;
          } catch {
            // page navigating or closing
          }
          await new Promise((r) => setTimeout(r, everyMs));
        }
      })();
      return {
        async stop() {
          running = false;
          await loop;
          return { maxTotal, maxPage, samples, workersSeen };
        },
      };
    },
    async dispose() {
      await cdp.detach().catch(() => undefined);
    },
  };
}

/**
 * The benchmark's heap probe (scripts/cdp-heap.mjs) against a scripted DevTools endpoint: a page with a
 * worker that has a nested worker of its own. The fake routes Target.sendMessageToTarget envelopes by
 * session id, level by level, the way Chromium does with flatten: false, and answers
 * Runtime.getHeapUsage with a fixed size per target, so the expected peaks are known exactly.
 */
import { describe, expect, it } from 'vitest';
import { HeapProbe } from '../../scripts/cdp-heap.mjs';
import type { CdpLike } from '../../scripts/cdp-heap.mjs';

interface Envelope {
  id: number;
  method: string;
  params: { sessionId?: string; message?: string };
}

class FakeCdp implements CdpLike {
  private readonly listeners = new Map<string, ((p: unknown) => void)[]>();
  /** usedSize of each target: the page ('') and sessions by id. */
  heap = new Map<string, number>([
    ['', 100],
    ['w1', 200],
    ['w2', 300],
  ]);
  /** backingStorageSize (ArrayBuffers) of each target; absent means none reported. */
  buffers = new Map<string, number>();
  autoAttach: string[] = [];
  /** Runtime.getHeapUsage requests to the page, and a promise that holds their replies while set. */
  pageReads = 0;
  gate: Promise<void> | null = null;

  on(event: string, listener: (p: unknown) => void): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  emit(event: string, params: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(params);
  }

  /** What a session answers to a plain command. */
  private answer(session: string, method: string): object {
    if (method === 'Runtime.getHeapUsage') {
      const backing = this.buffers.get(session);
      return {
        usedSize: this.heap.get(session) ?? 0,
        ...(backing !== undefined ? { backingStorageSize: backing } : {}),
      };
    }
    if (method === 'Target.setAutoAttach') {
      this.autoAttach.push(session);
      return {};
    }
    throw new Error(`unexpected ${method}`);
  }

  /** Delivers `message` to the session at `path`; returns the reply text, wrapped for each level above. */
  private route(path: string[], message: string): { session: string; reply: string } | null {
    const m = JSON.parse(message) as Envelope;
    const here = path[path.length - 1]!;
    if (m.method === 'Target.sendMessageToTarget') {
      // An envelope: the reply of the inner session comes back as an event of this session.
      const inner = this.route([...path, m.params.sessionId!], m.params.message!);
      if (inner === null) return null;
      const event = {
        method: 'Target.receivedMessageFromTarget',
        params: { sessionId: inner.session, message: inner.reply },
      };
      return { session: here, reply: JSON.stringify(event) };
    }
    return { session: here, reply: JSON.stringify({ id: m.id, result: this.answer(here, m.method) }) };
  }

  send(method: string, params: { sessionId?: string; message?: string } = {}): Promise<unknown> {
    if (method === 'Target.sendMessageToTarget') {
      const routed = this.route([params.sessionId!], params.message!);
      if (routed !== null) {
        queueMicrotask(() =>
          this.emit('Target.receivedMessageFromTarget', { sessionId: routed.session, message: routed.reply }),
        );
      }
      return Promise.resolve({});
    }
    if (method === 'Runtime.getHeapUsage') this.pageReads++;
    const reply = (): object => this.answer('', method);
    return this.gate ? this.gate.then(reply) : Promise.resolve(reply());
  }
}

describe('HeapProbe', () => {
  it('reads the heap of the page, a worker and its nested worker, and keeps the peaks of ended ones', async () => {
    const cdp = new FakeCdp();
    const probe = new HeapProbe(cdp);
    // 1. The page's worker attaches to the root session; the probe asks it to attach its own workers.
    cdp.emit('Target.attachedToTarget', {
      sessionId: 'w1',
      targetInfo: { type: 'worker', url: 'http://h/model-bench.worker.ts' },
    });
    // 2. Its nested worker attaches inside w1's session.
    cdp.emit('Target.receivedMessageFromTarget', {
      sessionId: 'w1',
      message: JSON.stringify({
        method: 'Target.attachedToTarget',
        params: { sessionId: 'w2', targetInfo: { type: 'worker', url: 'http://h/cpu-spectrum.worker.ts' } },
      }),
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(cdp.autoAttach).toEqual(['w1', 'w2']);

    await probe.poll();
    expect(probe.peaks()).toEqual({
      pageBytes: 100,
      workers: [
        { type: 'worker', url: 'http://h/model-bench.worker.ts', peakBytes: 200 },
        { type: 'worker', url: 'http://h/cpu-spectrum.worker.ts', peakBytes: 300 },
      ],
      totalBytes: 600,
    });

    // 3. The heaps shrink, then the nested worker ends: peaks stay, the ended worker is still listed.
    cdp.heap.set('w1', 50).set('w2', 10);
    cdp.emit('Target.receivedMessageFromTarget', {
      sessionId: 'w1',
      message: JSON.stringify({ method: 'Target.detachedFromTarget', params: { sessionId: 'w2' } }),
    });
    await probe.poll();
    const peaks = probe.peaks();
    expect(peaks.totalBytes).toBe(600);
    expect(peaks.workers.map((w) => w.peakBytes).sort((a, b) => a - b)).toEqual([200, 300]);

    // 4. A reset starts a new window: only what is measured afterwards counts.
    probe.reset();
    cdp.heap.set('', 70);
    await probe.poll();
    expect(probe.peaks()).toEqual({
      pageBytes: 70,
      workers: [{ type: 'worker', url: 'http://h/model-bench.worker.ts', peakBytes: 50 }],
      totalBytes: 120,
    });
    expect(probe.errors).toEqual([]);
  });
});

describe('HeapProbe memory figure', () => {
  it('counts ArrayBuffer backing stores with the V8 heap (tensors live there)', async () => {
    const cdp = new FakeCdp();
    cdp.buffers.set('', 40);
    const probe = new HeapProbe(cdp);
    await probe.poll();
    expect(probe.polls).toBe(1);
    expect(probe.peaks()).toEqual({ pageBytes: 140, workers: [], totalBytes: 140 });
  });
});

describe('HeapProbe polling', () => {
  it('does not start a poll while one is still waiting for a reply', async () => {
    const cdp = new FakeCdp();
    const probe = new HeapProbe(cdp);
    let release = (): void => undefined;
    cdp.gate = new Promise((r) => (release = r));
    // A page that does not answer: the timer's next ticks join the poll under way.
    const first = probe.poll();
    const again = [probe.poll(), probe.poll(), probe.poll()];
    expect(again.every((p) => p === first)).toBe(true);
    expect(cdp.pageReads).toBe(1);
    release();
    await Promise.all([first, ...again]);
    expect(probe.polls).toBe(1);
    // Once it has finished, the next call reads again.
    cdp.gate = null;
    await probe.poll();
    expect(cdp.pageReads).toBe(2);
    expect(probe.polls).toBe(2);
  });

  it('stops polling the nested workers of a worker that ended, and keeps their peaks', async () => {
    const cdp = new FakeCdp();
    const probe = new HeapProbe(cdp);
    cdp.emit('Target.attachedToTarget', { sessionId: 'w1', targetInfo: { type: 'worker', url: 'a' } });
    cdp.emit('Target.receivedMessageFromTarget', {
      sessionId: 'w1',
      message: JSON.stringify({
        method: 'Target.attachedToTarget',
        params: { sessionId: 'w2', targetInfo: { type: 'worker', url: 'b' } },
      }),
    });
    await probe.poll();
    // The outer worker ends: Chromium reports only its own detach; its nested worker went with it.
    cdp.emit('Target.detachedFromTarget', { sessionId: 'w1' });
    cdp.heap.set('w1', 9999).set('w2', 9999);
    cdp.heap.set('', 1000);
    await probe.poll();
    // Had w2 still been polled, the total would include its 9999.
    expect(probe.peaks()).toEqual({
      pageBytes: 1000,
      workers: [
        { type: 'worker', url: 'a', peakBytes: 200 },
        { type: 'worker', url: 'b', peakBytes: 300 },
      ],
      totalBytes: 1000,
    });
  });
});

/* global setInterval, clearInterval */
// Peak JS memory of a page and of every worker it starts (nested workers too), read through the Chromium
// DevTools protocol: Runtime.getHeapUsage on the page's session and on each worker target, polled. Each
// figure is the V8 heap plus ArrayBuffer backing stores (usedSize + backingStorageSize), so decoded tensors
// count. Used by the whole-model bench and by the e2e memory bound (e2e/app-large-file.spec.ts).
//
// Workers are reached with Target.setAutoAttach (flatten: false) on the page's CDP session: each worker
// becomes a child session that we talk to through Target.sendMessageToTarget, and a worker's own workers
// are children of its session, so messages to them are wrapped once per level.

/** @typedef {{ path: string[], type: string, url: string, peak: number }} Target */

/** Bytes a context holds: its V8 heap and its ArrayBuffers (typed arrays live outside the heap). */
function held(usage) {
  return usage.usedSize + (usage.backingStorageSize ?? 0);
}

export class HeapProbe {
  /** @param {import('playwright-core').CDPSession} cdp a page's CDP session */
  constructor(cdp) {
    this.cdp = cdp;
    this.nextId = 1;
    /** @type {Map<number, (m: any) => void>} */
    this.pending = new Map();
    /** @type {Map<string, Target>} key: session path joined by '/' */
    this.targets = new Map();
    this.pagePeak = 0;
    /** Largest sum over page + live workers seen in one poll. */
    this.totalPeak = 0;
    this.timer = null;
    /** The poll under way, if any: a new one waits for it rather than piling up behind a hung target. */
    this.inFlight = null;
    /** Polls that read the page (the e2e asserts the probe really sampled). */
    this.polls = 0;
    this.errors = [];
    cdp.on('Target.attachedToTarget', (e) => this.attached([], e));
    /** @type {Target[]} targets that ended (terminated workers) keep their peaks here */
    this.ended = [];
    cdp.on('Target.detachedFromTarget', (e) => this.detached(e.sessionId));
    cdp.on('Target.receivedMessageFromTarget', (e) => this.received([e.sessionId], e.message));
  }

  async start(intervalMs = 250) {
    await this.cdp.send('Target.setAutoAttach', {
      autoAttach: true,
      waitForDebuggerOnStart: false,
      flatten: false,
    });
    this.timer = setInterval(() => void this.poll(), intervalMs);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Resets the peaks (between runs). */
  reset() {
    this.pagePeak = 0;
    this.totalPeak = 0;
    for (const t of this.targets.values()) t.peak = 0;
    this.ended = [];
  }

  /** A target ended: it and the workers it started (sessions below it) are polled no more; peaks kept. */
  detached(key) {
    const t = this.targets.get(key);
    if (!t) return;
    this.targets.delete(key);
    this.ended.push(t);
    for (const [k, child] of this.targets) {
      if (k.startsWith(`${key}/`)) {
        this.targets.delete(k);
        this.ended.push(child);
      }
    }
  }

  /** { pageBytes, workers: [{ type, url, peakBytes }], totalBytes } */
  peaks() {
    return {
      pageBytes: this.pagePeak,
      workers: [...this.ended, ...this.targets.values()].map((t) => ({
        type: t.type,
        url: t.url,
        peakBytes: t.peak,
      })),
      totalBytes: this.totalPeak,
    };
  }

  attached(parentPath, e) {
    const path = [...parentPath, e.sessionId];
    this.targets.set(path.join('/'), { path, type: e.targetInfo.type, url: e.targetInfo.url, peak: 0 });
    // The worker's own workers (the CPU pool inside the analysis worker) attach to it.
    void this.send(path, 'Target.setAutoAttach', {
      autoAttach: true,
      waitForDebuggerOnStart: false,
      flatten: false,
    }).catch(() => undefined);
  }

  /** A message from the session at `path`: a response, or an event (maybe from a deeper session). */
  received(path, text) {
    const m = JSON.parse(text);
    if (m.id !== undefined) {
      const resolve = this.pending.get(m.id);
      this.pending.delete(m.id);
      resolve?.(m);
    } else if (m.method === 'Target.receivedMessageFromTarget') {
      this.received([...path, m.params.sessionId], m.params.message);
    } else if (m.method === 'Target.attachedToTarget') {
      this.attached(path, m.params);
    } else if (m.method === 'Target.detachedFromTarget') {
      this.detached([...path, m.params.sessionId].join('/'));
    }
  }

  /** Sends a command to the session at `path` (wrapped in Target.sendMessageToTarget per level). */
  send(path, method, params = {}) {
    const id = this.nextId++;
    let message = JSON.stringify({ id, method, params });
    for (let i = path.length - 1; i >= 1; i--) {
      message = JSON.stringify({
        id: this.nextId++,
        method: 'Target.sendMessageToTarget',
        params: { sessionId: path[i], message },
      });
    }
    const reply = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new Error(`${method}: no reply`));
      }, 5000);
      timer.unref(); // never keeps Node alive after the browser closed
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(m.error.message));
        else resolve(m.result);
      });
    });
    reply.catch(() => undefined); // observed below; unobserved when the send itself fails
    return this.cdp.send('Target.sendMessageToTarget', { sessionId: path[0], message }).then(() => reply);
  }

  /**
   * Reads every heap once. Not reentrant: while a poll waits (up to 5 s on a target that does not answer),
   * the timer's later calls get the same promise instead of starting more polls.
   */
  poll() {
    if (!this.inFlight) {
      this.inFlight = this.readAll().finally(() => {
        this.inFlight = null;
      });
    }
    return this.inFlight;
  }

  async readAll() {
    try {
      const [page, ...workers] = await Promise.all([
        this.cdp.send('Runtime.getHeapUsage'),
        ...[...this.targets.values()].map((t) =>
          this.send(t.path, 'Runtime.getHeapUsage').then(
            (r) => {
              t.peak = Math.max(t.peak, held(r));
              return held(r);
            },
            () => 0, // a worker that just ended
          ),
        ),
      ]);
      this.polls++;
      this.pagePeak = Math.max(this.pagePeak, held(page));
      this.totalPeak = Math.max(
        this.totalPeak,
        workers.reduce((a, b) => a + b, held(page)),
      );
    } catch (err) {
      if (this.errors.length < 3) this.errors.push(String(err));
    }
  }
}

// `npm run bench -- --model DIR [--backend webgpu|cpu|both] [--budget SECONDS] [--out FILE] [--read-only]`
//
// The whole-model benchmark: Vite serves bench/browser/model.html, headless Chromium (our flags, WebGPU
// on) opens it, the files of DIR are set on its <input type=file multiple> by path (disk-backed Files:
// nothing is copied into JS memory), and bench/browser/model-bench.worker.ts runs the app's pipeline
// (open -> plan -> analyse, same backend selection and concurrency as the app) with stage accounting.
// Meanwhile the JS heap of the page and of every worker is polled through the DevTools protocol.
// Prints per-stage time and share, read rate, GFLOP/s, peak JS heap, peak GPU buffer memory, wall time,
// matrices/s, with the adapter on every line; when the budget ends the run first, the partial figures and
// a clearly labelled extrapolation to the whole model. --read-only times reading alone (raw, then decoded).
/* global window */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { openBenchBrowser } from './bench-browser.mjs';
import { HeapProbe } from './cdp-heap.mjs';

const MiB = 2 ** 20;

function modelFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch (err) {
    throw new Error(`--model ${dir}: cannot read the folder (${err.message})`, { cause: err });
  }
  const files = entries.map((name) => path.resolve(dir, name)).filter((p) => statSync(p).isFile());
  if (files.length === 0) throw new Error(`--model ${dir}: the folder has no files`);
  return files;
}

const f = (x, digits = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const mib = (bytes) => `${f(bytes / MiB, 1)} MiB`;

function printRun(r, heap, label) {
  const s = r.summary;
  const tag = `[${label} | ${r.backend.adapter}]`;
  console.log(
    `\n== whole model: ${r.model.name} (${r.model.architecture}), ${r.model.files} files, ` +
      `${mib(r.model.fileBytes)}; backend ${r.backend.name}${r.backend.software ? ' (software adapter)' : ''}`,
  );
  if (r.backend.note) console.log(`   note: ${r.backend.note}`);
  console.log(
    `   plan: ${r.plan.matrices} matrices, ${mib(r.plan.bytes)}, ${f(r.plan.flops / 1e9, 1)} GFLOP ` +
      '(spectrumFlops: Gram m·n·(n+1) + reduction 4n³/3 + 30n², n the smaller side)',
  );
  console.log(`${tag} open + plan (headers only): ${f(r.openMs, 0)} ms`);
  console.log(
    `${tag} stage         total ms   share   GFLOP/s   (stage times summed over matrices; stages overlap)`,
  );
  for (const t of s.stages) {
    console.log(
      `${tag} ${t.stage.padEnd(12)} ${f(t.ms, 0).padStart(9)}  ${f(100 * t.share, 1).padStart(5)}%  ` +
        `${(t.gflops === null ? '' : f(t.gflops, 2)).padStart(8)}`,
    );
  }
  const done = `${s.matrices}/${r.plan.matrices} matrices`;
  console.log(
    `${tag} wall time ${f(s.wallMs / 1000, 2)} s for ${done}${r.complete ? ' (whole model)' : ' (STOPPED by the budget)'}`,
  );
  console.log(
    `${tag} matrices/s ${f(s.matricesPerSecond, 3)}, GFLOP/s ${f(s.gflops, 3)} (Σ spectrumFlops / wall time)`,
  );
  console.log(
    `${tag} read: ${mib(s.bytes)}, ${f((s.bytesPerSecond ?? NaN) / MiB, 1)} MiB/s over the wall time, ` +
      `${f((s.readBytesPerSecond ?? NaN) / MiB, 1)} MiB/s per read (File.slice + decode)`,
  );
  const ra = r.readAlone;
  console.log(
    `${tag} read alone (after the run, page cache warm): ${mib(ra.bytes)} of ${ra.matrices} matrices in ` +
      `${f(ra.ms, 0)} ms = ${f(ra.bytes / MiB / (ra.ms / 1000), 1)} MiB/s`,
  );
  const gpu = r.gpuMemory;
  console.log(
    `${tag} peak GPU buffer memory: ${gpu ? `${mib(gpu.peakBytes)} (${gpu.allocations} buffers created)` : 'n/a (CPU backend)'}`,
  );
  const w = heap.workers
    .map((x) => `${path.basename(new URL(x.url || 'about:worker').pathname) || x.type} ${mib(x.peakBytes)}`)
    .join(', ');
  console.log(
    `${tag} peak JS heap: page ${mib(heap.pageBytes)}, workers [${w}], all together ${mib(heap.totalBytes)} (V8 heap + ArrayBuffers by CDP Runtime.getHeapUsage, polled every 250 ms)`,
  );
  if (!r.complete && r.extrapolation) {
    console.log(
      `${tag} EXTRAPOLATED (not measured): whole model ≈ ${f(r.extrapolation.wallMs / 1000, 0)} s ` +
        `at the measured rate (${f(100 * r.extrapolation.measuredFraction, 1)} % of the flops measured)`,
    );
  }
  for (const e of r.errors.slice(0, 5)) console.log(`${tag} error: ${e}`);
}

function toRecords(r, heap) {
  const base = { bench: 'model', model: r.model.name, backend: r.backend.name, adapter: r.backend.adapter };
  const s = r.summary;
  return [
    ...s.stages.map((t) => ({ ...base, stage: t.stage, ms: t.ms, share: t.share, gflops: t.gflops })),
    {
      ...base,
      stage: 'whole-model',
      ms: s.wallMs,
      gflops: s.gflops,
      complete: r.complete,
      matrices: s.matrices,
      planMatrices: r.plan.matrices,
      bytes: s.bytes,
      flops: s.flops,
      planFlops: r.plan.flops,
      bytesPerSecond: s.bytesPerSecond,
      readBytesPerSecond: s.readBytesPerSecond,
      matricesPerSecond: s.matricesPerSecond,
      openMs: r.openMs,
      readAloneBytesPerSecond: r.readAlone.ms > 0 ? r.readAlone.bytes / (r.readAlone.ms / 1000) : null,
      peakGpuBytes: r.gpuMemory?.peakBytes ?? null,
      peakHeapBytes: heap,
      extrapolatedWholeModelMs: r.extrapolation?.wallMs ?? null,
      software: r.backend.software,
      errors: r.errors,
    },
    ...r.records.map((m) => ({ ...base, stage: 'matrix', ...m })),
  ];
}

export async function runModelBench(opts, root) {
  const files = modelFiles(opts.model);
  const bench = await openBenchBrowser(root);
  const { page } = bench;
  const records = [];
  let probe = null;
  try {
    probe = new HeapProbe(await page.context().newCDPSession(page));
    await probe.start();
    await page.goto(bench.url('bench/browser/model.html'));
    await page.waitForFunction(() => typeof window.runModelBench === 'function', null, { timeout: 120_000 });
    // Paths, not contents: Chromium backs each File by the file on disk.
    await page.setInputFiles('#files', files);
    page.setDefaultTimeout(0);
    if (opts.readOnly) {
      // Reading alone: the File.slice rate for this model on this machine, no computation.
      const budgetMs = (opts.budget ?? 600) * 1000;
      for (const raw of [true, false]) {
        const r = await page.evaluate((c) => window.runReadOnly(c), { raw, budgetMs });
        const how = raw ? 'raw bytes (GPU path)' : 'decoded to float (CPU path)';
        console.log(
          `[read-only | ${how}] ${mib(r.bytes)} of ${mib(r.planBytes)} (${r.matrices}/${r.planMatrices} matrices) ` +
            `in ${f(r.ms / 1000, 2)} s = ${f(r.bytes / MiB / (r.ms / 1000), 1)} MiB/s`,
        );
        records.push({ bench: 'model', stage: raw ? 'read-only-raw' : 'read-only-decoded', ...r });
      }
      return records;
    }
    const backends = opts.backend === 'both' ? ['webgpu', 'cpu'] : [opts.backend];
    for (const backend of backends) {
      const budgetMs = (opts.budget ?? 600) * 1000;
      console.log(
        `\n== ${backend}: ${files.length} files from ${opts.model}, budget ${budgetMs / 1000} s ==`,
      );
      probe.reset();
      let result;
      try {
        result = await page.evaluate((c) => window.runModelBench(c), { backend, budgetMs });
      } catch (err) {
        console.log(`${backend}: failed: ${err.message.split('\n')[0]}`);
        continue;
      }
      await probe.poll();
      const heap = probe.peaks();
      printRun(result, heap, backend);
      records.push(...toRecords(result, heap));
    }
    if (probe.errors.length) console.log(`heap probe errors: ${probe.errors.join('; ')}`);
  } finally {
    probe?.stop();
    await bench.close();
  }
  return records;
}

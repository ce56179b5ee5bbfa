// Shared set-up of the browser benches (scripts/bench.mjs, scripts/model-bench.mjs): Vite serves the
// project root (the bench pages import src/ and workers/ directly), headless Chromium with our flags
// (WebGPU on) opens a page, and the page's "[bench]" console lines, errors and failed requests are
// echoed here. `close()` shuts both down.
import { CHROMIUM_ARGS, requireChromium } from './chromium.mjs';

/**
 * @param {string} root project root served by Vite
 * @param {Record<string, unknown>} [viteOptions] extra Vite options (e.g. optimizeDeps)
 */
export async function openBenchBrowser(root, viteOptions = {}) {
  const { createServer } = await import('vite');
  const { chromium } = await import('playwright-core');
  const server = await createServer({
    configFile: false,
    root,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
    worker: { format: 'es' },
    ...viteOptions,
  });
  await server.listen();
  const base = server.resolvedUrls?.local[0];
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  try {
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
    page = await browser.newPage();
  } catch (err) {
    // The listening Vite server (and a launched browser) would keep Node alive: the bench would hang
    // instead of failing with this error.
    await browser?.close().catch(() => undefined);
    await server.close().catch(() => undefined);
    throw err;
  }
  page.on('console', (m) => {
    if (m.text().startsWith('[bench]') || m.type() === 'error' || process.env.BENCH_VERBOSE)
      console.log(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400) console.log(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  return {
    page,
    /** @param {string} path page path under the root, e.g. 'bench/browser/index.html' */
    url: (path) => new URL(path, base).href,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

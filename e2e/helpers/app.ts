/**
 * Helpers for the app's end-to-end tests: fixture paths and expected numbers, dropping files onto the page
 * the way a person's drag and drop does (a DataTransfer with File objects, dragover + drop events),
 * reading the numbers the page exposes, a network guard, and screenshots for review.
 */
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect, type Browser, type Download, type Locator, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.mjs';
import { f32Safetensors } from '../../tests/fixtures-gen/broken';

/**
 * Playwright options for a browser without WebGPU (the feature switched off in Blink, in the page and its
 * workers): `test.use(WITHOUT_WEBGPU)`.
 */
export const WITHOUT_WEBGPU = {
  launchOptions: {
    executablePath: findChromium() ?? undefined,
    args: [
      ...CHROMIUM_ARGS.filter((a: string) => a !== '--enable-unsafe-webgpu'),
      '--disable-blink-features=WebGPU',
    ],
  },
};

export const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
export const STORIES = path.join(FIXTURES, 'models/stories260K');
export const SCREENSHOTS = path.resolve(process.cwd(), 'test-results/screenshots');

export interface ExpectedModel {
  beta: number;
  layerAlpha: number[];
  /** The budgets both expected.json files hold. */
  allocation: Record<'10' | '20' | '35', { faithful: number[]; safe: number[] }>;
  matrices: Record<
    string,
    { alphalora: { alpha: number; xmin: number; tail: number }; layer: number; role: string }
  >;
}

export function loadExpected(relative: string): ExpectedModel {
  return JSON.parse(readFileSync(path.join(STORIES, relative), 'utf8')) as ExpectedModel;
}

/** One matrix of an expected.json; a name it lacks fails here, by name. */
export function expectedMatrix(model: ExpectedModel, name: string): ExpectedModel['matrices'][string] {
  const m = model.matrices[name];
  if (m === undefined) throw new Error(`expected.json has no matrix ${name}`);
  return m;
}

export interface FileSpec {
  /** File name as the page sees it. */
  name: string;
  bytes: Buffer | Uint8Array;
}

export function fixtureFile(relative: string, name = path.basename(relative)): FileSpec {
  return { name, bytes: readFileSync(path.join(STORIES, relative)) };
}

/**
 * Drops files onto the page (or onto the element `selector` names): builds File objects in the page and
 * fires dragenter/dragover/drop.
 */
export async function dropFiles(page: Page, files: FileSpec[], selector = '.app'): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString('base64') }));
  const dataTransfer = await page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const item of items) {
      const bin = atob(item.b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      dt.items.add(new File([bytes], item.name, { lastModified: Date.UTC(2024, 5, 1) }));
    }
    return dt;
  }, payload);
  const target = page.locator(selector);
  await target.dispatchEvent('dragenter', { dataTransfer });
  await target.dispatchEvent('dragover', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
}

/** Uploads through the "Open model files" input, as a person choosing files does. */
export async function uploadFiles(page: Page, files: FileSpec[]): Promise<void> {
  await page.getByLabel('Open model files').setInputFiles(
    files.map((f) => ({
      name: f.name,
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(f.bytes),
    })),
  );
}

export async function waitForComplete(page: Page): Promise<void> {
  await expect(page.getByRole('status')).toHaveText(/Analysis complete/, { timeout: 150_000 });
}

/**
 * Analyses `files` at `url` in a browser context of its own (an empty IndexedDB: nothing cached, an
 * uninterrupted run) and returns what `read` takes from the finished page: the reference of a test that
 * interrupts the same run (reload, lost device).
 */
export async function referenceRun<T>(
  browser: Browser,
  baseURL: string | undefined,
  url: string,
  files: FileSpec[],
  read: (page: Page) => Promise<T>,
): Promise<T> {
  const context = await browser.newContext({ baseURL });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await dropFiles(page, files);
    await waitForComplete(page);
    return await read(page);
  } finally {
    await context.close();
  }
}

/** Layer α as the page computed them (the main element exposes them with 10 significant digits). */
export async function layerAlphas(page: Page): Promise<number[]> {
  const raw = (await page.locator('main').getAttribute('data-layer-alphas')) ?? '';
  return raw === '' ? [] : raw.split(',').map(Number);
}

export async function spectraComputed(page: Page): Promise<number> {
  return Number(await page.locator('main').getAttribute('data-spectra-computed'));
}

/** Experts per layer as the allocation chart draws them. */
export async function chartExperts(page: Page): Promise<number[]> {
  const raw = await page.locator('svg[data-experts]').getAttribute('data-experts');
  return (raw ?? '')
    .split(',')
    .filter((s) => s !== '')
    .map(Number);
}

/** Moves a range input to a value (fill sets it and fires input/change, as a drag would). */
export async function setSlider(page: Page, label: string, value: number): Promise<void> {
  await page.getByLabel(label, { exact: true }).fill(String(value));
}

export async function downloadJson(
  page: Page,
  buttonName: string,
): Promise<{ json: unknown; download: Download }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: buttonName }).click(),
  ]);
  const file = await download.path();
  return { json: JSON.parse(readFileSync(file, 'utf8')) as unknown, download };
}

/** Saves a screenshot: of one element, of the whole page, or (selector 'viewport') of what is on screen. */
export async function screenshot(page: Page, name: string, selector?: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  if (selector === 'viewport') {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: file });
  } else if (selector) await page.locator(selector).first().screenshot({ path: file });
  else await page.screenshot({ path: file, fullPage: true });
}

/**
 * Records every request the page makes after it has loaded, and every request to another origin at any
 * time. The privacy promise is that both lists stay empty, except same-origin fetches of the bundled
 * sample when the user asks for it (returned separately so a test can allow exactly those).
 */
export function networkGuard(
  page: Page,
  origin: string,
): {
  markLoaded(): void;
  foreign: string[];
  afterLoad: string[];
} {
  const guard = { loaded: false, foreign: [] as string[], afterLoad: [] as string[] };
  page.on('request', (req) => {
    const url = req.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return; // never leaves the machine
    if (!url.startsWith(origin)) guard.foreign.push(url);
    else if (guard.loaded) guard.afterLoad.push(url);
  });
  return {
    markLoaded: () => {
      guard.loaded = true;
    },
    foreign: guard.foreign,
    afterLoad: guard.afterLoad,
  };
}

export type NetworkGuard = ReturnType<typeof networkGuard>;

/** The start page's line naming the analysis engine: shown once the app has chosen its backend. */
export const BACKEND_LINE = /WebGPU adapter: .+|WebGPU is unavailable/;

/**
 * Opens `url` under a network guard on the test's own origin (Playwright's `baseURL`, which follows
 * E2E_PORT), waits for the backend line (`backendLine`) and for the network to settle, then marks the page
 * loaded: every request from then on is recorded in the guard's `afterLoad`.
 */
export async function gotoGuarded(
  page: Page,
  baseURL: string | undefined,
  url = '/',
  backendLine: string | RegExp = BACKEND_LINE,
): Promise<NetworkGuard> {
  if (!baseURL) throw new Error("gotoGuarded needs Playwright's baseURL (set in playwright.config.ts)");
  const net = networkGuard(page, new URL(baseURL).origin);
  await page.goto(url);
  await expect(page.getByText(backendLine).first()).toBeVisible();
  await page.waitForLoadState('networkidle');
  net.markLoaded();
  return net;
}

/** A safetensors file of F32 tensors for generated test models (the fixtures' writer, as a Buffer). */
export function makeSafetensors(tensors: readonly GeneratedTensor[]): Buffer {
  return Buffer.from(f32Safetensors(tensors, { format: 'pt' }));
}

/** Deterministic heavy-ish tailed weights (xorshift + a Student-t-like ratio), so fits are well defined. */
export function syntheticWeights(rows: number, cols: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const rand = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = (0.02 * gauss()) / Math.sqrt(0.3 + Math.abs(gauss()));
  return out;
}

export interface GeneratedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * The tensors of a LLaMA-named F32 model of `layers` blocks whose matrices are all `side`×`side` (7 per
 * block: q, k, v, o, gate, up, down), with syntheticWeights seeded 1, 2, 3, ... in that order. Tests that
 * need the weights themselves (a float64 reference, one broken tensor) take them from here.
 */
export function generatedLlamaTensors(layers: number, side: number): GeneratedTensor[] {
  const roles = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj'];
  roles.push('mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj');
  const tensors: GeneratedTensor[] = [];
  let seed = 1;
  for (let l = 0; l < layers; l++) {
    for (const r of roles) {
      tensors.push({
        name: `model.layers.${l}.${r}.weight`,
        shape: [side, side],
        data: syntheticWeights(side, side, seed++),
      });
    }
  }
  return tensors;
}

/** generatedLlamaTensors as a safetensors file. */
export function generatedLlama(layers: number, side: number): FileSpec {
  return { name: 'generated.safetensors', bytes: makeSafetensors(generatedLlamaTensors(layers, side)) };
}

/**
 * Moves the focus with the Tab key alone (or Shift+Tab, backwards) until `target` has it, as a keyboard
 * user would; fails when it is not reachable within `maxPresses`. Returns how many presses it took.
 */
export async function tabTo(
  page: Page,
  target: Locator,
  key: 'Tab' | 'Shift+Tab' = 'Tab',
  maxPresses = 400,
): Promise<number> {
  for (let i = 1; i <= maxPresses; i++) {
    await page.keyboard.press(key);
    if (await target.evaluate((el) => el === document.activeElement)) return i;
  }
  throw new Error(`${String(target)} is not reachable with ${key} within ${maxPresses} presses`);
}

/** The focused element shows a focus ring (an outline or a box shadow), so a keyboard user sees it. */
export async function expectFocusVisible(target: Locator): Promise<void> {
  const ring = await target.evaluate((el) => {
    const st = getComputedStyle(el);
    return {
      outline: st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0,
      shadow: st.boxShadow !== 'none',
    };
  });
  expect(ring.outline || ring.shadow, `${String(target)} has no visible focus ring`).toBe(true);
}

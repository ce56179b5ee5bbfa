/**
 * An automated accessibility scan (axe-core) reports no serious or critical violation, in the
 * light and the dark colour scheme, at 1280 and 390 px, before and after an analysis of the sample; and at
 * 390 px nothing scrolls sideways.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { screenshot, waitForComplete } from './helpers/app';

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 5)
          .join(' | ')}`,
    );
}

async function noSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

for (const colorScheme of ['light', 'dark'] as const) {
  for (const width of [1280, 390]) {
    test(`axe: no serious or critical violation, ${colorScheme}, ${width} px, before and after an analysis`, async ({
      page,
    }) => {
      await page.emulateMedia({ colorScheme });
      await page.setViewportSize({ width, height: 900 });
      await page.goto('/');
      expect(await seriousViolations(page)).toEqual([]);
      if (width === 390) await noSidewaysScroll(page);
      await page.getByRole('button', { name: 'Try the sample model' }).click();
      await waitForComplete(page);
      expect(await seriousViolations(page)).toEqual([]);
      if (width === 390) await noSidewaysScroll(page);
      await screenshot(page, `a11y-${colorScheme}-${width}`);
    });
  }
}

test('α chart points: one tab stop, labelled, arrow keys between layers and matrices, Enter selects', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  const chart = page.locator('#alpha-chart');
  // One tab stop: the selected point (the first matrix, layer 0 q_proj).
  const stop = chart.locator('circle[tabindex="0"]');
  await expect(stop).toHaveCount(1);
  await expect(stop).toHaveAttribute('data-matrix', 'model.layers.0.self_attn.q_proj.weight');
  await expect(stop).toHaveAttribute(
    'aria-label',
    /^model\.layers\.0\.self_attn\.q_proj\.weight: layer 0, q_proj, α 1\.\d{3}$/,
  );
  await stop.focus();
  // → twice: q_proj of layer 2; Enter selects it for the ESD and focus stays on it through the redraw.
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  const focused = (): Promise<string | null> =>
    page.evaluate(() => document.activeElement?.getAttribute('data-matrix') ?? null);
  expect(await focused()).toBe('model.layers.2.self_attn.q_proj.weight');
  await page.keyboard.press('Enter');
  await expect(page.locator('#esd-chart-title')).toHaveText('ESD of model.layers.2.self_attn.q_proj.weight');
  await expect.poll(focused).toBe('model.layers.2.self_attn.q_proj.weight');
  // ↑ moves to the next higher α of the same layer.
  await page.keyboard.press('ArrowUp');
  const up = await focused();
  expect(up).toMatch(/^model\.layers\.2\./);
  expect(up).not.toBe('model.layers.2.self_attn.q_proj.weight');
  // The weak fit is labelled so.
  await expect(chart.locator('circle[data-weak="true"]')).toHaveAttribute('aria-label', /weak fit$/);
});

test('390 px: no chart text (legends, labels) runs past its chart, and the header notice fits', async ({
  page,
}) => {
  await page.setViewportSize({ width: 390, height: 900 });
  await page.goto('/');
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  // Every text of every chart lies inside its svg's width (1 px of rounding allowed).
  const cut = await page.evaluate(() => {
    const out: string[] = [];
    for (const svg of document.querySelectorAll<SVGSVGElement>('main svg')) {
      const box = svg.getBoundingClientRect();
      if (box.width < 50) continue; // legend swatches
      for (const t of svg.querySelectorAll('text')) {
        const r = t.getBoundingClientRect();
        if (r.width === 0) continue;
        if (r.left < box.left - 1 || r.right > box.right + 1)
          out.push(`${t.textContent ?? ''} (${svg.closest('[id]')?.id ?? ''})`);
      }
    }
    return out;
  });
  expect(cut).toEqual([]);
  const header = page.locator('header');
  const headerBox = await header.boundingBox();
  expect(headerBox!.width).toBeLessThanOrEqual(390);
  await screenshot(page, 'a11y-390-header', 'header');
  await screenshot(page, 'a11y-390-alpha', '#alpha-chart');
  await screenshot(page, 'a11y-390-esd', '#esd-chart');
});

test('Enter on "Try the sample model" hands focus to the status line, not to <body>', async ({ page }) => {
  await page.goto('/');
  const sample = page.getByRole('button', { name: 'Try the sample model' });
  await sample.focus();
  await page.keyboard.press('Enter');
  // The button is disabled during the run; focus is on the live status line, which says what runs.
  const active = (): Promise<string> =>
    page.evaluate(() => {
      const el = document.activeElement;
      return el ? `${el.tagName.toLowerCase()}[role=${el.getAttribute('role') ?? ''}]` : 'none';
    });
  expect(await active()).toBe('p[role=status]');
  await waitForComplete(page);
  // Still there once the analysis is complete, and the status line then reads the outcome.
  expect(await active()).toBe('p[role=status]');
  await expect(page.locator('p[role="status"]')).toBeFocused();
  await expect(page.locator('p[role="status"]')).toHaveText(/complete/i);
  // Tab goes on from the status line into the page (not back to the top of the document).
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement !== document.body)).toBe(true);
});

test('ESD bars and "Estimator agreement" points: one tab stop each, labelled, arrow keys, tooltip on focus', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  const focused = (attr: string): Promise<string | null> =>
    page.evaluate((a) => document.activeElement?.getAttribute(a) ?? null, attr);

  // ESD: the first bar is the one tab stop; its label is its tooltip's text, shown on focus.
  const esd = page.locator('#esd-chart');
  const bars = esd.locator('rect[data-bar]');
  const count = await bars.count();
  expect(count).toBeGreaterThan(2);
  await expect(esd.locator('rect[data-bar][tabindex="0"]')).toHaveCount(1);
  const first = esd.locator('rect[data-bar="0"]');
  await expect(first).toHaveAttribute('aria-label', /eigenvalue/);
  await first.focus();
  await expect(esd.getByRole('tooltip')).toContainText('eigenvalue');
  await page.keyboard.press('ArrowRight');
  expect(await focused('data-bar')).toBe('1');
  const label1 = await esd.locator('rect[data-bar="1"]').getAttribute('aria-label');
  // The tooltip follows focus and says what the label says (the label is the tooltip's lines joined).
  const tip1 = (await esd.getByRole('tooltip').innerText()).replace(/\s*\n\s*/g, ', ');
  expect(tip1).toBe(label1);
  await page.keyboard.press('End');
  expect(await focused('data-bar')).toBe(String(count - 1));
  await page.keyboard.press('ArrowRight'); // past the last bar: stays
  expect(await focused('data-bar')).toBe(String(count - 1));
  await page.keyboard.press('Home');
  expect(await focused('data-bar')).toBe('0');
  await page.keyboard.press('Tab');
  await expect(esd.getByRole('tooltip')).toHaveCount(0);

  // Estimator agreement: one tab stop; → to the same estimator's next layer; ↑ to a higher α in that layer.
  const view = page.getByRole('region', { name: 'Estimator agreement', exact: true });
  const chart = view.locator('[data-testid="agreement-chart"]');
  await expect(chart.locator('circle[tabindex="0"]')).toHaveCount(1);
  const start = chart.locator('circle[tabindex="0"]');
  const startPoint = await start.getAttribute('data-point');
  expect(startPoint).toMatch(/^[\w-]+:0$/);
  await start.focus();
  await expect(view.getByRole('tooltip')).toHaveText(await start.getAttribute('aria-label').then((l) => l!));
  await page.keyboard.press('ArrowRight');
  const estimator = startPoint!.split(':')[0]!;
  expect(await focused('data-point')).toBe(`${estimator}:1`);
  await expect(view.getByRole('tooltip')).toHaveText(new RegExp(`^${estimator}, layer 1: α = `));
  await expect(chart.locator('circle[tabindex="0"]')).toHaveAttribute('data-point', `${estimator}:1`);
  // Home: layer 0's lowest α; ↑ then goes to layer 0's next higher α (read from the points' labels).
  const layer0 = await chart.locator('circle[data-point$=":0"]').evaluateAll((els) =>
    els.map((e) => ({
      point: e.getAttribute('data-point') ?? '',
      alpha: Number(/α = (\S+)$/.exec(e.getAttribute('aria-label') ?? '')?.[1]),
    })),
  );
  const byAlpha = [...layer0].sort((a, b) => a.alpha - b.alpha);
  expect(byAlpha.length).toBeGreaterThanOrEqual(2);
  await page.keyboard.press('Home');
  expect(await focused('data-point')).toBe(byAlpha[0]!.point);
  await page.keyboard.press('ArrowUp');
  expect(await focused('data-point')).toBe(byAlpha[1]!.point);
});

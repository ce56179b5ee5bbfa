/**
 * Issue 17: an automated accessibility scan (axe-core) reports no serious or critical violation, in the
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

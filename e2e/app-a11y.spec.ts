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

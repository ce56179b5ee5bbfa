/**
 * A chart's <svg> size and what is drawn in it change together. The drawing is d3 work in an effect; if
 * it ran after the browser had a chance to look at the page (a passive effect), there was a moment where
 * the svg already had its new, narrower width while its marks were still placed for the old one: labels
 * hung past the right edge (this broke the 390 px e2e check at random). Watched here at the first moment
 * anything can observe the new width: a MutationObserver callback on the svg's width attribute.
 */
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { describe, expect, it } from 'vitest';
import { AllocationChart } from '../../src/app/charts/AllocationChart';
import { allocationChartModel } from '../../src/app/charts/allocation-data';

/** Texts of the svg whose box reaches past the svg's right or left edge (1 px of rounding allowed). */
function textsOutside(svg: SVGSVGElement): string[] {
  const box = svg.getBoundingClientRect();
  const out: string[] = [];
  for (const t of svg.querySelectorAll('text')) {
    const r = t.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.left < box.left - 1 || r.right > box.right + 1) out.push(t.textContent ?? '');
  }
  return out;
}

const nextFrame = (): Promise<void> => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

describe('chart resize', () => {
  it('the allocation chart never shows marks placed for another width than its svg has', async () => {
    const host = document.createElement('div');
    host.style.width = '600px';
    document.body.append(host);
    const root = createRoot(host);
    const model = allocationChartModel([3, 5, 5, 9, 3], [1, 1, 1, 2, 1], [3, 4, 4, 5, 3], null);
    root.render(createElement(AllocationChart, { model }));
    const svg = await expect
      .poll(() => host.querySelector('svg'))
      .toBeTruthy()
      .then(() => host.querySelector('svg')!);
    const bodyWidth = (): string => String(Math.floor(host.querySelector('.chart-body')!.clientWidth));
    await expect.poll(() => svg.getAttribute('width')).toBe(bodyWidth());
    await nextFrame();
    expect(textsOutside(svg)).toEqual([]);

    // Narrow the container; check at every width change of the svg, before any later task runs.
    const seen: { width: string | null; outside: string[] }[] = [];
    const watch = new MutationObserver(() =>
      seen.push({ width: svg.getAttribute('width'), outside: textsOutside(svg) }),
    );
    watch.observe(svg, { attributes: true, attributeFilter: ['width'] });
    host.style.width = '380px';
    await expect.poll(() => svg.getAttribute('width')).toBe(bodyWidth());
    const narrow = bodyWidth();
    await nextFrame();
    watch.disconnect();
    expect(seen.map((s) => s.width)).toContain(narrow);
    expect(seen.filter((s) => s.outside.length > 0)).toEqual([]);
    expect(textsOutside(svg)).toEqual([]);
    root.unmount();
    host.remove();
  });
});

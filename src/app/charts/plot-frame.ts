/**
 * The d3 set-up every chart shares: clear the <svg> and open the plot area inside the margins, axis
 * titles, a legend row with colour swatches, and hover tooltips. Each chart draws only its own marks.
 */
import * as d3 from 'd3';
import type { RefObject } from 'react';
import type { TooltipState } from './ChartFrame';
import { COLORS, FONT, type Margins } from './theme';

export type SvgSelection = d3.Selection<SVGSVGElement, unknown, null, undefined>;
export type GroupSelection = d3.Selection<SVGGElement, unknown, null, undefined>;

export interface PlotArea {
  svg: SvgSelection;
  /** The plot area: origin at the top-left inside the margins, in the chart font. */
  g: GroupSelection;
  /** Inner width and height (inside the margins). */
  iw: number;
  ih: number;
}

/** Clears the svg (charts redraw from scratch) and opens the plot area inside the margins. */
export function plotArea(svgEl: SVGSVGElement, width: number, height: number, m: Margins): PlotArea {
  const svg = d3.select(svgEl);
  svg.selectAll('*').remove();
  const g = svg.append('g').attr('transform', `translate(${m.left},${m.top})`).attr('font-family', FONT);
  return { svg, g, iw: width - m.left - m.right, ih: height - m.top - m.bottom };
}

/**
 * Axis titles: x centred `x.below` pixels under the plot's top edge plus its height, y rotated and
 * centred `y.left` pixels left of the plot.
 */
export function axisTitles(
  area: Pick<PlotArea, 'g' | 'iw' | 'ih'>,
  x: { text: string; below: number },
  y: { text: string; left: number },
): void {
  const { g, iw, ih } = area;
  g.append('text')
    .attr('x', iw / 2)
    .attr('y', ih + x.below)
    .attr('text-anchor', 'middle')
    .attr('font-size', 12)
    .attr('fill', COLORS.text)
    .text(x.text);
  g.append('text')
    .attr('transform', `translate(${-y.left},${ih / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .attr('font-size', 12)
    .attr('fill', COLORS.text)
    .text(y.text);
}

/** A legend row above the plot (its baseline at `top` pixels from the svg's top). */
export function legendRow(svg: SvgSelection, left: number, top: number): GroupSelection {
  return svg
    .append('g')
    .attr('transform', `translate(${left},${top})`)
    .attr('font-family', FONT)
    .attr('font-size', 11);
}

/** A filled 12×10 box at `x` with its label after it. */
export function legendBox(legend: GroupSelection, x: number, color: string, label: string): void {
  const box = legend.append('rect');
  if (x !== 0) box.attr('x', x);
  box.attr('y', -8).attr('width', 12).attr('height', 10).attr('fill', color);
  legend
    .append('text')
    .attr('x', x + 16)
    .attr('fill', COLORS.text)
    .text(label);
}

/** A 20-pixel line sample at `x` (solid or dashed) with its label after it. */
export function legendLine(
  legend: GroupSelection,
  x: number,
  stroke: { color: string; width: number; dash?: string },
  label: string,
): void {
  const line = legend
    .append('line')
    .attr('x1', x)
    .attr('x2', x + 20)
    .attr('y1', -3)
    .attr('y2', -3)
    .attr('stroke', stroke.color)
    .attr('stroke-width', stroke.width);
  if (stroke.dash) line.attr('stroke-dasharray', stroke.dash);
  legend
    .append('text')
    .attr('x', x + 26)
    .attr('fill', COLORS.text)
    .text(label);
}

/**
 * Shows a tooltip (lines from `describe`) next to the pointer while it is over a mark, and next to the
 * mark while it has keyboard focus (a focusable mark's tooltip is its text for keyboard users too). The
 * focus handlers are namespaced so that a chart's own focus handlers stay.
 */
export function hoverTooltip<E extends d3.BaseType, D, P extends d3.BaseType>(
  marks: d3.Selection<E, D, P, unknown>,
  body: RefObject<HTMLElement | null>,
  show: (tooltip: TooltipState | null) => void,
  describe: (d: D) => string[],
): d3.Selection<E, D, P, unknown> {
  return marks
    .on('mouseenter', (ev: Event, d: D) => {
      const [px, py] = d3.pointer(ev, body.current);
      show({ x: px + 12, y: py + 12, lines: describe(d) });
    })
    .on('mouseleave', () => show(null))
    .on('focus.tooltip', (ev: Event, d: D) => {
      const el = ev.currentTarget as Element | null;
      const host = body.current;
      if (!el || !host) return;
      const r = el.getBoundingClientRect();
      const h = host.getBoundingClientRect();
      show({ x: r.right - h.left + 8, y: r.bottom - h.top + 8, lines: describe(d) });
    })
    .on('blur.tooltip', () => show(null));
}

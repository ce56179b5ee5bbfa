/**
 * A per-layer bar plot's frame and marks, shared by the expert chart and the trainer schedule chart (and
 * any later per-layer bar chart): band scale over the layers, grid, axes with titles, bars with problem
 * values in red, and the value written on top of each bar when there is room. Each chart adds only its
 * own overlays and legend.
 */
import * as d3 from 'd3';
import type { GroupSelection, PlotArea } from './plot-frame';
import { axisTitles } from './plot-frame';
import { COLORS } from './theme';

export interface LayerBarDatum {
  layer: number;
  value: number;
  /** Drawn in the problem colour (zero or negative experts, a flagged schedule value). */
  problem: boolean;
}

export interface LayerBarFrame {
  x: d3.ScaleBand<number>;
  y: d3.ScaleLinear<number, number>;
  /** Band width of one layer's bar. */
  bw: number;
}

export interface LayerBarAxes {
  yDomain: [number, number];
  /** Whole numbers only: integer ticks, 'd' labels. */
  integer: boolean;
  yTitle: string;
  /** How far left of the plot the rotated y title sits (its labels' width). */
  yTitleLeft: number;
}

/** Scales, grid and axes for one bar per layer; layers are thinned on the x axis to about 32 px each. */
export function layerBarFrame(
  area: Pick<PlotArea, 'g' | 'iw' | 'ih'>,
  layers: number[],
  axes: LayerBarAxes,
): LayerBarFrame {
  const { g, iw, ih } = area;
  const x = d3.scaleBand<number>().domain(layers).range([0, iw]).padding(0.2);
  const y = d3.scaleLinear().domain(axes.yDomain).range([ih, 0]).nice();
  const ticks = axes.integer ? y.ticks(6).filter((t) => Number.isInteger(t)) : y.ticks(6);
  g.append('g')
    .selectAll('line')
    .data(ticks)
    .join('line')
    .attr('x1', 0)
    .attr('x2', iw)
    .attr('y1', (d) => y(d))
    .attr('y2', (d) => y(d))
    .attr('stroke', COLORS.grid);
  const every = Math.max(1, Math.ceil(layers.length / Math.max(2, Math.floor(iw / 32))));
  g.append('g')
    .attr('transform', `translate(0,${y(0)})`)
    .call(
      d3
        .axisBottom(x)
        .tickValues(layers.filter((l) => l % every === 0))
        .tickSizeOuter(0),
    )
    .attr('font-size', 11);
  g.append('g')
    .call(
      d3
        .axisLeft(y)
        .tickValues(ticks)
        .tickFormat(d3.format(axes.integer ? 'd' : '.2f')),
    )
    .attr('font-size', 11);
  axisTitles(area, { text: 'Layer', below: 36 }, { text: axes.yTitle, left: axes.yTitleLeft });
  return { x, y, bw: x.bandwidth() };
}

/** The bars, from zero to each value (a zero drawn 2 px high so it stays visible), with class and data-*. */
export function drawLayerBars<D extends LayerBarDatum>(
  g: GroupSelection,
  frame: LayerBarFrame,
  data: D[],
  mark: { className: string; dataAttr: string },
): d3.Selection<SVGRectElement, D, SVGGElement, unknown> {
  const { x, y, bw } = frame;
  return g
    .append('g')
    .selectAll<SVGRectElement, D>('rect')
    .data(data)
    .join('rect')
    .attr('class', mark.className)
    .attr('data-layer', (d) => d.layer)
    .attr(mark.dataAttr, (d) => d.value)
    .attr('x', (d) => x(d.layer) ?? 0)
    .attr('width', bw)
    .attr('y', (d) => y(Math.max(0, d.value)))
    .attr('height', (d) => Math.max(d.value === 0 ? 2 : 0, Math.abs(y(d.value) - y(0))))
    .attr('fill', (d) => (d.problem ? COLORS.barNegative : COLORS.bar));
}

/**
 * Each bar's value written inside the top of a tall bar (white) or above a short one; below the end of a
 * negative one. Only when the bars are at least `minWidth` wide.
 */
export function drawBarValueLabels<D extends LayerBarDatum>(
  g: GroupSelection,
  frame: LayerBarFrame,
  data: D[],
  minWidth: number,
  label: (d: D) => string,
): void {
  const { x, y, bw } = frame;
  if (bw < minWidth) return;
  const inside = (d: D): boolean => d.value > 0 && y(0) - y(d.value) > 18;
  g.append('g')
    .selectAll('text')
    .data(data)
    .join('text')
    .attr('x', (d) => (x(d.layer) ?? 0) + bw / 2)
    .attr('y', (d) => {
      if (d.value < 0) return y(d.value) + 12;
      return inside(d) ? y(d.value) + 13 : y(d.value) - 4;
    })
    .attr('text-anchor', 'middle')
    .attr('font-size', 11)
    .attr('font-weight', 600)
    .attr('fill', (d) => (inside(d) ? '#ffffff' : COLORS.text))
    // Marked so that the dark theme keeps white on the bar (it re-colours the page's other whites).
    .attr('class', (d) => (inside(d) ? 'on-bar' : null))
    .text(label);
}

/**
 * A trainer schedule per layer (rank, sparsity or lr multiplier) as bars, drawn as the expert chart is:
 * grid, axes with titles, flagged values in red, the value on top when there is room, legend above.
 */
import * as d3 from 'd3';
import { useEffect, type ReactNode } from 'react';
import type { ScheduleChartModel } from './schedule-data';
import { ChartFrame, useChartFrame } from './ChartFrame';
import { axisTitles, hoverTooltip, legendBox, legendRow, plotArea } from './plot-frame';
import { COLORS } from './theme';

const HEIGHT = 280;

function valueLabel(model: ScheduleChartModel, v: number): string {
  return model.integer ? String(v) : v.toFixed(3);
}
const M = { top: 28, right: 16, bottom: 44, left: 56 };

export function ScheduleChart({ model }: { model: ScheduleChartModel }): ReactNode {
  const frame = useChartFrame();
  const { svgRef, bodyRef, width, setTooltip } = frame;

  useEffect(() => {
    const svgEl = svgRef.current;
    if (!svgEl) return;
    const { svg, g, iw, ih } = plotArea(svgEl, width, HEIGHT, M);
    const layers = model.bars.map((b) => b.layer);
    const x = d3.scaleBand<number>().domain(layers).range([0, iw]).padding(0.2);
    const y = d3.scaleLinear().domain(model.yDomain).range([ih, 0]).nice();
    const ticks = model.integer ? y.ticks(6).filter((t) => Number.isInteger(t)) : y.ticks(6);

    // 1. Grid and axes with labels.
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
          .tickFormat(d3.format(model.integer ? 'd' : '.2f')),
      )
      .attr('font-size', 11);
    axisTitles({ g, iw, ih }, { text: 'Layer', below: 36 }, { text: model.yTitle, left: 44 });

    // 2. Bars (flagged values in red), with the value on top when there is room.
    const bw = x.bandwidth();
    const bars = g
      .append('g')
      .selectAll('rect')
      .data(model.bars)
      .join('rect')
      .attr('class', 'schedule-bar')
      .attr('data-layer', (d) => d.layer)
      .attr('data-value', (d) => d.value)
      .attr('x', (d) => x(d.layer) ?? 0)
      .attr('width', bw)
      .attr('y', (d) => y(Math.max(0, d.value)))
      .attr('height', (d) => Math.max(d.value === 0 ? 2 : 0, Math.abs(y(d.value) - y(0))))
      .attr('fill', (d) => (d.problem ? COLORS.barNegative : COLORS.bar));
    hoverTooltip(bars, bodyRef, setTooltip, (d) => [
      `Layer ${d.layer}`,
      `${model.yTitle} ${valueLabel(model, d.value)}`,
      `α ${d.alpha.toFixed(4)}`,
    ]);
    if (bw >= (model.integer ? 14 : 34)) {
      g.append('g')
        .selectAll('text')
        .data(model.bars)
        .join('text')
        .attr('x', (d) => (x(d.layer) ?? 0) + bw / 2)
        .attr('y', (d) => (y(0) - y(d.value) > 18 ? y(d.value) + 13 : y(d.value) - 4))
        .attr('text-anchor', 'middle')
        .attr('font-size', 11)
        .attr('font-weight', 600)
        .attr('fill', (d) => (y(0) - y(d.value) > 18 ? '#ffffff' : COLORS.text))
        .text((d) => valueLabel(model, d.value));
    }

    // 3. Legend above the plot.
    const legend = legendRow(svg, M.left, 12);
    legendBox(legend, 0, COLORS.bar, model.legend);
    legendBox(legend, 170, COLORS.barNegative, 'flagged (rank ≤ 0, sparsity ≥ 1)');
  }, [model, width, svgRef, bodyRef, setTooltip]);

  const values = model.bars.map((b) => b.value);
  return (
    <ChartFrame
      id="schedule-chart"
      title={`${model.yTitle} per layer`}
      exportName="schedule"
      frame={frame}
      svg={{
        label: `${model.yTitle} per layer: ${values.map((v) => valueLabel(model, v)).join(', ')}`,
        height: HEIGHT,
        data: { 'data-values': values.join(',') },
      }}
    />
  );
}

/** Experts per layer as bars with an optional baseline overlay (dashed steps), zero line, legend. */
import * as d3 from 'd3';
import { useEffect, type ReactNode } from 'react';
import type { AllocationChartModel } from './allocation-data';
import { ChartFrame, useChartFrame } from './ChartFrame';
import { axisTitles, hoverTooltip, legendBox, legendLine, legendRow, plotArea } from './plot-frame';
import { COLORS } from './theme';

const HEIGHT = 300;
const M = { top: 28, right: 16, bottom: 44, left: 56 };

interface AllocationChartProps {
  model: AllocationChartModel;
  controls?: ReactNode;
}

export function AllocationChart({ model, controls }: AllocationChartProps): ReactNode {
  const frame = useChartFrame();
  const { svgRef, bodyRef, width, setTooltip } = frame;

  useEffect(() => {
    const svgEl = svgRef.current;
    if (!svgEl) return;
    const { svg, g, iw, ih } = plotArea(svgEl, width, HEIGHT, M);
    const layers = model.bars.map((b) => b.layer);
    const x = d3.scaleBand<number>().domain(layers).range([0, iw]).padding(0.2);
    const y = d3.scaleLinear().domain(model.yDomain).range([ih, 0]).nice();

    // Expert counts are whole numbers: only integer ticks.
    const intTicks = y.ticks(6).filter((t) => Number.isInteger(t));
    // 1. Grid and axes with labels.
    g.append('g')
      .selectAll('line')
      .data(intTicks)
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
      .call(d3.axisLeft(y).tickValues(intTicks).tickFormat(d3.format('d')))
      .attr('font-size', 11);
    axisTitles({ g, iw, ih }, { text: 'Layer', below: 36 }, { text: 'LoRA experts', left: 40 });

    // 2. Bars (zero and negative counts in red), with the count on top when there is room.
    const bw = x.bandwidth();
    const bars = g
      .append('g')
      .selectAll('rect')
      .data(model.bars)
      .join('rect')
      .attr('class', 'alloc-bar')
      .attr('data-layer', (d) => d.layer)
      .attr('data-experts', (d) => d.experts)
      .attr('x', (d) => x(d.layer) ?? 0)
      .attr('width', bw)
      .attr('y', (d) => y(Math.max(0, d.experts)))
      .attr('height', (d) => Math.max(d.experts === 0 ? 2 : 0, Math.abs(y(d.experts) - y(0))))
      .attr('fill', (d) => (d.problem ? COLORS.barNegative : COLORS.bar));
    hoverTooltip(bars, bodyRef, setTooltip, (d) => [
      `Layer ${d.layer}`,
      `experts ${d.experts}, top-k ${d.topK}`,
      `α ${d.alpha.toFixed(4)}`,
      ...(model.baseline ? [`${model.baseline.name}: ${model.baseline.experts[d.layer]}`] : []),
    ]);
    if (bw >= 14) {
      g.append('g')
        .selectAll('text')
        .data(model.bars)
        .join('text')
        .attr('x', (d) => (x(d.layer) ?? 0) + bw / 2)
        // Inside the top of tall bars (white), above short ones: clear of the baseline's dashes.
        .attr('y', (d) => {
          if (d.experts < 0) return y(d.experts) + 12;
          return y(0) - y(d.experts) > 18 ? y(d.experts) + 13 : y(d.experts) - 4;
        })
        .attr('text-anchor', 'middle')
        .attr('font-size', 11)
        .attr('font-weight', 600)
        .attr('fill', (d) => (d.experts > 0 && y(0) - y(d.experts) > 18 ? '#ffffff' : COLORS.text))
        // Marked so that the dark theme keeps white on the bar (it re-colours the page's other whites).
        .attr('class', (d) => (d.experts > 0 && y(0) - y(d.experts) > 18 ? 'on-bar' : null))
        .text((d) => d.experts);
    }

    // 3. Baseline overlay as a dashed step line across each band.
    if (model.baseline) {
      const pts = model.baseline.experts;
      g.append('g')
        .selectAll('line')
        .data(pts.map((v, i) => ({ v, i })).filter((p) => p.i < layers.length))
        .join('line')
        .attr('x1', (p) => (x(p.i) ?? 0) - 1)
        .attr('x2', (p) => (x(p.i) ?? 0) + bw + 1)
        .attr('y1', (p) => y(p.v))
        .attr('y2', (p) => y(p.v))
        .attr('stroke', COLORS.baseline)
        .attr('stroke-width', 2.5)
        .attr('stroke-dasharray', '4 2');
    }

    // 4. Legend above the plot.
    const legend = legendRow(svg, M.left, 12);
    legendBox(legend, 0, COLORS.bar, 'AlphaLoRA experts');
    legendBox(legend, 130, COLORS.barNegative, 'zero or negative');
    if (model.baseline) {
      legendLine(
        legend,
        262,
        { color: COLORS.baseline, width: 2.5, dash: '4 2' },
        `baseline: ${model.baseline.name}`,
      );
    }
  }, [model, width, svgRef, bodyRef, setTooltip]);

  const experts = model.bars.map((b) => b.experts);
  return (
    <ChartFrame
      id="allocation-chart"
      title="Experts per layer"
      exportName="expert-allocation"
      frame={frame}
      svg={{
        label: `Experts per layer: ${experts.join(', ')}`,
        height: HEIGHT,
        data: { 'data-experts': experts.join(',') },
      }}
      controls={controls}
    />
  );
}

/** Experts per layer as bars with an optional baseline overlay (dashed steps), zero line, legend. */
import * as d3 from 'd3';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { AllocationChartModel } from './allocation-data';
import { ChartFrame, useElementWidth, type TooltipState } from './ChartFrame';
import { COLORS, FONT } from './theme';

const HEIGHT = 300;
const M = { top: 28, right: 16, bottom: 44, left: 56 };

interface AllocationChartProps {
  model: AllocationChartModel;
  controls?: ReactNode;
}

export function AllocationChart({ model, controls }: AllocationChartProps): ReactNode {
  const svgRef = useRef<SVGSVGElement | null>(null);
  const bodyRef = useRef<HTMLDivElement | null>(null);
  const width = useElementWidth(bodyRef);
  const [tooltip, setTooltip] = useState<TooltipState | null>(null);

  useEffect(() => {
    const svgEl = svgRef.current;
    if (!svgEl) return;
    const svg = d3.select(svgEl);
    svg.selectAll('*').remove();
    const iw = width - M.left - M.right;
    const ih = HEIGHT - M.top - M.bottom;
    const layers = model.bars.map((b) => b.layer);
    const x = d3.scaleBand<number>().domain(layers).range([0, iw]).padding(0.2);
    const y = d3.scaleLinear().domain(model.yDomain).range([ih, 0]).nice();
    const g = svg.append('g').attr('transform', `translate(${M.left},${M.top})`).attr('font-family', FONT);

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
    g.append('text')
      .attr('x', iw / 2)
      .attr('y', ih + 36)
      .attr('text-anchor', 'middle')
      .attr('font-size', 12)
      .attr('fill', COLORS.text)
      .text('Layer');
    g.append('text')
      .attr('transform', `translate(${-40},${ih / 2}) rotate(-90)`)
      .attr('text-anchor', 'middle')
      .attr('font-size', 12)
      .attr('fill', COLORS.text)
      .text('LoRA experts');

    // 2. Bars (zero and negative counts in red), with the count on top when there is room.
    const bw = x.bandwidth();
    g.append('g')
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
      .attr('fill', (d) => (d.problem ? COLORS.barNegative : COLORS.bar))
      .on('mouseenter', (ev: MouseEvent, d) => {
        const [px, py] = d3.pointer(ev, bodyRef.current);
        const base = model.baseline ? [`${model.baseline.name}: ${model.baseline.experts[d.layer]}`] : [];
        setTooltip({
          x: px + 12,
          y: py + 12,
          lines: [
            `Layer ${d.layer}`,
            `experts ${d.experts}, top-k ${d.topK}`,
            `α ${d.alpha.toFixed(4)}`,
            ...base,
          ],
        });
      })
      .on('mouseleave', () => setTooltip(null));
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
    const legend = svg
      .append('g')
      .attr('transform', `translate(${M.left},12)`)
      .attr('font-family', FONT)
      .attr('font-size', 11);
    legend.append('rect').attr('width', 12).attr('height', 10).attr('y', -8).attr('fill', COLORS.bar);
    legend.append('text').attr('x', 16).attr('fill', COLORS.text).text('AlphaLoRA experts');
    legend
      .append('rect')
      .attr('x', 130)
      .attr('width', 12)
      .attr('height', 10)
      .attr('y', -8)
      .attr('fill', COLORS.barNegative);
    legend.append('text').attr('x', 146).attr('fill', COLORS.text).text('zero or negative');
    if (model.baseline) {
      legend
        .append('line')
        .attr('x1', 262)
        .attr('x2', 282)
        .attr('y1', -3)
        .attr('y2', -3)
        .attr('stroke', COLORS.baseline)
        .attr('stroke-width', 2.5)
        .attr('stroke-dasharray', '4 2');
      legend.append('text').attr('x', 288).attr('fill', COLORS.text).text(`baseline: ${model.baseline.name}`);
    }
  }, [model, width]);

  return (
    <ChartFrame
      id="allocation-chart"
      title="Experts per layer"
      exportName="expert-allocation"
      svgRef={svgRef}
      bodyRef={bodyRef}
      tooltip={tooltip}
      controls={controls}
    >
      <svg
        ref={svgRef}
        role="img"
        aria-label={`Experts per layer: ${model.bars.map((b) => b.experts).join(', ')}`}
        data-experts={model.bars.map((b) => b.experts).join(',')}
        viewBox={`0 0 ${width} ${HEIGHT}`}
        width={width}
        height={HEIGHT}
      />
    </ChartFrame>
  );
}

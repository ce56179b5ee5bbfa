/**
 * Layer α of two models on one chart (A solid, B dashed, on the α axis) with Δα = α_B − α_A as bars in a
 * strip underneath on its own axis, symmetric about 0. The numbers are the comparison's (core
 * buildComparison); compare-data.ts only sets the domains.
 */
import * as d3 from 'd3';
import { useCallback, type ReactNode } from 'react';
import type { ComparisonLayer } from '../../core/compare/comparison';
import { ChartFrame, useChartFrame } from './ChartFrame';
import type { CompareAlphaModel } from './compare-data';
import { axisTitles, hoverTooltip, legendBox, legendLine, legendRow, type PlotArea } from './plot-frame';
import { useChartDrawing } from './use-chart-drawing';
import { COLORS } from './theme';

const HEIGHT = 360;
const M = { top: 30, right: 16, bottom: 44, left: 56 };
/** The Δα strip's share of the plot height, and the gap above it. */
const STRIP = 0.3;
const GAP = 18;

export const COMPARE_COLORS = { a: '#3b6fb6', b: '#d9730d', up: '#c81e1e', down: '#2f855a' };

const fmt = (v: number | null, digits = 4): string => (v === null ? '—' : v.toFixed(digits));

function describeLayer(l: ComparisonLayer): string[] {
  const sign = l.delta === null ? '' : l.delta > 0 ? '+' : '';
  return [
    `Layer ${l.index}`,
    `α A ${fmt(l.alphaA)}`,
    `α B ${fmt(l.alphaB)}`,
    `Δα ${l.delta === null ? '—' : sign + l.delta.toFixed(4)}`,
  ];
}

export function CompareAlphaChart({ model }: { model: CompareAlphaModel }): ReactNode {
  const frame = useChartFrame();
  const { bodyRef, width, setTooltip } = frame;

  const draw = useCallback(
    ({ svg, g, iw, ih }: PlotArea): void => {
      const stripH = Math.round(ih * STRIP);
      const topH = ih - stripH - GAP;
      const layers = model.layers;
      // 1. Scales: one band per layer, α above, Δα in the strip below.
      const x = d3
        .scaleBand<number>()
        .domain(layers.map((l) => l.index))
        .range([0, iw])
        .padding(0.25);
      const y = d3.scaleLinear().domain(model.alphaDomain).range([topH, 0]);
      const yd = d3
        .scaleLinear()
        .domain(model.deltaDomain)
        .range([topH + GAP + stripH, topH + GAP]);
      const cx = (i: number): number => (x(i) ?? 0) + x.bandwidth() / 2;

      // 2. Axes and grid.
      const every = Math.max(1, Math.ceil(layers.length / Math.max(2, Math.floor(iw / 28))));
      g.append('g')
        .attr('transform', `translate(0,${ih})`)
        .call(d3.axisBottom(x).tickValues(layers.map((l) => l.index).filter((i) => i % every === 0)))
        .attr('font-size', 11);
      g.append('g').call(d3.axisLeft(y).ticks(5)).attr('font-size', 11);
      g.append('g').call(d3.axisLeft(yd).ticks(3)).attr('font-size', 11);
      g.append('g')
        .selectAll('line')
        .data(y.ticks(5))
        .join('line')
        .attr('x1', 0)
        .attr('x2', iw)
        .attr('y1', (t) => y(t))
        .attr('y2', (t) => y(t))
        .attr('stroke', COLORS.grid);
      g.append('line')
        .attr('x1', 0)
        .attr('x2', iw)
        .attr('y1', yd(0))
        .attr('y2', yd(0))
        .attr('stroke', COLORS.axis);
      axisTitles({ g, iw, ih }, { text: 'layer', below: 36 }, { text: 'layer α  ·  Δα (B − A)', left: 42 });

      // 3. α of each side: a line through the layers that have one, and a dot per layer.
      for (const side of ['a', 'b'] as const) {
        const pts = layers
          .map((l) => ({ i: l.index, v: side === 'a' ? l.alphaA : l.alphaB, l }))
          .filter((p): p is { i: number; v: number; l: ComparisonLayer } => p.v !== null);
        g.append('path')
          .datum(pts)
          .attr('fill', 'none')
          .attr('stroke', COMPARE_COLORS[side])
          .attr('stroke-width', 2)
          .attr('stroke-dasharray', side === 'b' ? '6 3' : null)
          .attr('data-testid', `compare-alpha-line-${side}`)
          .attr(
            'd',
            d3
              .line<{ i: number; v: number }>()
              .x((p) => cx(p.i))
              .y((p) => y(Math.min(Math.max(p.v, model.alphaDomain[0]), model.alphaDomain[1]))),
          );
        const dots = g
          .append('g')
          .selectAll('circle')
          .data(pts)
          .join('circle')
          .attr('cx', (p) => cx(p.i))
          .attr('cy', (p) => y(Math.min(Math.max(p.v, model.alphaDomain[0]), model.alphaDomain[1])))
          .attr('r', 3.5)
          .attr('fill', side === 'a' ? COMPARE_COLORS.a : COLORS.background)
          .attr('stroke', COMPARE_COLORS[side])
          .attr('stroke-width', 1.5);
        hoverTooltip(dots, bodyRef, setTooltip, (p) => describeLayer(p.l));
      }

      // 4. Δα bars: red where B's α is higher (less well trained by HT-SR's reading), green where lower.
      const withDelta = layers.filter((l): l is ComparisonLayer & { delta: number } => l.delta !== null);
      const clampD = (v: number): number => Math.min(Math.max(v, model.deltaDomain[0]), model.deltaDomain[1]);
      const bars = g
        .append('g')
        .selectAll('rect')
        .data(withDelta)
        .join('rect')
        .attr('class', 'delta-bar')
        .attr('x', (l) => x(l.index) ?? 0)
        .attr('width', x.bandwidth())
        .attr('y', (l) => Math.min(yd(0), yd(clampD(l.delta))))
        .attr('height', (l) => Math.max(1, Math.abs(yd(clampD(l.delta)) - yd(0))))
        .attr('fill', (l) => (l.delta > 0 ? COMPARE_COLORS.up : COMPARE_COLORS.down));
      hoverTooltip(bars, bodyRef, setTooltip, describeLayer);

      // 5. Legend (narrow screens: from the svg's edge, so it is never cut).
      const legend = legendRow(svg, width < 480 ? 8 : M.left, 14);
      legendLine(legend, 0, { color: COMPARE_COLORS.a, width: 2 }, 'α A');
      legendLine(legend, 64, { color: COMPARE_COLORS.b, width: 2, dash: '6 3' }, 'α B');
      legendBox(legend, 128, COMPARE_COLORS.up, 'Δα > 0');
      legendBox(legend, 196, COMPARE_COLORS.down, 'Δα < 0');
    },
    [model, width, bodyRef, setTooltip],
  );
  useChartDrawing(frame, HEIGHT, M, draw);

  const list = (pick: (l: ComparisonLayer) => number | null): string =>
    model.layers.map((l) => (pick(l) === null ? 'NaN' : String(pick(l)))).join(',');
  return (
    <ChartFrame
      id="compare-alpha-chart"
      title="Layer α of A and B, and Δα"
      exportName="compare-layer-alpha"
      frame={frame}
      svg={{
        label: `Layer α of both models and Δα = B − A per layer: ${model.layers
          .map((l) => `layer ${l.index} ${fmt(l.delta, 3)}`)
          .join(', ')}`,
        height: HEIGHT,
        data: {
          'data-alpha-a': list((l) => l.alphaA),
          'data-alpha-b': list((l) => l.alphaB),
          'data-delta': list((l) => l.delta),
        },
      }}
    />
  );
}

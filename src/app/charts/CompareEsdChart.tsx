/**
 * The ESDs of one matched pair overlaid on log-log axes: each side's histogram as a step outline (A solid,
 * B dashed) with its xmin marked. Bins and densities come from compare-data.ts (the core's ESD histogram).
 */
import * as d3 from 'd3';
import { useCallback, type ReactNode } from 'react';
import { ChartFrame, useChartFrame } from './ChartFrame';
import type { EsdOutline, EsdOverlayModel } from './compare-data';
import { COMPARE_COLORS } from './CompareAlphaChart';
import { axisTitles, legendLine, legendRow, type PlotArea } from './plot-frame';
import { useChartDrawing } from './use-chart-drawing';
import { COLORS } from './theme';

const HEIGHT = 320;
const M = { top: 30, right: 16, bottom: 46, left: 64 };

/** The outline's points: up and across each bin with density > 0, down to the floor across empty ones. */
function steps(o: EsdOutline, floor: number): [number, number][] {
  const pts: [number, number][] = [];
  for (const b of o.bins) {
    if (b.x0 <= 0) continue;
    const d = b.density > 0 ? b.density : floor;
    pts.push([b.x0, d], [b.x1, d]);
  }
  return pts;
}

interface Props {
  model: EsdOverlayModel;
  name: string;
  controls?: ReactNode;
}

export function CompareEsdChart({ model, name, controls }: Props): ReactNode {
  const frame = useChartFrame();
  const { width } = frame;

  const draw = useCallback(
    ({ svg, g, iw, ih }: PlotArea): void => {
      // 1. Log-log scales over both sides' bins; empty bins sit on the floor, a decade under the lowest.
      const x = d3.scaleLog().domain(model.xDomain).range([0, iw]);
      const floor = model.yDomain[0] / 10;
      const y = d3.scaleLog().domain([floor, model.yDomain[1]]).range([ih, 0]).clamp(true);
      g.append('g')
        .attr('transform', `translate(0,${ih})`)
        .call(d3.axisBottom(x).ticks(Math.max(2, Math.floor(iw / 90)), '~g'))
        .attr('font-size', 11);
      g.append('g').call(d3.axisLeft(y).ticks(5, '~g')).attr('font-size', 11);
      axisTitles(
        { g, iw, ih },
        { text: 'eigenvalue λ of WᵀW (log scale)', below: 38 },
        { text: 'density (log scale)', left: 50 },
      );

      // 2. One outline and one xmin marker per side.
      for (const side of ['a', 'b'] as const) {
        const o = model[side];
        g.append('path')
          .datum(steps(o, floor))
          .attr('fill', 'none')
          .attr('stroke', COMPARE_COLORS[side])
          .attr('stroke-width', 2)
          .attr('stroke-dasharray', side === 'b' ? '6 3' : null)
          .attr('data-testid', `compare-esd-${side}`)
          .attr('data-bins', o.bins.length)
          .attr(
            'd',
            d3
              .line<[number, number]>()
              .x((p) => x(p[0]))
              .y((p) => y(p[1])),
          );
        if (o.xmin !== null && o.xmin >= model.xDomain[0] && o.xmin <= model.xDomain[1]) {
          g.append('line')
            .attr('x1', x(o.xmin))
            .attr('x2', x(o.xmin))
            .attr('y1', 0)
            .attr('y2', ih)
            .attr('stroke', COMPARE_COLORS[side])
            .attr('stroke-width', 1)
            .attr('stroke-dasharray', '2 3');
        }
      }

      // 3. Legend with each side's α.
      const legend = legendRow(svg, width < 480 ? 8 : M.left, 14);
      const label = (side: 'a' | 'b'): string =>
        `${side.toUpperCase()}${model[side].alpha === null ? '' : `, α = ${model[side].alpha!.toFixed(3)}`}`;
      legendLine(legend, 0, { color: COMPARE_COLORS.a, width: 2 }, label('a'));
      legendLine(legend, 120, { color: COMPARE_COLORS.b, width: 2, dash: '6 3' }, label('b'));
      legend
        .append('text')
        .attr('x', 240)
        .attr('fill', COLORS.muted)
        .text(width < 480 ? '' : 'dotted: xmin');
    },
    [model, width],
  );
  useChartDrawing(frame, HEIGHT, M, draw);

  return (
    <ChartFrame
      id="compare-esd-chart"
      title={`ESD of ${name}, A and B`}
      exportName={`compare-esd-${name.replace(/[^\w.-]+/g, '_')}`}
      frame={frame}
      svg={{
        label: `Eigenvalue densities of ${name} in both models: α A ${model.a.alpha?.toFixed(3) ?? '—'}, α B ${model.b.alpha?.toFixed(3) ?? '—'}`,
        height: HEIGHT,
      }}
      controls={controls}
      footer={model.note ? <p className="note">{model.note}</p> : undefined}
    />
  );
}

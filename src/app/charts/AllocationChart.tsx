/** Experts per layer as bars with an optional baseline overlay (dashed steps), zero line, legend. */
import { useCallback, type ReactNode } from 'react';
import type { AllocationChartModel } from './allocation-data';
import { ChartFrame, useChartFrame } from './ChartFrame';
import { drawBarValueLabels, drawLayerBars, layerBarFrame } from './layer-bars';
import { hoverTooltip, legendBox, legendLine, legendRow, type PlotArea } from './plot-frame';
import { useChartDrawing } from './use-chart-drawing';
import { COLORS } from './theme';

const HEIGHT = 300;
const M = { top: 28, right: 16, bottom: 44, left: 56 };

interface AllocationChartProps {
  model: AllocationChartModel;
  controls?: ReactNode;
  /** Another id and title where several show (the comparison's side-by-side allocations). */
  id?: string;
  title?: string;
}

export function AllocationChart({
  model,
  controls,
  id = 'allocation-chart',
  title = 'Experts per layer',
}: AllocationChartProps): ReactNode {
  const frame = useChartFrame();
  const { bodyRef, setTooltip } = frame;

  const draw = useCallback(
    ({ svg, g, iw, ih }: PlotArea): void => {
      const layers = model.bars.map((b) => b.layer);
      const bars = model.bars.map((b) => ({ ...b, value: b.experts }));
      // 1. Grid and axes with labels (expert counts are whole numbers: only integer ticks).
      const frameXY = layerBarFrame({ g, iw, ih }, layers, {
        yDomain: model.yDomain,
        integer: true,
        yTitle: 'LoRA experts',
        yTitleLeft: 40,
      });
      const { x, y, bw } = frameXY;

      // 2. Bars (zero and negative counts in red), with the count on top when there is room.
      const marks = drawLayerBars(g, frameXY, bars, { className: 'alloc-bar', dataAttr: 'data-experts' });
      hoverTooltip(marks, bodyRef, setTooltip, (d) => [
        `Layer ${d.layer}`,
        `experts ${d.experts}, top-k ${d.topK}`,
        `α ${d.alpha.toFixed(4)}`,
        ...(model.baseline ? [`${model.baseline.name}: ${model.baseline.experts[d.layer]}`] : []),
      ]);
      drawBarValueLabels(g, frameXY, bars, 14, (d) => String(d.experts));

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
    },
    [model, bodyRef, setTooltip],
  );
  useChartDrawing(frame, HEIGHT, M, draw);

  const experts = model.bars.map((b) => b.experts);
  return (
    <ChartFrame
      id={id}
      title={title}
      exportName={id === 'allocation-chart' ? 'expert-allocation' : id}
      frame={frame}
      svg={{
        label: `${title}: ${experts.join(', ')}`,
        height: HEIGHT,
        data: { 'data-experts': experts.join(',') },
      }}
      controls={controls}
    />
  );
}

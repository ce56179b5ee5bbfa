/**
 * A trainer schedule per layer (rank, sparsity or lr multiplier) as bars, drawn as the expert chart is:
 * grid, axes with titles, flagged values in red, the value on top when there is room, legend above.
 */
import { useCallback, type ReactNode } from 'react';
import type { ScheduleChartModel } from './schedule-data';
import { ChartFrame, useChartFrame } from './ChartFrame';
import { drawBarValueLabels, drawLayerBars, layerBarFrame } from './layer-bars';
import { hoverTooltip, legendBox, legendRow, type PlotArea } from './plot-frame';
import { useChartDrawing } from './use-chart-drawing';
import { COLORS } from './theme';

const HEIGHT = 280;

function valueLabel(model: ScheduleChartModel, v: number): string {
  return model.integer ? String(v) : v.toFixed(3);
}
const M = { top: 28, right: 16, bottom: 44, left: 56 };

export function ScheduleChart({ model }: { model: ScheduleChartModel }): ReactNode {
  const frame = useChartFrame();
  const { bodyRef, setTooltip } = frame;

  const draw = useCallback(
    ({ svg, g, iw, ih }: PlotArea): void => {
      const layers = model.bars.map((b) => b.layer);
      // 1. Grid and axes with labels.
      const frameXY = layerBarFrame({ g, iw, ih }, layers, {
        yDomain: model.yDomain,
        integer: model.integer,
        yTitle: model.yTitle,
        yTitleLeft: 44,
      });

      // 2. Bars (flagged values in red), with the value on top when there is room.
      const marks = drawLayerBars(g, frameXY, model.bars, {
        className: 'schedule-bar',
        dataAttr: 'data-value',
      });
      hoverTooltip(marks, bodyRef, setTooltip, (d) => [
        `Layer ${d.layer}`,
        `${model.yTitle} ${valueLabel(model, d.value)}`,
        `α ${d.alpha.toFixed(4)}`,
      ]);
      drawBarValueLabels(g, frameXY, model.bars, model.integer ? 14 : 34, (d) => valueLabel(model, d.value));

      // 3. Legend above the plot.
      const legend = legendRow(svg, M.left, 12);
      legendBox(legend, 0, COLORS.bar, model.legend);
      legendBox(legend, 170, COLORS.barNegative, 'flagged (rank ≤ 0, sparsity ≥ 1)');
    },
    [model, bodyRef, setTooltip],
  );
  useChartDrawing(frame, HEIGHT, M, draw);

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

/**
 * ESD of one matrix: the histogram of its eigenvalues (log-log by default, or log-x / linear), the fitted
 * power-law density over the tail, the xmin marker, and the fp32 noise floor when eigenvalues were clamped.
 */
import * as d3 from 'd3';
import { useCallback, useId, useRef, type ReactNode } from 'react';
import { nextIndex } from './bar-keys';
import { ChartFrame, useChartFrame } from './ChartFrame';
import { esdBinTooltip, type EsdChartModel } from './esd-data';
import { axisTitles, hoverTooltip, legendBox, legendLine, legendRow, type PlotArea } from './plot-frame';
import { useChartDrawing } from './use-chart-drawing';
import { COLORS } from './theme';

const HEIGHT = 320;
const M = { top: 28, right: 16, bottom: 46, left: 64 };

interface EsdChartProps {
  model: EsdChartModel;
  controls?: ReactNode;
  /** Shown under the chart (the fit's quality). */
  extra?: ReactNode;
}

export function EsdChart({ model, controls, extra }: EsdChartProps): ReactNode {
  const frame = useChartFrame();
  // The clip path's id must be unique in the page and valid inside url(#…).
  const clipId = `esd-clip-${useId().replace(/[^\w-]/g, '')}`;
  const { bodyRef, width, setTooltip } = frame;
  // The bar that has keyboard focus (its index among the drawn bars), kept across redraws.
  const focusedRef = useRef<number | null>(null);

  const draw = useCallback(
    ({ svg, g, iw, ih }: PlotArea): void => {
      if (model.bins.length === 0) {
        g.append('text')
          .attr('x', iw / 2)
          .attr('y', ih / 2)
          .attr('text-anchor', 'middle')
          .attr('fill', COLORS.muted)
          .text('No positive eigenvalues to plot.');
        return;
      }
      // 1. Scales: log or linear x; log y in the log-log view (empty bins are simply not drawn there).
      const [x0, x1] = model.xDomain;
      const x = model.xLog
        ? d3.scaleLog().domain([x0, x1]).range([0, iw])
        : d3.scaleLinear().domain([x0, x1]).range([0, iw]).nice();
      const [yLo, yHi] = model.yDomain;
      const y = model.yLog
        ? d3.scaleLog().domain([yLo, yHi]).range([ih, 0]).clamp(true)
        : d3.scaleLinear().domain([0, yHi]).range([ih, 0]).nice();
      const yBase = model.yLog ? ih : y(0);

      // 2. Axes with labels; grid on y.
      const xAxis = model.xLog
        ? d3.axisBottom(x).ticks(Math.max(2, Math.floor(iw / 90)), '~g')
        : d3.axisBottom(x).ticks(Math.max(2, Math.floor(iw / 80)));
      g.append('g').attr('transform', `translate(0,${ih})`).call(xAxis).attr('font-size', 11);
      const yAxis = model.yLog ? d3.axisLeft(y).ticks(5, '~g') : d3.axisLeft(y).ticks(5);
      g.append('g').call(yAxis).attr('font-size', 11);
      axisTitles(
        { g, iw, ih },
        { text: model.xLog ? 'eigenvalue λ of WᵀW (log scale)' : 'eigenvalue λ of WᵀW', below: 38 },
        { text: model.yLabel, left: 50 },
      );

      // 3. Noise floor (fp32 rounding) shaded when eigenvalues were clamped.
      if (model.noiseFloor !== null && model.noiseFloor > x0) {
        const nx = Math.min(x(model.noiseFloor), iw);
        g.append('rect')
          .attr('x', 0)
          .attr('y', 0)
          .attr('width', nx)
          .attr('height', ih)
          .attr('fill', '#eef0f3');
        g.append('text')
          .attr('x', 4)
          .attr('y', 12)
          .attr('font-size', 10)
          .attr('fill', COLORS.noise)
          .text('below the fp32 noise floor');
      }

      // 4. Histogram bars.
      const shown = model.bins.filter((b) => !model.yLog || b.density > 0);
      const bars = g
        .append('g')
        .selectAll('rect')
        .data(shown)
        .join('rect')
        .attr('x', (b) => x(b.x0))
        .attr('width', (b) => Math.max(0.5, x(b.x1) - x(b.x0) - 0.5))
        .attr('y', (b) => y(b.density))
        .attr('height', (b) => Math.max(0, yBase - y(b.density)))
        .attr('fill', (b) => (b.inTail ? '#4f86c6' : COLORS.histogram));
      // Keyboard: one tab stop (the first bar), ←/→ between bars, Home/End; a focused bar shows its tooltip.
      const barEls: SVGRectElement[] = bars
        .nodes()
        .filter((n): n is SVGRectElement => n instanceof SVGRectElement);
      bars
        .attr('data-bar', (_b, i) => i)
        .attr('tabindex', (_b, i) => (i === 0 ? 0 : -1))
        .attr('role', 'img')
        .attr('aria-label', (b) => esdBinTooltip(b, model).join(', '))
        .on('focus', (_ev, b) => (focusedRef.current = shown.indexOf(b)))
        .on('blur', (ev: FocusEvent) => {
          if (ev.relatedTarget !== null) focusedRef.current = null;
        })
        .on('keydown', (ev: KeyboardEvent, b) => {
          const here = shown.indexOf(b);
          const target = nextIndex(barEls.length, here, ev.key);
          if (target === null) return;
          ev.preventDefault();
          barEls[here]?.setAttribute('tabindex', '-1');
          barEls[target]?.setAttribute('tabindex', '0');
          barEls[target]?.focus();
        });
      hoverTooltip(bars, bodyRef, setTooltip, (b) => esdBinTooltip(b, model));
      // A redraw (resize, scale change) replaces the bars: the focused one keeps focus.
      if (focusedRef.current !== null && barEls[focusedRef.current]) {
        barEls[0]?.setAttribute('tabindex', '-1');
        barEls[focusedRef.current]!.setAttribute('tabindex', '0');
        barEls[focusedRef.current]!.focus();
      }

      // 5. The fitted power law over the tail, and the xmin marker.
      if (model.line && model.line.length > 1) {
        const pts = model.line.filter((p) => p.y > 0 || !model.yLog);
        // The y scale clamps (bars below the axis sit on it), which would draw the line's tail along the
        // x-axis out to λmax: the line takes an unclamped copy and is clipped to the plot area instead.
        const yLine = y.copy().clamp(false);
        g.append('clipPath').attr('id', clipId).append('rect').attr('width', iw).attr('height', ih);
        g.append('path')
          .datum(pts)
          .attr('fill', 'none')
          .attr('stroke', COLORS.powerLaw)
          .attr('stroke-width', 2)
          .attr('clip-path', `url(#${clipId})`)
          .attr('data-testid', 'esd-fit-line')
          .attr(
            'd',
            d3
              .line<{ x: number; y: number }>()
              .x((p) => x(p.x))
              .y((p) => yLine(p.y)),
          );
      }
      if (model.xmin !== null && model.xmin >= x0 && model.xmin <= x1) {
        g.append('line')
          .attr('x1', x(model.xmin))
          .attr('x2', x(model.xmin))
          .attr('y1', 0)
          .attr('y2', ih)
          .attr('stroke', COLORS.xmin)
          .attr('stroke-width', 1.5)
          .attr('stroke-dasharray', '6 3');
        const right = x(model.xmin) < iw - 90;
        g.append('text')
          .attr('x', x(model.xmin) + (right ? 4 : -4))
          .attr('y', 26)
          .attr('text-anchor', right ? 'start' : 'end')
          .attr('font-size', 11)
          .attr('fill', COLORS.xmin)
          .text(`xmin = ${model.xmin.toPrecision(4)}`);
      }

      // 6. Legend.
      // Narrow screens: the legend starts at the svg's edge rather than the plot's, so it is never cut.
      const legend = legendRow(svg, width < 480 ? 8 : M.left, 14);
      legendBox(legend, 0, COLORS.histogram, 'ESD');
      legendBox(legend, 52, '#4f86c6', 'tail (λ ≥ xmin)');
      if (model.line) {
        legendLine(
          legend,
          170,
          { color: COLORS.powerLaw, width: 2 },
          `power law, α = ${model.alpha.toFixed(3)}`,
        );
      }
    },
    [model, width, bodyRef, setTooltip, clipId],
  );
  useChartDrawing(frame, HEIGHT, M, draw);

  return (
    <ChartFrame
      id="esd-chart"
      title={`ESD of ${model.name}`}
      exportName={`esd-${model.name.replace(/[^\w.-]+/g, '_')}`}
      frame={frame}
      svg={{
        label: `Eigenvalue histogram of ${model.name}, α ${model.alpha.toFixed(3)}`,
        height: HEIGHT,
        // Not 'img': its bars are focusable, and an image's children are presentational.
        role: 'group',
      }}
      controls={controls}
      footer={
        model.note || extra ? (
          <>
            {extra}
            {model.note && <p className="note">{model.note}</p>}
          </>
        ) : undefined
      }
    />
  );
}

/**
 * α per layer: the layer mean as a line, each matrix as a dot coloured by role, the WeightWatcher bands
 * (α < 2 over-trained, α > 6 under-trained) shaded, a legend that also names the bands, hover tooltips,
 * click to select.
 */
import * as d3 from 'd3';
import { useCallback, useMemo, useRef, type ReactNode } from 'react';
import { nextPoint } from './alpha-keys';
import type { AlphaChartModel } from './alpha-data';
import { ChartFrame, useChartFrame } from './ChartFrame';
import { axisTitles, hoverTooltip, type PlotArea } from './plot-frame';
import { useChartDrawing } from './use-chart-drawing';
import { COLORS, roleColor } from './theme';

interface AlphaChartProps {
  model: AlphaChartModel;
  estimatorLabel: string;
  selected: string | null;
  onSelect(name: string): void;
  /** Tooltip lines for a matrix (name first). */
  describe(name: string): string[];
  controls?: ReactNode;
}

const HEIGHT = 340;
const M = { top: 16, right: 150, bottom: 44, left: 56 };

export function AlphaChart(props: AlphaChartProps): ReactNode {
  const { model, estimatorLabel, selected, onSelect, describe, controls } = props;
  const frame = useChartFrame();
  const { bodyRef, width, setTooltip } = frame;
  // The point that has keyboard focus, kept across redraws (a redraw replaces every circle).
  const focusedRef = useRef<string | null>(null);
  const narrow = width < 560;
  // Narrow: the legend moves below the plot, in rows of three.
  // Rows of three for the roles, the mean and weak fits, then one row for the two bands.
  const legendRows = Math.ceil((model.roles.length + 2) / 3) + 1;
  const margin = useMemo(
    () => (narrow ? { ...M, right: 16, bottom: 44 + 18 * legendRows } : M),
    [narrow, legendRows],
  );
  const height = narrow ? HEIGHT + margin.bottom - M.bottom : HEIGHT;

  const draw = useCallback(
    ({ svg, g, iw, ih }: PlotArea): void => {
      const x = d3
        .scaleLinear()
        .domain([-0.5, Math.max(0, model.layers.length - 1) + 0.5])
        .range([0, iw]);
      const y = d3.scaleLinear().domain(model.yDomain).range([ih, 0]).nice();
      g.append('rect').attr('width', iw).attr('height', ih).attr('fill', COLORS.background);

      // 1. Bands and their meaning (WeightWatcher: α < 2 over-trained, α > 6 under-trained).
      const [y0, y1] = y.domain() as [number, number];
      const overTop = y(Math.min(Math.max(model.bands.over, y0), y1));
      g.append('rect')
        .attr('x', 0)
        .attr('y', overTop)
        .attr('width', iw)
        .attr('height', ih - overTop)
        .attr('fill', COLORS.overBand);
      const underY = y(Math.min(Math.max(model.bands.under, y0), y1));
      g.append('rect')
        .attr('x', 0)
        .attr('y', 0)
        .attr('width', iw)
        .attr('height', underY)
        .attr('fill', COLORS.underBand);
      // The band lines; their meaning is in the legend, not written over the plot, where it covered points.
      const bandLine = (v: number, color: string): void => {
        if (v < y0 || v > y1) return;
        g.append('line')
          .attr('x1', 0)
          .attr('x2', iw)
          .attr('y1', y(v))
          .attr('y2', y(v))
          .attr('stroke', color)
          .attr('stroke-dasharray', '5 4');
      };
      bandLine(model.bands.under, COLORS.underLine);
      bandLine(model.bands.over, COLORS.overLine);

      // 2. Axes with labels.
      const tickEvery = Math.max(1, Math.ceil(model.layers.length / Math.max(2, Math.floor(iw / 40))));
      g.append('g')
        .attr('transform', `translate(0,${ih})`)
        .call(
          d3
            .axisBottom(x)
            .tickValues(model.layers.filter((l) => l % tickEvery === 0))
            .tickFormat(d3.format('d')),
        )
        .attr('font-size', 11);
      g.append('g').call(d3.axisLeft(y).ticks(6)).attr('font-size', 11);
      g.append('g')
        .attr('stroke', COLORS.grid)
        .selectAll('line')
        .data(y.ticks(6))
        .join('line')
        .attr('x1', 0)
        .attr('x2', iw)
        .attr('y1', (d) => y(d))
        .attr('y2', (d) => y(d))
        .attr('stroke-opacity', 0.7);
      axisTitles({ g, iw, ih }, { text: 'Layer', below: 34 }, { text: `α (${estimatorLabel})`, left: 42 });

      // 3. Layer mean as a line with markers.
      const clampY = (v: number): number => y(Math.min(Math.max(v, y0), y1));
      g.append('path')
        .datum(model.means)
        .attr('fill', 'none')
        .attr('stroke', COLORS.mean)
        .attr('stroke-width', 2)
        .attr(
          'd',
          d3
            .line<{ layer: number; alpha: number }>()
            .x((d) => x(d.layer))
            .y((d) => clampY(d.alpha)),
        );
      const meanMarks = g
        .append('g')
        .selectAll('rect')
        .data(model.means)
        .join('rect')
        .attr('x', (d) => x(d.layer) - 4)
        .attr('y', (d) => clampY(d.alpha) - 4)
        .attr('width', 8)
        .attr('height', 8)
        .attr('fill', COLORS.mean);
      hoverTooltip(meanMarks, bodyRef, setTooltip, (d) => [
        `Layer ${d.layer}`,
        `mean α = ${d.alpha.toFixed(4)}`,
      ]);

      // 4. One dot per matrix, coloured by role; the selected one ringed.
      const slot = x(1) - x(0);
      const dots = g
        .append('g')
        .selectAll('circle')
        .data(model.points)
        .join('circle')
        .attr('cx', (d) => x(d.layer) + d.offset * Math.min(slot, 60))
        .attr('cy', (d) => clampY(d.alpha))
        .attr('r', (d) => (d.name === selected ? 6 : 4))
        // A weak fit (fit-quality.ts) is drawn hollow: its α rests on little.
        .attr('fill', (d) => (d.weak ? COLORS.background : roleColor(d.role, model.roles)))
        .attr('stroke', (d) =>
          d.name === selected ? COLORS.text : d.weak ? roleColor(d.role, model.roles) : '#ffffff',
        )
        .attr('stroke-width', (d) => (d.name === selected ? 2 : d.weak ? 2 : 0.8))
        .attr('data-matrix', (d) => d.name)
        .attr('data-weak', (d) => (d.weak ? 'true' : null))
        // Keyboard: one tab stop (the selected point, else the first), arrows between layers (←/→) and
        // between the matrices of a layer (↑/↓), Enter or Space selects for the ESD.
        .attr('tabindex', (d, i) => ((selected !== null ? d.name === selected : i === 0) ? 0 : -1))
        .attr('role', 'button')
        .attr(
          'aria-label',
          (d) =>
            `${d.name}: layer ${d.layer}, ${d.role}, α ${d.alpha.toFixed(3)}${d.weak ? ', weak fit' : ''}`,
        )
        .attr('aria-pressed', (d) => (d.name === selected ? 'true' : 'false'))
        .style('cursor', 'pointer')
        .on('click', (_ev, d) => onSelect(d.name))
        .on('focus', (_ev, d) => (focusedRef.current = d.name))
        .on('blur', (ev: FocusEvent) => {
          // Focus moved elsewhere (not this redraw's removal of the circle, which has no related target).
          if (ev.relatedTarget !== null) focusedRef.current = null;
        })
        .on('keydown', (ev: KeyboardEvent, d) => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            onSelect(d.name);
            return;
          }
          const target = nextPoint(model.points, d.name, ev.key);
          if (target === null) return;
          ev.preventDefault();
          focusedRef.current = target;
          svg
            .node()
            ?.querySelector<SVGElement>(`circle[data-matrix="${CSS.escape(target)}"]`)
            ?.focus();
        });
      if (focusedRef.current !== null) {
        svg
          .node()
          ?.querySelector<SVGElement>(`circle[data-matrix="${CSS.escape(focusedRef.current)}"]`)
          ?.focus();
      }
      hoverTooltip(dots, bodyRef, setTooltip, (d) => describe(d.name));

      // 5. Legend: roles and the mean (right side, or below the plot on narrow screens).
      const items = [
        ...model.roles.map((r) => ({
          label: r,
          color: roleColor(r, model.roles),
          mean: false,
          hollow: false,
          band: null,
        })),
        { label: 'layer mean', color: COLORS.mean, mean: true, hollow: false, band: null },
        ...(model.points.some((p) => p.weak)
          ? [{ label: 'weak fit (hollow)', color: COLORS.muted, mean: false, hollow: true, band: null }]
          : []),
        // WeightWatcher's bands, shaded on the plot.
        {
          label: `α>${model.bands.under} under-trained`,
          color: COLORS.underLine,
          mean: false,
          hollow: false,
          band: COLORS.underBand,
        },
        {
          label: `α<${model.bands.over} over-trained`,
          color: COLORS.overLine,
          mean: false,
          hollow: false,
          band: COLORS.overBand,
        },
      ];
      const legend = narrow
        ? g.append('g').attr('transform', `translate(0,${ih + 50})`)
        : g.append('g').attr('transform', `translate(${iw + 16},4)`);
      const colW = narrow ? Math.floor(iw / 3) : 0;
      // Narrow: the two band entries (longer labels) share a last row of two columns.
      const bandsFrom = items.length - 2;
      items.forEach((it, i) => {
        const band = narrow && i >= bandsFrom;
        const lx = narrow ? (band ? (i - bandsFrom) * Math.floor(iw / 2) : (i % 3) * colW) : 0;
        const ly = narrow ? (band ? Math.ceil(bandsFrom / 3) : Math.floor(i / 3)) * 18 : i * 18;
        const row = legend.append('g').attr('transform', `translate(${lx},${ly})`);
        // A filled square centred on the row's origin.
        const square = (half: number, fill: string): d3.Selection<SVGRectElement, unknown, null, undefined> =>
          row
            .append('rect')
            .attr('x', -half)
            .attr('y', -half)
            .attr('width', 2 * half)
            .attr('height', 2 * half)
            .attr('fill', fill);
        if (it.band !== null) square(5, it.band).attr('stroke', it.color).attr('stroke-dasharray', '3 2');
        else if (it.mean) square(4, it.color);
        else if (it.hollow)
          row
            .append('circle')
            .attr('r', 4)
            .attr('fill', COLORS.background)
            .attr('stroke', it.color)
            .attr('stroke-width', 2);
        else row.append('circle').attr('r', 4.5).attr('fill', it.color);
        row
          .append('text')
          .attr('x', 10)
          .attr('y', 4)
          .attr('font-size', 11)
          .attr('fill', COLORS.text)
          .text(it.label);
      });
    },
    [bodyRef, setTooltip, model, narrow, selected, estimatorLabel, onSelect, describe],
  );
  useChartDrawing(frame, height, margin, draw);

  const summary = `α per layer for ${model.layers.length} layers, ${model.points.length} matrices.`;
  return (
    <ChartFrame
      id="alpha-chart"
      title="α per layer"
      exportName="alpha-per-layer"
      frame={frame}
      svg={{ label: summary, height, role: 'group' }}
      controls={controls}
      footer={
        model.failed.length > 0 ? (
          <p className="note">Fit failed (not plotted): {model.failed.join(', ')}</p>
        ) : undefined
      }
    />
  );
}

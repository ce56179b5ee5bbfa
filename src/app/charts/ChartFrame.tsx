/**
 * A titled figure around one d3 chart: measures its width (charts redraw on resize), holds the <svg> the
 * chart draws into, offers the SVG and PNG exports, and hosts the hover tooltip.
 */
import { messageOf } from '../../core/errors';
import { useLayoutEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { exportPng, exportSvg } from './svg-export';

/**
 * The element's width, measured before the first paint and on every resize. Charts draw in layout effects
 * for the same reason: the svg's new width and the marks placed for it reach the screen (and any observer)
 * together, never a frame of labels laid out for the old width.
 */
export function useElementWidth(ref: RefObject<HTMLElement | null>, fallback = 640): number {
  const [width, setWidth] = useState(fallback);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = (): void => setWidth(Math.max(280, Math.floor(el.clientWidth)));
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return width;
}

/**
 * A title with line-break opportunities after the dots and slashes of tensor names, so that at
 * 390 px "model.layers.2.self_attn.q_proj.weight" wraps between its parts rather than mid-word (the CSS
 * `overflow-wrap: anywhere` stays the last resort). <wbr> adds no text: the accessible name is unchanged.
 */
function withNameBreaks(title: string): ReactNode[] {
  return title.split(/(?<=[./])/).flatMap((part, i) => (i === 0 ? [part] : [<wbr key={i} />, part]));
}

export interface TooltipState {
  x: number;
  y: number;
  lines: string[];
}

/** What every chart component holds: the svg and body elements, the measured width, the tooltip. */
export interface ChartFrameState {
  svgRef: RefObject<SVGSVGElement | null>;
  bodyRef: RefObject<HTMLDivElement | null>;
  width: number;
  tooltip: TooltipState | null;
  setTooltip: (tooltip: TooltipState | null) => void;
}

export function useChartFrame(): ChartFrameState {
  const svgRef = useRef<SVGSVGElement | null>(null);
  const bodyRef = useRef<HTMLDivElement | null>(null);
  const width = useElementWidth(bodyRef);
  const [tooltip, setTooltip] = useState<TooltipState | null>(null);
  return { svgRef, bodyRef, width, tooltip, setTooltip };
}

interface ChartFrameProps {
  id: string;
  title: string;
  /** File name stem for the exports. */
  exportName: string;
  frame: ChartFrameState;
  /** The chart's <svg>: its accessible description, pixel size and any data-* attributes tests read. */
  svg: {
    label: string;
    height: number;
    data?: Record<`data-${string}`, string>;
    /** 'group' when the chart holds focusable marks (an img's children are hidden from assistive tech). */
    role?: 'img' | 'group';
  };
  controls?: ReactNode;
  footer?: ReactNode;
}

export function ChartFrame(props: ChartFrameProps): ReactNode {
  const { id, title, exportName, frame, svg, controls, footer } = props;
  const { svgRef, bodyRef, tooltip, width } = frame;
  const [exportError, setExportError] = useState<string | null>(null);
  const onSvg = (): void => {
    if (svgRef.current) exportSvg(svgRef.current, exportName);
  };
  const onPng = (): void => {
    if (!svgRef.current) return;
    exportPng(svgRef.current, exportName).then(
      () => setExportError(null),
      (e: unknown) => setExportError(messageOf(e)),
    );
  };
  return (
    <figure id={id} className="chart" aria-labelledby={`${id}-title`}>
      <div className="chart-head">
        <figcaption id={`${id}-title`} className="chart-title">
          {withNameBreaks(title)}
        </figcaption>
        <div className="chart-controls">
          {controls}
          <button type="button" className="small" onClick={onSvg} aria-label={`Export ${title} as SVG`}>
            SVG
          </button>
          <button type="button" className="small" onClick={onPng} aria-label={`Export ${title} as PNG`}>
            PNG
          </button>
        </div>
      </div>
      <div className="chart-body" ref={bodyRef}>
        <svg
          ref={svgRef}
          role={svg.role ?? 'img'}
          aria-label={svg.label}
          {...svg.data}
          viewBox={`0 0 ${width} ${svg.height}`}
          width={width}
          height={svg.height}
        />
        {tooltip && (
          <div className="tooltip" style={{ left: tooltip.x, top: tooltip.y }} role="tooltip">
            {tooltip.lines.map((l, i) => (
              <div key={i} className={i === 0 ? 'tooltip-head' : undefined}>
                {l}
              </div>
            ))}
          </div>
        )}
      </div>
      {exportError && <p className="inline-error">{exportError}</p>}
      {footer}
    </figure>
  );
}

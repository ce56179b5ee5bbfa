/**
 * How every d3 chart draws: into its frame's <svg>, from scratch on a fresh plot area of the measured
 * width, in a layout effect (so the svg's new width and the marks placed for it reach the screen together:
 * see useElementWidth). The chart gives `draw` memoised on what it reads (useCallback), so it redraws
 * exactly when that, the width or the size changes.
 */
import { useLayoutEffect } from 'react';
import type { ChartFrameState } from './ChartFrame';
import { plotArea, type PlotArea } from './plot-frame';
import type { Margins } from './theme';

export function useChartDrawing(
  frame: ChartFrameState,
  height: number,
  margins: Margins,
  draw: (area: PlotArea) => void,
): void {
  const { svgRef, width } = frame;
  useLayoutEffect(() => {
    const svgEl = svgRef.current;
    if (!svgEl) return;
    draw(plotArea(svgEl, width, height, margins));
  }, [svgRef, width, height, margins, draw]);
}

/**
 * The "Diagnostics" section of the selected matrix: WeightWatcher's MP fit drawn on the ESD (in
 * its mean-1 units), the randomised ESD overlaid when computed, the detX cut, the fingers finger clipping
 * removed, the numbers, and WeightWatcher's warnings in words. Everything comes from `matrix.diagnostics`
 * (src/core/diagnostics), the same fields the CSV and JSON write.
 */
import { useMemo, type ReactNode, type SVGProps } from 'react';
import { diagnosticWarnings } from '../../core/diagnostics/matrix-diagnostics';
import type { MatrixResult } from '../../core/result';
import type { EstimatorName } from '../../core/spectral/types';
import { diagnosticsChartModel, type DiagBin, type DiagnosticsChartModel } from '../charts/diagnostics-data';
import { COLORS } from '../charts/theme';
import { formatNumber } from '../util/format';

const W = 640;
const H = 260;
const PAD = { top: 12, right: 12, bottom: 40, left: 56 };
const RANDOM_COLOR = '#E69F00';
const MP_COLOR = '#c81e1e';
const DETX_COLOR = '#009E73';
const FINGER_COLOR = '#CC79A7';

export function DiagnosticsPanel({
  matrix,
  estimator,
}: {
  matrix: MatrixResult;
  estimator: EstimatorName;
}): ReactNode {
  const d = matrix.diagnostics;
  const model = useMemo(
    () => (d === undefined ? null : diagnosticsChartModel(matrix.eigenvalues, matrix.shape, d)),
    [matrix, d],
  );
  if (d === undefined) return null;
  const warnings = diagnosticWarnings(d);
  const r = d.randomized;
  const farms = matrix.farms;
  const n = (v: number | undefined | null, digits = 4): string => (v == null ? '—' : formatNumber(v, digits));
  return (
    <section className="diagnostics" aria-labelledby="diagnostics-title" data-testid="diagnostics">
      <h2 id="diagnostics-title">Diagnostics: {matrix.name}</h2>
      {model !== null ? (
        <DiagnosticsChart model={model} />
      ) : (
        <p className="note">No Marchenko–Pastur fit for this spectrum ({d.mp.failed}).</p>
      )}
      <dl className="diagnostics-numbers">
        <dt>MP fit</dt>
        <dd>
          {d.mp.failed === null
            ? `${d.mp.numSpikes} spike${d.mp.numSpikes === 1 ? '' : 's'} above the bulk; σ_MP ${n(d.mp.sigmaMp)}, bulk [${n(d.mp.bulkMin)}, ${n(d.mp.bulkMax)}], MP soft rank ${n(d.mp.mpSoftrank)}, W scale ${n(d.mp.wScale)}`
            : `failed: ${d.mp.failed}`}
        </dd>
        <dt>detX</dt>
        <dd>{d.detX === null ? '—' : `${d.detX.num} eigenvalues from λ = ${n(d.detX.val)}`}</dd>
        <dt>Finger clipping (clip_xmax)</dt>
        <dd data-testid="fingers">
          {d.clipXmax.failed !== null
            ? `failed: ${d.clipXmax.failed}`
            : d.clipXmax.numFingers > 0
              ? `${d.clipXmax.numFingers} finger${d.clipXmax.numFingers === 1 ? '' : 's'} removed (${d.clipXmax.numFingers + 1} top eigenvalues): α ${n(d.clipXmax.rawAlpha, 5)} → ${n(d.clipXmax.alpha, 5)}, σ(α) ${n(d.clipXmax.sigma)}`
              : `no fingers: α ${n(d.clipXmax.alpha, 5)}, σ(α) ${n(d.clipXmax.sigma)}`}
        </dd>
        <dt>Randomised ESD</dt>
        <dd data-testid="randomized">
          {r === undefined
            ? 'not computed (switch "randomised ESD" on under Diagnostics before the analysis)'
            : `${r.numTraps} correlation trap${r.numTraps === 1 ? '' : 's'}; distance from the shuffle ${n(r.randDistance)}, λmax shuffled ${n(r.maxRandEval)}, WW soft rank ${n(r.wwSoftrank)}, WW max distance ${n(r.wwMaxdist)}`}
        </dd>
        {farms !== undefined && (
          <>
            <dt>FARMS</dt>
            <dd data-testid="farms">
              α {n(matrix.fits[estimator].alpha, 5)} from {farms.numWindows}{' '}
              {farms.numWindows === 1 ? 'window' : 'windows'} of {farms.windows[0]}×{farms.windows[1]} (
              {farms.numEvals} eigenvalues); whole-matrix α {n(farms.plainFits[estimator].alpha, 5)}
            </dd>
          </>
        )}
      </dl>
      {warnings.length > 0 && (
        <ul className="warnings" aria-label="WeightWatcher warnings">
          {warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

function DiagnosticsChart({ model }: { model: DiagnosticsChartModel }): ReactNode {
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const sx = (x: number): number => (x / model.xDomain[1]) * iw;
  const sy = (y: number): number => ih - (y / model.yDomain[1]) * ih;
  const bars = (bins: DiagBin[], color: string, opacity: number, label: string): ReactNode => (
    // The svg (role img) carries the accessible name; a series is named for tests and tools only.
    <g data-series={label}>
      {bins.map((b, i) =>
        b.density > 0 ? (
          <rect
            key={i}
            x={sx(b.x0)}
            y={sy(b.density)}
            width={Math.max(0, sx(b.x1) - sx(b.x0) - 0.5)}
            height={ih - sy(b.density)}
            fill={color}
            fillOpacity={opacity}
          />
        ) : null,
      )}
    </g>
  );
  // A vertical line at x (the bulk edge, detX) when it lies on the plotted range.
  const cut = (x: number | null, style: SVGProps<SVGLineElement> & { 'data-testid'?: string }): ReactNode =>
    x !== null && x <= model.xDomain[1] && <line x1={sx(x)} x2={sx(x)} y1={0} y2={ih} {...style} />;
  const ticks = Array.from({ length: 6 }, (_, k) => (k / 5) * model.xDomain[1]);
  const curve = model.curve?.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
  const unit =
    model.unit === 'eigenvalue' ? 'λ · W_scale² (mean-1 units)' : '√(λ · W_scale²) (quarter circle)';
  return (
    <figure className="diagnostics-chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        role="img"
        aria-label="ESD with the Marchenko–Pastur fit, the randomised ESD, detX and fingers"
        data-testid="diagnostics-chart"
      >
        <g transform={`translate(${PAD.left},${PAD.top})`}>
          {bars(model.bins, COLORS.histogram, 0.9, 'ESD')}
          {model.randomBins && bars(model.randomBins, RANDOM_COLOR, 0.45, 'randomised ESD')}
          {curve && (
            <polyline points={curve} fill="none" stroke={MP_COLOR} strokeWidth={2} data-testid="mp-curve" />
          )}
          {cut(model.bulkMax, { stroke: MP_COLOR, strokeDasharray: '4 3' })}
          {cut(model.detX, { stroke: DETX_COLOR, strokeWidth: 2, 'data-testid': 'detx-marker' })}
          {model.fingers.map((x, i) => (
            <path
              key={i}
              d={`M${sx(x)},${ih - 2} l-5,-10 l10,0 z`}
              fill={FINGER_COLOR}
              data-testid="finger"
            />
          ))}
          <line x1={0} x2={iw} y1={ih} y2={ih} stroke={COLORS.axis} />
          {ticks.map((t) => (
            <text key={t} x={sx(t)} y={ih + 14} fontSize={11} textAnchor="middle" fill={COLORS.axis}>
              {formatNumber(t, 3)}
            </text>
          ))}
          <text x={iw / 2} y={ih + 32} fontSize={11} textAnchor="middle" fill={COLORS.text}>
            {unit}
          </text>
          <text
            transform={`translate(-40,${ih / 2}) rotate(-90)`}
            fontSize={11}
            textAnchor="middle"
            fill={COLORS.text}
          >
            density
          </text>
        </g>
      </svg>
      <figcaption className="legend">
        <span style={{ color: COLORS.histogram }}>■</span> ESD{' '}
        {model.randomBins && (
          <>
            <span style={{ color: RANDOM_COLOR }}>■</span> randomised ESD{' '}
          </>
        )}
        <span style={{ color: MP_COLOR }}>━</span> {model.unit === 'eigenvalue' ? 'MP' : 'quarter-circle'}{' '}
        fit, bulk edge dashed <span style={{ color: DETX_COLOR }}>┃</span> detX{' '}
        {model.fingers.length > 0 && (
          <>
            <span style={{ color: FINGER_COLOR }}>▼</span> fingers removed{' '}
          </>
        )}
        {model.beyond.length > 0 &&
          `· beyond the axis: ${model.beyond.map((x) => formatNumber(x, 4)).join(', ')}`}
      </figcaption>
    </figure>
  );
}

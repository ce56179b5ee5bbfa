/**
 * "Estimator agreement": the layer α of every estimator (clip-xmax included) on one chart, the
 * allocation each gives at the current T, β and mode, and Spearman's ρ between them
 * (core/allocation/estimator-agreement.ts). The chart is plain SVG drawn by React from d3 scales (no
 * effect needed: it redraws with its props).
 */
import * as d3 from 'd3';
import { useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { nextPoint, type KeyPoint } from '../charts/alpha-keys';
import type { AllocationSettings } from '../../core/allocation/outcome';
import { estimatorAgreement } from '../../core/allocation/estimator-agreement';
import type { AnalysisResult } from '../../core/result';
import type { EstimatorName } from '../../core/spectral/types';
import { useElementWidth } from '../charts/ChartFrame';
import { formatNumber } from '../util/format';

/** Okabe-Ito colours and distinct dash patterns, so the lines differ without colour too. */
const STYLE: Record<EstimatorName, { color: string; dash: string; label: string }> = {
  alphalora: { color: '#0072B2', dash: '', label: 'alphalora (AlphaLoRA code, default)' },
  weightwatcher: { color: '#D55E00', dash: '6 3', label: 'weightwatcher (WW default)' },
  'hill-mid': { color: '#009E73', dash: '2 3', label: 'hill-mid (TempBalance median)' },
  'clip-xmax': { color: '#CC79A7', dash: '8 3 2 3', label: 'clip-xmax (WW clip_xmax: fingers removed)' },
};

const HEIGHT = 260;
const M = { top: 12, right: 16, bottom: 40, left: 48 };

interface Props {
  result: Pick<AnalysisResult, 'matrices' | 'errors' | 'model'>;
  roles: string[];
  settings: AllocationSettings;
}

export function EstimatorAgreementView({ result, roles, settings }: Props): ReactNode {
  const agreement = useMemo(() => estimatorAgreement(result, roles, settings), [result, roles, settings]);
  const bodyRef = useRef<HTMLDivElement>(null);
  const width = useElementWidth(bodyRef);
  const iw = Math.max(100, width - M.left - M.right);
  const ih = HEIGHT - M.top - M.bottom;
  const all = agreement.columns.flatMap((c) => c.alphas.filter((a) => Number.isFinite(a)));
  const x = d3
    .scaleLinear()
    .domain([-0.5, Math.max(0, agreement.layers.length - 1) + 0.5])
    .range([0, iw]);
  const y = d3
    .scaleLinear()
    .domain([Math.min(1, d3.min(all) ?? 1), Math.max(4, d3.max(all) ?? 4)])
    .range([ih, 0])
    .nice();
  const every = Math.max(1, Math.ceil(agreement.layers.length / Math.max(2, Math.floor(iw / 36))));
  // Keyboard, as in the α chart: one tab stop, ←/→ to the same estimator in the next layer, ↑/↓ to the
  // next higher or lower α of that layer, Home/End; a focused point shows its tooltip.
  const keyPoints: KeyPoint[] = agreement.columns.flatMap((c) =>
    c.alphas.flatMap((a, l) =>
      Number.isFinite(a) ? [{ name: `${c.estimator}:${l}`, layer: l, role: c.estimator, alpha: a }] : [],
    ),
  );
  const [stop, setStop] = useState<string | null>(null);
  const tabStop = keyPoints.some((p) => p.name === stop) ? stop : (keyPoints[0]?.name ?? null);
  const [tip, setTip] = useState<{ x: number; y: number; text: string } | null>(null);
  const onKey = (ev: KeyboardEvent<SVGCircleElement>, name: string): void => {
    const target = nextPoint(keyPoints, name, ev.key);
    if (target === null) return;
    ev.preventDefault();
    setStop(target);
    bodyRef.current?.querySelector<SVGElement>(`circle[data-point="${CSS.escape(target)}"]`)?.focus();
  };
  const pointText = (estimator: string, layer: number, a: number): string =>
    `${estimator}, layer ${layer}: α = ${formatNumber(a, 4)}`;
  const rho = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : 'undefined (one side is constant)');
  return (
    <section className="agreement" aria-labelledby="agreement-title">
      <h2 id="agreement-title">Estimator agreement</h2>
      <p className="note">
        The released AlphaLoRA code (<code>expert_number.py</code>) fits α with WeightWatcher&apos;s{' '}
        <code>xmin_peak</code> method — the <strong>alphalora</strong> estimator here — so it is the default:
        only with it does faithful mode reproduce the paper&apos;s allocations. The others are for comparison
        (clip-xmax is the weightwatcher fit without its outlying top eigenvalues, WeightWatcher&apos;s finger
        clipping): if they rank the layers differently, the allocation depends on how the tail is chosen.
      </p>
      <div className="chart-body" ref={bodyRef}>
        <svg
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          // Not 'img': its points are focusable, and an image's children are presentational.
          role="group"
          aria-label={`Layer α of the ${agreement.columns.length} estimators over ${agreement.layers.length} layers`}
          data-testid="agreement-chart"
        >
          <g transform={`translate(${M.left},${M.top})`}>
            {y.ticks(5).map((t) => (
              <g key={t} transform={`translate(0,${y(t)})`}>
                <line x2={iw} stroke="#e4e7eb" />
                <text x={-6} dy="0.32em" textAnchor="end" fontSize={11} fill="currentColor">
                  {t}
                </text>
              </g>
            ))}
            {agreement.layers
              .filter((l) => l % every === 0)
              .map((l) => (
                <text key={l} x={x(l)} y={ih + 16} textAnchor="middle" fontSize={11} fill="currentColor">
                  {l}
                </text>
              ))}
            <text x={iw / 2} y={ih + 34} textAnchor="middle" fontSize={12} fill="currentColor">
              Layer
            </text>
            <text
              transform={`translate(-36,${ih / 2}) rotate(-90)`}
              textAnchor="middle"
              fontSize={12}
              fill="currentColor"
            >
              layer α
            </text>
            {agreement.columns.map((c) => {
              const s = STYLE[c.estimator];
              const pts = c.alphas.flatMap((a, l) =>
                Number.isFinite(a) ? [[x(l), y(a)] as [number, number]] : [],
              );
              return (
                <g key={c.estimator} data-estimator={c.estimator}>
                  <path
                    d={d3.line()(pts) ?? ''}
                    fill="none"
                    stroke={s.color}
                    strokeWidth={2}
                    strokeDasharray={s.dash || undefined}
                  />
                  {c.alphas.map((a, l) =>
                    Number.isFinite(a) ? (
                      <circle
                        key={l}
                        cx={x(l)}
                        cy={y(a)}
                        r={3.5}
                        fill={s.color}
                        data-point={`${c.estimator}:${l}`}
                        tabIndex={tabStop === `${c.estimator}:${l}` ? 0 : -1}
                        role="img"
                        aria-label={pointText(c.estimator, l, a)}
                        onFocus={() => {
                          setStop(`${c.estimator}:${l}`);
                          setTip({
                            x: M.left + x(l) + 8,
                            y: M.top + y(a) + 8,
                            text: pointText(c.estimator, l, a),
                          });
                        }}
                        onBlur={() => setTip(null)}
                        onKeyDown={(ev) => onKey(ev, `${c.estimator}:${l}`)}
                      >
                        <title>{pointText(c.estimator, l, a)}</title>
                      </circle>
                    ) : null,
                  )}
                </g>
              );
            })}
          </g>
        </svg>
        {tip && (
          <div className="tooltip" style={{ left: tip.x, top: tip.y }} role="tooltip">
            {tip.text}
          </div>
        )}
      </div>
      <ul className="agreement-legend" aria-label="Estimators">
        {agreement.columns.map((c) => (
          <li key={c.estimator}>
            <svg width={28} height={10} aria-hidden="true">
              <line
                x1={0}
                x2={28}
                y1={5}
                y2={5}
                stroke={STYLE[c.estimator].color}
                strokeWidth={2}
                strokeDasharray={STYLE[c.estimator].dash || undefined}
              />
            </svg>{' '}
            {STYLE[c.estimator].label}
          </li>
        ))}
      </ul>
      <div className="table-scroll" tabIndex={0} aria-label="Experts by estimator, scrollable">
        <table aria-label={`Experts per layer by estimator at T = ${settings.budget}, β = ${settings.beta}`}>
          <thead>
            <tr>
              <th scope="col" title="the estimator whose layer α are allocated over">
                Estimator
              </th>
              <th
                scope="col"
                title={`experts per layer, layer 0 first, at T = ${settings.budget}, β = ${settings.beta}, ${settings.mode} mode`}
              >
                Experts (T = {settings.budget}, β = {settings.beta.toFixed(1)}, {settings.mode})
              </th>
            </tr>
          </thead>
          <tbody>
            {agreement.columns.map((c) => (
              <tr key={c.estimator} data-estimator={c.estimator}>
                <th scope="row">{c.estimator}</th>
                <td>
                  {c.experts ? c.experts.map((n) => (Number.isFinite(n) ? n : '—')).join(', ') : c.error}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="table-scroll" tabIndex={0} aria-label="Rank correlation, scrollable">
        <table aria-label="Rank correlation between estimators">
          <thead>
            <tr>
              <th scope="col" title="the two estimators compared">
                Pair
              </th>
              <th
                scope="col"
                className="num"
                title="Spearman rank correlation of the layer α: 1 = same order of layers"
              >
                ρ (layer α)
              </th>
              <th
                scope="col"
                className="num"
                title="Spearman rank correlation of the experts per layer (ties share their mean rank)"
              >
                ρ (experts)
              </th>
            </tr>
          </thead>
          <tbody>
            {agreement.pairs.map((p) => (
              <tr key={`${p.a}-${p.b}`} data-pair={`${p.a}/${p.b}`}>
                <th scope="row">
                  {p.a} vs {p.b}
                </th>
                <td className="num">{rho(p.alphaRho)}</td>
                <td className="num">{rho(p.expertsRho)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

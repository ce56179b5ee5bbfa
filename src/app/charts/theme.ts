/**
 * Chart colours and sizes. Colours are written as SVG attributes (not CSS classes) so that an exported
 * SVG/PNG looks exactly like the page.
 */

/** Role order used in legends and for the horizontal offset of dots inside a layer. */
export const ROLE_ORDER = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

// Okabe-Ito based palette: distinguishable with the common colour-vision deficiencies.
const ROLE_COLORS: Record<string, string> = {
  q_proj: '#0072B2',
  k_proj: '#56B4E9',
  v_proj: '#009E73',
  o_proj: '#2a9d8f',
  gate_proj: '#E69F00',
  up_proj: '#D55E00',
  down_proj: '#CC79A7',
};
const EXTRA_COLORS = ['#7f7f7f', '#8c564b', '#bcbd22', '#17becf', '#9467bd', '#393b79'];

export function roleColor(role: string, allRoles: readonly string[]): string {
  const known = ROLE_COLORS[role];
  if (known) return known;
  const extras = allRoles.filter((r) => !(r in ROLE_COLORS));
  const i = Math.max(0, extras.indexOf(role));
  return EXTRA_COLORS[i % EXTRA_COLORS.length] ?? '#7f7f7f';
}

/** Known roles first in the paper's order, then the others alphabetically. */
export function sortRoles(roles: Iterable<string>): string[] {
  const set = Array.from(new Set(roles));
  const rank = (r: string): number => {
    const i = ROLE_ORDER.indexOf(r);
    return i < 0 ? ROLE_ORDER.length : i;
  };
  return set.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export const COLORS = {
  text: '#1f2933',
  muted: '#52606d',
  grid: '#e4e7eb',
  axis: '#52606d',
  mean: '#1f2933',
  overBand: '#fde8e8',
  underBand: '#fff4de',
  overLine: '#c81e1e',
  underLine: '#b45309',
  bar: '#3b6fb6',
  barNegative: '#c81e1e',
  baseline: '#111827',
  histogram: '#7aa6d8',
  powerLaw: '#c81e1e',
  xmin: '#b45309',
  noise: '#6b7280',
  background: '#ffffff',
};

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export interface Margins {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/**
 * Arrow-key moves between the α chart's points (pure, unit-tested): ←/→ to the same role in the previous
 * or next layer that has it (else that layer's nearest point), ↑/↓ to the next higher or lower α within the
 * layer, Home/End to the first and last point.
 */
export interface KeyPoint {
  name: string;
  layer: number;
  role: string;
  alpha: number;
}

export function nextPoint(points: readonly KeyPoint[], current: string, key: string): string | null {
  const here = points.find((p) => p.name === current);
  if (!here || points.length === 0) return null;
  const layers = [...new Set(points.map((p) => p.layer))].sort((a, b) => a - b);
  const inLayer = (layer: number): KeyPoint[] =>
    points.filter((p) => p.layer === layer).sort((a, b) => a.alpha - b.alpha || a.name.localeCompare(b.name));
  switch (key) {
    case 'ArrowRight':
    case 'ArrowLeft': {
      const li = layers.indexOf(here.layer) + (key === 'ArrowRight' ? 1 : -1);
      if (li < 0 || li >= layers.length) return null;
      const candidates = inLayer(layers[li]!);
      const same = candidates.find((p) => p.role === here.role);
      if (same) return same.name;
      // No such role there: the point of nearest α.
      return candidates.reduce((best, p) =>
        Math.abs(p.alpha - here.alpha) < Math.abs(best.alpha - here.alpha) ? p : best,
      ).name;
    }
    case 'ArrowUp':
    case 'ArrowDown': {
      const list = inLayer(here.layer);
      const i = list.findIndex((p) => p.name === here.name) + (key === 'ArrowUp' ? 1 : -1);
      return i >= 0 && i < list.length ? list[i]!.name : null;
    }
    case 'Home':
      return inLayer(layers[0]!)[0]!.name;
    case 'End': {
      const last = inLayer(layers[layers.length - 1]!);
      return last[last.length - 1]!.name;
    }
    default:
      return null;
  }
}

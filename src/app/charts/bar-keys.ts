/**
 * Arrow-key moves along a row of marks (the ESD's histogram bars; pure, unit-tested): ←/→ to the previous
 * or next, Home/End to the first and last. Null when the key is not a move or would leave the row.
 */
export function nextIndex(count: number, current: number, key: string): number | null {
  if (count <= 0 || current < 0 || current >= count) return null;
  switch (key) {
    case 'ArrowRight':
      return current + 1 < count ? current + 1 : null;
    case 'ArrowLeft':
      return current > 0 ? current - 1 : null;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

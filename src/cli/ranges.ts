import { itemAt } from '../core/item-at';

/** [0,1,2,5,7,8] -> "0-2, 5, 7-8" (for messages about layers). */
export function compactRanges(sorted: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === itemAt(sorted, j, 'sorted layer numbers') + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

/**
 * One sentence on which engine computed the spectra, from the matrices themselves rather than the
 * backend the run selected: with WebGPU, small matrices still run on the float64 CPU path, and a lost
 * device moves the rest there.
 */
import { backendCounts, type MatrixResult } from '../../core/result';

export function backendSummary(matrices: readonly MatrixResult[]): string | null {
  if (matrices.length === 0) return null;
  const counts = backendCounts(matrices);
  const parts: string[] = [];
  const plural = (n: number): string => `${n} ${n === 1 ? 'matrix' : 'matrices'}`;
  if (counts.webgpu) parts.push(`${plural(counts.webgpu)} on WebGPU (fp32)`);
  if (counts.cpu) parts.push(`${plural(counts.cpu)} on the CPU (float64)`);
  return `Spectra computed: ${parts.join(', ')}.`;
}

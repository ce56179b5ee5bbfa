/**
 * One sentence on which engine computed the spectra, from the matrices themselves rather than the
 * backend the run selected: with WebGPU, small matrices still run on the float64 CPU path, and a lost
 * device moves the rest there.
 */
import { backendCounts, type MatrixResult } from '../../core/result';
import { matrixCount } from './format';

export function backendSummary(matrices: readonly MatrixResult[]): string | null {
  if (matrices.length === 0) return null;
  const counts = backendCounts(matrices);
  const parts: string[] = [];
  if (counts.webgpu) parts.push(`${matrixCount(counts.webgpu)} on WebGPU (fp32)`);
  if (counts.cpu) parts.push(`${matrixCount(counts.cpu)} on the CPU (float64)`);
  return `Spectra computed: ${parts.join(', ')}.`;
}

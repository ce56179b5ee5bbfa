/**
 * One sentence on which engine computed the spectra, from the matrices themselves rather than the
 * backend the run selected: with WebGPU, small matrices still run on the float64 CPU path, and a lost
 * device moves the rest there.
 */
import { backendCounts, type MatrixResult } from '../../core/result';
import { matrixCount } from './format';

/** How many matrices one engine computed, and where ("on the CPU", as the caller names the engines). */
export interface EnginePart {
  count: number;
  where: string;
}

/** The engines that computed any of `matrices`, WebGPU first, each named by `where`. */
export function engineParts(
  matrices: readonly MatrixResult[],
  where: Record<MatrixResult['backend'], string>,
): EnginePart[] {
  const counts = backendCounts(matrices);
  const parts: EnginePart[] = [];
  if (counts.webgpu) parts.push({ count: counts.webgpu, where: where.webgpu });
  if (counts.cpu) parts.push({ count: counts.cpu, where: where.cpu });
  return parts;
}

export function backendSummary(matrices: readonly MatrixResult[]): string | null {
  if (matrices.length === 0) return null;
  const parts = engineParts(matrices, { webgpu: 'on WebGPU (fp32)', cpu: 'on the CPU (float64)' });
  return `Spectra computed: ${parts.map((p) => `${matrixCount(p.count)} ${p.where}`).join(', ')}.`;
}

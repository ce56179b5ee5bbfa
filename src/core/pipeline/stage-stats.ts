/**
 * Stage accounting for benchmarks: per analysed matrix, how long each pipeline stage took (read, Gram,
 * reduction, tridiagonal eigenvalues, fit) and how much it read and computed; summed into totals, shares,
 * read throughput and GFLOP/s, and extrapolated to a whole plan when a run stopped early. Pure data: the
 * normal analysis path never builds these, `npm run bench -- --model` does (from `onRead` and the
 * `MatrixResult.timings` that every backend already reports).
 */
import { spectrumFlops, stageFlops } from './plan';

/**
 * The pipeline's stages, in order. `read` is File.slice + decode, the others come from the backend: the
 * Gram path's gram, reduction, tridiagonal; the SVD path's bidiagonal, singular; gramRejected is a Gram
 * try the GPU discarded before its SVD (spectrum-gpu.ts).
 */
export const STAGES = [
  'read',
  'gram',
  'reduction',
  'tridiagonal',
  'gramRejected',
  'bidiagonal',
  'singular',
  'fit',
] as const;
export type StageName = (typeof STAGES)[number];

/** One analysed matrix. Stage times are milliseconds; a stage a backend does not report is absent. */
export interface MatrixStageRecord {
  name: string;
  rows: number;
  cols: number;
  /** Bytes read from the file for this matrix. */
  bytes: number;
  /**
   * Spectra of rows×cols computed for it: a pooled convolution's kh·kw kernel matrices (their stage times
   * are summed in `stages`), as the plan counts its flops. 1 when absent.
   */
  matrices?: number;
  stages: Partial<Record<StageName, number>>;
}

export interface StageTotal {
  stage: StageName;
  /** Sum over matrices, ms. Stages of different matrices overlap in a pipelined run. */
  ms: number;
  /** ms / the sum of all stages' ms (so the shares add up to 1). */
  share: number;
  /** Stage flops / stage time, GFLOP/s; null for read and fit (no flop count) or a zero time. */
  gflops: number | null;
}

export interface StageSummary {
  matrices: number;
  bytes: number;
  /** Σ spectrumFlops of the matrices. */
  flops: number;
  /** Wall-clock time of the run, ms (given by the caller: stages overlap, so it is not their sum). */
  wallMs: number;
  stages: StageTotal[];
  /** bytes / Σ read ms: how fast one read goes (reads can overlap, so this can understate the disk). */
  readBytesPerSecond: number | null;
  /** bytes / wall time: the whole run's read rate. */
  bytesPerSecond: number | null;
  /** flops / wall time, GFLOP/s. */
  gflops: number | null;
  matricesPerSecond: number | null;
}

function perSecond(amount: number, ms: number): number | null {
  return ms > 0 ? (amount * 1000) / ms : null;
}

/** Collects matrix records and sums them. */
export class StageStats {
  private readonly records: MatrixStageRecord[] = [];

  add(record: MatrixStageRecord): void {
    for (const [stage, ms] of Object.entries(record.stages)) {
      if (!Number.isFinite(ms) || ms < 0) {
        throw new RangeError(`${record.name}: stage ${stage} has time ${ms} ms (must be finite and ≥ 0)`);
      }
    }
    this.records.push({ ...record, stages: { ...record.stages } });
  }

  get count(): number {
    return this.records.length;
  }

  list(): readonly MatrixStageRecord[] {
    return this.records;
  }

  summary(wallMs: number): StageSummary {
    let bytes = 0;
    let flops = 0;
    const ms = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<StageName, number>;
    const stageWork = { gram: 0, reduction: 0, tridiagonal: 0, bidiagonal: 0, singular: 0 };
    const counted = (stage: StageName): stage is keyof typeof stageWork => stage in stageWork;
    for (const r of this.records) {
      bytes += r.bytes;
      const count = r.matrices ?? 1;
      flops += count * spectrumFlops(r.rows, r.cols);
      const f = stageFlops(r.rows, r.cols);
      for (const stage of STAGES) {
        const t = r.stages[stage];
        if (t === undefined) continue;
        ms[stage] += t;
        if (counted(stage)) stageWork[stage] += count * f[stage];
      }
    }
    const all = STAGES.reduce((a, s) => a + ms[s], 0);
    const stages = STAGES.map((stage): StageTotal => {
      const work = counted(stage) ? stageWork[stage] : null;
      const rate = work === null ? null : perSecond(work, ms[stage]);
      return {
        stage,
        ms: ms[stage],
        share: all > 0 ? ms[stage] / all : 0,
        gflops: rate === null ? null : rate / 1e9,
      };
    });
    const gflops = perSecond(flops, wallMs);
    return {
      matrices: this.records.length,
      bytes,
      flops,
      wallMs,
      stages,
      readBytesPerSecond: perSecond(bytes, ms.read),
      bytesPerSecond: perSecond(bytes, wallMs),
      gflops: gflops === null ? null : gflops / 1e9,
      matricesPerSecond: perSecond(this.records.length, wallMs),
    };
  }
}

export interface Extrapolation {
  /** Projected wall time of the whole plan, ms: the measured time scaled by the flops still to do. */
  wallMs: number;
  /** The fraction of the plan's flops that was measured. */
  measuredFraction: number;
}

/**
 * The whole plan's time from a partial run, assuming the measured rate (flops per ms of wall time) holds
 * for the rest. Flops rather than matrix counts because a partial run may have done only the small
 * matrices of a block. Null when nothing was measured.
 */
export function extrapolateWallTime(
  measured: Pick<StageSummary, 'flops' | 'wallMs'>,
  totalFlops: number,
): Extrapolation | null {
  if (measured.flops <= 0 || measured.wallMs <= 0 || totalFlops <= 0) return null;
  return {
    wallMs: (measured.wallMs * totalFlops) / measured.flops,
    measuredFraction: measured.flops / totalFlops,
  };
}

/**
 * Accounting of the GPU buffers our kernels allocate: live bytes now and the peak since the last reset.
 * WebGPU has no query for a device's memory use, so every buffer the backend creates goes through
 * `createTrackedBuffer` / `destroyTrackedBuffer` (device.ts) and is counted here. Pure bookkeeping (two
 * additions per buffer), keyed by the buffer object so that a second destroy is not counted twice.
 */
export interface GpuMemorySnapshot {
  /** Bytes of buffers created and not yet destroyed. */
  liveBytes: number;
  /** The most `liveBytes` has been since the counter was made or `resetPeak` was called. */
  peakBytes: number;
  /** Buffers live now. */
  liveBuffers: number;
  /** Buffers created so far (a measure of reuse: it stays flat when buffers are reused). */
  allocations: number;
}

export class GpuMemoryCounter {
  private readonly live = new Map<object, number>();
  private liveBytes = 0;
  private peakBytes = 0;
  private allocations = 0;

  allocate(buffer: object, bytes: number): void {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`GPU buffer of ${bytes} bytes`);
    if (this.live.has(buffer)) return;
    this.live.set(buffer, bytes);
    this.liveBytes += bytes;
    this.allocations++;
    if (this.liveBytes > this.peakBytes) this.peakBytes = this.liveBytes;
  }

  release(buffer: object): void {
    const bytes = this.live.get(buffer);
    if (bytes === undefined) return;
    this.live.delete(buffer);
    this.liveBytes -= bytes;
  }

  /** Starts a new peak window at the current live bytes (e.g. per benchmark run). */
  resetPeak(): void {
    this.peakBytes = this.liveBytes;
  }

  snapshot(): GpuMemorySnapshot {
    return {
      liveBytes: this.liveBytes,
      peakBytes: this.peakBytes,
      liveBuffers: this.live.size,
      allocations: this.allocations,
    };
  }
}

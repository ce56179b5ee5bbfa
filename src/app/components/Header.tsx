/** Page header: the product name and which backend analyses (the adapter, or why the CPU is used). */
import type { ReactNode } from 'react';
import type { BackendInfo } from '../../../workers/contract';

export function backendLine(backend: BackendInfo | null): string {
  if (backend === null) return 'Checking for WebGPU…';
  if (backend.name === 'webgpu') {
    const adapter = `${backend.adapter}${backend.software ? ' (software: correct but slow)' : ''}`;
    // A new device after the first was lost (workers/backend-select.ts).
    if (backend.deviceLost) {
      return `WebGPU device lost — resumed on a new device: ${adapter}`;
    }
    return `WebGPU adapter: ${adapter}`;
  }
  if (backend.deviceLost) return 'WebGPU device lost — analysing on the CPU';
  if (backend.softwareAdapter) {
    return `WebGPU adapter: ${backend.softwareAdapter} (software) — analysing on the CPU, which is faster here`;
  }
  return 'WebGPU is unavailable — analysing on the CPU';
}

export function Header({ backend }: { backend: BackendInfo | null }): ReactNode {
  return (
    <header className="app-header">
      <div>
        <h1>AlphaLoRA Studio</h1>
        <p className="tagline">
          Eigenvalue spectra, power-law α per layer and the AlphaLoRA expert allocation — computed in this
          browser; nothing is uploaded.
        </p>
      </div>
      <p className={`backend-line ${backend?.name ?? 'pending'}`} title={backend?.reason ?? undefined}>
        {backendLine(backend)}
        {backend?.reason && <span className="reason"> ({backend.reason})</span>}
      </p>
    </header>
  );
}

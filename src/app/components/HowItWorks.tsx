/**
 * What happens to a dropped model: shown open before anything is opened, and afterwards as a closed
 * disclosure ("How it works") so that it stays reachable without taking the page.
 */
import type { ReactNode } from 'react';

export function HowItWorks({ collapsed = false }: { collapsed?: boolean }): ReactNode {
  const steps = (
    <ol>
      <li>
        <strong>Read</strong>: the headers are parsed at once; each weight matrix is then read on its own with{' '}
        <code>File.slice</code> in a worker. Nothing leaves this computer.
      </li>
      <li>
        <strong>Spectrum</strong>: every eigenvalue of WᵀW on the GPU (WebGPU), or in float64 on the CPU.
      </li>
      <li>
        <strong>Fit</strong>: the power-law exponent α of each spectrum&apos;s tail (alphalora, WeightWatcher
        or Hill estimators); layer α is the mean over the block&apos;s matrices.
      </li>
      <li>
        <strong>Allocate</strong>: AlphaLoRA gives layers with a larger α (less well trained) more LoRA
        experts; export the allocation as JSON or as MoLA&apos;s command-line flags.
      </li>
    </ol>
  );
  if (collapsed) {
    return (
      <details className="how how-collapsed">
        <summary>How it works</summary>
        {steps}
      </details>
    );
  }
  return (
    <section className="how" aria-labelledby="how-title">
      <h2 id="how-title">How it works</h2>
      {steps}
    </section>
  );
}

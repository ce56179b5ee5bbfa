/** What happens to a dropped model, shown before anything is opened. */
import type { ReactNode } from 'react';

export function HowItWorks(): ReactNode {
  return (
    <section className="how" aria-labelledby="how-title">
      <h2 id="how-title">How it works</h2>
      <ol>
        <li>
          <strong>Read</strong>: the headers are parsed at once; each weight matrix is then read on its own
          with <code>File.slice</code> in a worker. Nothing leaves this computer.
        </li>
        <li>
          <strong>Spectrum</strong>: every eigenvalue of WᵀW on the GPU (WebGPU), or in float64 on the CPU.
        </li>
        <li>
          <strong>Fit</strong>: the power-law exponent α of each spectrum&apos;s tail (alphalora,
          WeightWatcher or Hill estimators); layer α is the mean over the block&apos;s matrices.
        </li>
        <li>
          <strong>Allocate</strong>: AlphaLoRA gives layers with a larger α (less well trained) more LoRA
          experts; export the allocation as JSON or as MoLA&apos;s command-line flags.
        </li>
      </ol>
    </section>
  );
}

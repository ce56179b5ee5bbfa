/**
 * Beside the allocation: the layers whose α averages a weak fit (core/layer-quality.ts), each weak matrix
 * named with its flags, and a button that drops its role from the layer average (one click; the role
 * checkbox above brings it back).
 */
import type { ReactNode } from 'react';
import type { WeakLayer } from '../../core/layer-quality';
import { describeFlag, WEAK_FIT_FLAGS } from '../../core/spectral/fit-quality';
import { formatNumber } from '../util/format';

interface WeakFitNoticeProps {
  weak: readonly WeakLayer[];
  /** The roles averaged now: the last one cannot be dropped (a mean of nothing is no α). */
  roles: readonly string[];
  onDropRole(role: string): void;
  /** Imported α without per-matrix quality: that fit quality is unknown, in words (else null). */
  unknown?: string | null;
}

export function WeakFitNotice({ weak, roles, onDropRole, unknown }: WeakFitNoticeProps): ReactNode {
  // Imported α without quality: no list of weak layers would read as "every fit is good"; say so instead.
  const unknownNote = unknown ? (
    <p className="note" data-testid="quality-unknown">
      {unknown}
    </p>
  ) : null;
  if (weak.length === 0) return unknownNote;
  return (
    <div className="weak-fits" role="region" aria-label="Layers resting on weak fits">
      {unknownNote}
      <p>
        <strong>{weak.length === 1 ? '1 layer rests' : `${weak.length} layers rest`} on a weak fit.</strong>{' '}
        Its α, and so its experts, may move a lot with a small change of the tail.
      </p>
      <ul>
        {weak.flatMap((layer) =>
          layer.matrices.map((m) => (
            <li key={m.name} data-layer={layer.index}>
              Layer {layer.index}: {m.name} ({m.role}, α = {formatNumber(m.alpha, 3)}):{' '}
              {m.flags
                .filter((f) => WEAK_FIT_FLAGS.includes(f))
                .map(describeFlag)
                .join('; ')}
              .{' '}
              <button
                type="button"
                className="small"
                disabled={roles.length <= 1 || !roles.includes(m.role)}
                onClick={() => onDropRole(m.role)}
              >
                Drop {m.role} from the layer average
              </button>
            </li>
          )),
        )}
      </ul>
    </div>
  );
}

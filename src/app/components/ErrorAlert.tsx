/** Errors, each naming its file; the alert region is always present so screen readers announce additions. */
import type { ReactNode } from 'react';
import type { StudioErrorData } from '../../core/errors';

export function ErrorAlert({
  errors,
  onDismiss,
}: {
  errors: StudioErrorData[];
  onDismiss(): void;
}): ReactNode {
  return (
    <div role="alert" className={errors.length > 0 ? 'alert' : 'visually-hidden'}>
      {errors.length > 0 && (
        <>
          <ul>
            {errors.map((e, i) => (
              <li key={i} data-code={e.code}>
                {e.file && !e.message.includes(e.file) ? <strong>{e.file}: </strong> : null}
                {e.message}
              </li>
            ))}
          </ul>
          <button type="button" className="small" onClick={onDismiss}>
            Dismiss
          </button>
        </>
      )}
    </div>
  );
}

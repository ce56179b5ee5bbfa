/**
 * The banner of an incomplete result: which files were not (fully) analysed and why, and which layers have
 * no α. It has no dismiss button: it stays for as long as the result it describes is on the page.
 */
import type { ReactNode } from 'react';
import { layerRanges, type Completeness, type MissingFile } from '../../core/allocation/outcome';

export function IncompleteBanner({
  completeness,
  files,
}: {
  completeness: Completeness;
  /** The missing files with their reasons (completeness lists the names). */
  files: readonly MissingFile[];
}): ReactNode {
  const { layers } = completeness.missing;
  const names = completeness.missing.files;
  const why = (name: string): string =>
    [...new Set(files.filter((f) => f.name === name).map((f) => f.reason))].join('; ');
  return (
    <div
      className="incomplete-banner"
      role="region"
      aria-label="Incomplete result"
      data-testid="incomplete-banner"
    >
      <strong>This result does not cover the whole model.</strong>
      <ul>
        {names.length > 0 && (
          <li data-testid="missing-files">
            Not (fully) analysed:{' '}
            {names.map((name, i) => (
              <span key={name}>
                {i > 0 ? ', ' : ''}
                <code>{name}</code> ({why(name)})
              </span>
            ))}
            .
          </li>
        )}
        {layers.length > 0 && (
          <li data-testid="missing-layers">
            {layers.length === 1 ? 'Layer' : 'Layers'} {layerRanges(layers)}{' '}
            {layers.length === 1 ? 'has' : 'have'} no α.
          </li>
        )}
      </ul>
      <p>
        The allocation covers only the layers analysed; the exported JSON says so and the MoLA flags are
        withheld. Open every file of the model together to analyse all of it.
      </p>
    </div>
  );
}

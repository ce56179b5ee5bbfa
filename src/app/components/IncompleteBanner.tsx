/**
 * The banner of an incomplete result: which files were not analysed (and why) and which layers have no α.
 * It has no dismiss button: it stays for as long as the result it describes is on the page.
 */
import type { ReactNode } from 'react';
import { layerRanges, type Completeness } from '../../core/allocation/outcome';

export function IncompleteBanner({ completeness }: { completeness: Completeness }): ReactNode {
  const { files, layers } = completeness.missing;
  return (
    <div
      className="incomplete-banner"
      role="region"
      aria-label="Incomplete result"
      data-testid="incomplete-banner"
    >
      <strong>This result does not cover the whole model.</strong>
      <ul>
        {files.length > 0 && (
          <li data-testid="missing-files">
            Not analysed: {files.join(', ')}. Add {files.length === 1 ? 'this file' : 'these files'} to the
            others and open them again.
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
        withheld.
      </p>
    </div>
  );
}

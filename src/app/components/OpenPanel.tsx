/**
 * The ways in: model files, a folder, the bundled sample, or a file of precomputed α. (Dropping files or
 * folders anywhere on the page is handled by the App.)
 */
import type { ChangeEvent, ReactNode } from 'react';
import { FilesPicker } from './FilesPicker';

interface OpenPanelProps {
  busy: boolean;
  /** Once a model is open the panel shrinks to one row, leaving the screen to the results. */
  compact: boolean;
  onFiles(files: File[]): void;
  onSample(): void;
  onImportAlpha(file: File): void;
}

export function OpenPanel({ busy, compact, onFiles, onSample, onImportAlpha }: OpenPanelProps): ReactNode {
  const takeAlpha = (e: ChangeEvent<HTMLInputElement>): void => {
    const file = e.currentTarget.files?.[0];
    e.currentTarget.value = '';
    if (file) onImportAlpha(file);
  };
  return (
    <section className={compact ? 'open-panel compact' : 'open-panel'} aria-labelledby="open-title">
      <h2 id="open-title">Open a model</h2>
      <p className="hint">
        Drop model files or a folder anywhere on this page (safetensors, sharded safetensors, GGUF, ONNX,
        PyTorch .bin, llama2.c), or:
      </p>
      <div className="open-actions">
        <FilesPicker label="Open model files" className="button primary" onFiles={onFiles} />
        <FilesPicker label="Open folder" folder className="button" onFiles={onFiles} />
        <button type="button" onClick={onSample} disabled={busy}>
          Try the sample model
        </button>
        <label className="button">
          Import α
          <input
            type="file"
            accept=".json,.csv,.txt,application/json,text/csv"
            className="visually-hidden"
            aria-label="Import α"
            onChange={takeAlpha}
          />
        </label>
      </div>
      <p className="hint small">
        Sample: stories260K (llama2.c, MIT), 5 LLaMA layers, 1 MB. Import α takes a JSON array of layer α, a
        JSON of per-matrix α, an exported allocation, or a CSV.
      </p>
    </section>
  );
}

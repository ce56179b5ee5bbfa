/**
 * A "choose files" or "choose folder" button of a drop area (opening a model, comparing with one): a label
 * styled as a button around a hidden file input. What is chosen goes to `onFiles`, and the input is cleared
 * so that the same files can be chosen again (e.g. to recompute).
 */
import type { ChangeEvent, ReactNode } from 'react';
import { filesFromInput } from '../open/collect-files';

// React's types do not know `webkitdirectory`; this spreads it onto the input without `any`.
const folderAttrs = { webkitdirectory: '', directory: '' } as Record<string, string>;

interface FilesPickerProps {
  /** The button's text. */
  label: string;
  /** The input's accessible name (what assistive tech and the e2e tests find it by); default `label`. */
  ariaLabel?: string;
  /** Choose a folder (every file below it) rather than files. */
  folder?: boolean;
  className: string;
  disabled?: boolean;
  onFiles(files: File[]): void;
}

export function FilesPicker({
  label,
  ariaLabel,
  folder,
  className,
  disabled,
  onFiles,
}: FilesPickerProps): ReactNode {
  const take = (e: ChangeEvent<HTMLInputElement>): void => {
    const files = filesFromInput(e.currentTarget.files);
    e.currentTarget.value = '';
    if (files.length > 0) onFiles(files);
  };
  return (
    <label className={className}>
      {label}
      <input
        type="file"
        multiple
        className="visually-hidden"
        aria-label={ariaLabel ?? label}
        disabled={disabled}
        onChange={take}
        {...(folder === true ? folderAttrs : {})}
      />
    </label>
  );
}

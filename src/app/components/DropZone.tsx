/**
 * The whole page as a drop target for model files or folders, with the overlay shown while dragging. Apart
 * from App because the drag state concerns only the drop, never the analysis; a drop becomes `onFiles`, or
 * `onError` when it held no files or could not be read.
 */
import { useState, type DragEvent, type ReactNode } from 'react';
import { toErrorData } from '../../core/errors';
import { filesFromDataTransfer } from '../open/collect-files';

interface DropZoneProps {
  onFiles(files: File[]): void;
  onError(message: string): void;
  children: ReactNode;
}

export function DropZone({ onFiles, onError, children }: DropZoneProps): ReactNode {
  const [dragging, setDragging] = useState(false);

  const onDragOver = (e: DragEvent<HTMLDivElement>): void => {
    if (!Array.from(e.dataTransfer.types).includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  };
  const onDrop = (e: DragEvent<HTMLDivElement>): void => {
    e.preventDefault();
    setDragging(false);
    filesFromDataTransfer(e.dataTransfer).then(
      (files) => (files.length > 0 ? onFiles(files) : onError('The drop held no files.')),
      (err: unknown) => onError(toErrorData(err).message),
    );
  };

  return (
    <div
      className={`app${dragging ? ' dragging' : ''}`}
      onDragOver={onDragOver}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      {children}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          Drop model files or a folder to analyse them here — nothing is uploaded.
        </div>
      )}
    </div>
  );
}

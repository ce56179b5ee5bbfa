/**
 * "Import α": a picked file read and parsed into the layer α the session imports. Apart from App so that
 * the name an import goes by (the model named in this tool's own export, else the file's base name) is
 * decided, and tested, in one place.
 */
import { parseAlphaFile } from '../../core/allocation/import-alpha';
import type { ImportedAlphas } from '../state/session';

/** Rejects with the file's read error or the parser's BAD_INPUT StudioError naming the file. */
export async function readAlphaFile(file: File): Promise<ImportedAlphas> {
  const parsed = parseAlphaFile(await file.text(), file.name);
  return {
    ...parsed,
    fileName: file.name,
    modelName: parsed.origin?.model.name ?? file.name.replace(/\.[^.]+$/, ''),
  };
}

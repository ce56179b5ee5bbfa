/**
 * A small safetensors File built in the page for the worker-service tests: `layers` decoder blocks with
 * the given roles, each a rows×cols F32 matrix of heavy-tailed pseudo-random values (a fixed LCG, so two
 * calls give the same bytes).
 */
import { safetensors } from '../fixtures-gen/broken';

export interface ModelFileSpec {
  roles: readonly string[];
  layers: number;
  rows: number;
  cols: number;
  name?: string;
}

export function safetensorsFile({
  roles,
  layers,
  rows,
  cols,
  name = 'model.safetensors',
}: ModelFileSpec): File {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (let l = 0; l < layers; l++) {
    for (const r of roles) {
      header[`model.layers.${l}.${r}.weight`] = {
        dtype: 'F32',
        shape: [rows, cols],
        data_offsets: [offset, offset + rows * cols * 4],
      };
      offset += rows * cols * 4;
    }
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' '; // data 8-byte aligned, as writers do
  const data = new Float32Array(offset / 4);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const u = (s + 0.5) / 2 ** 32;
    data[i] = (u - 0.5) / Math.sqrt(0.05 + u * (1 - u)); // a heavier tail than uniform
  }
  const bytes = safetensors(header, new Uint8Array(data.buffer), json);
  // The copy is typed as ArrayBuffer-backed, which BlobPart requires.
  return new File([new Uint8Array(bytes)], name, { lastModified: 1 });
}

/**
 * A small safetensors File built in the page for the worker-service tests: `layers` decoder blocks with
 * the given roles, each a rows×cols F32 matrix of heavy-tailed pseudo-random values (a fixed LCG, so two
 * calls give the same bytes).
 */
import { f32Safetensors } from '../fixtures-gen/broken';

export interface ModelFileSpec {
  roles: readonly string[];
  layers: number;
  rows: number;
  cols: number;
  name?: string;
  /** The LCG's start (another seed: other weights, same names and shapes). */
  seed?: number;
}

export function safetensorsFile({
  roles,
  layers,
  rows,
  cols,
  name = 'model.safetensors',
  seed = 12345,
}: ModelFileSpec): File {
  const data = new Float32Array(layers * roles.length * rows * cols);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const u = (s + 0.5) / 2 ** 32;
    data[i] = (u - 0.5) / Math.sqrt(0.05 + u * (1 - u)); // a heavier tail than uniform
  }
  const size = rows * cols;
  const tensors = Array.from({ length: layers }, (_, l) =>
    roles.map((r) => ({ name: `model.layers.${l}.${r}.weight`, shape: [rows, cols] })),
  ).flat();
  const bytes = f32Safetensors(
    tensors.map((t, i) => ({ ...t, data: data.subarray(i * size, (i + 1) * size) })),
  );
  // The copy is typed as ArrayBuffer-backed, which BlobPart requires.
  return new File([new Uint8Array(bytes)], name, { lastModified: 1 });
}

/**
 * Property test: random mutations of real fixtures (bit flips, overwritten header words, huge lengths,
 * truncation, inserted and deleted bytes) fed to every reader through openModel. Each must settle within a
 * time bound to a description or a StudioError (never a TypeError/RangeError or a hang), every read stays
 * inside the file, and no tensor claims more values than its stored bytes can hold (so decoding never
 * allocates out of proportion to the file). Seeded, bounded iterations: the run is reproducible.
 */
import { describe, expect, it } from 'vitest';
import { isStudioError } from '../../src/core/errors';
import { openModel } from '../../src/core/formats/open';
import { bytesSource, type ByteSource } from '../../src/core/source';
import { attentionOnnx, convSafetensors, gguf, llama2c, tinyPytorch } from '../fixtures-gen/broken';
import { fixtureBytes } from '../fixtures-gen/fixtures';
import { mulberry32 } from '../fixtures-gen/rng';

// FUZZ_ITERATIONS=400 for a longer local run (it passes at 400 too).
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 60);
const CASE_TIMEOUT_MS = 5_000;

/** One random mutation, biased towards the header (first 4 KB) where the parsing happens. */
function mutate(input: Uint8Array, rand: () => number): Uint8Array {
  const b = input.slice();
  const pos = (): number => Math.floor((rand() < 0.8 ? Math.min(b.length, 4096) : b.length) * rand());
  const kind = Math.floor(rand() * 7);
  const dv = new DataView(b.buffer);
  switch (kind) {
    case 0: // bit flips
      for (let i = 0, n = 1 + Math.floor(rand() * 8); i < n; i++) b[pos()]! ^= 1 << Math.floor(rand() * 8);
      return b;
    case 1: {
      // a header word becomes huge / negative / zero
      const p = Math.min(pos(), b.length - 8);
      if (p < 0) return b;
      const values = [0xffffffff, 0x7fffffff, 0, 1, 0x80000000, Math.floor(rand() * 2 ** 32)];
      dv.setUint32(p, values[Math.floor(rand() * values.length)]!, true);
      if (rand() < 0.5) dv.setUint32(p + 4, rand() < 0.5 ? 0xffffffff : 0, true);
      return b;
    }
    case 2: // truncation
      return b.subarray(0, Math.floor(b.length * rand()));
    case 3: {
      // deleted span
      const p = pos();
      return new Uint8Array([
        ...b.subarray(0, p),
        ...b.subarray(Math.min(b.length, p + 1 + Math.floor(rand() * 64))),
      ]);
    }
    case 4: {
      // inserted random bytes
      const p = pos();
      const ins = Uint8Array.from({ length: 1 + Math.floor(rand() * 16) }, () => Math.floor(rand() * 256));
      return new Uint8Array([...b.subarray(0, p), ...ins, ...b.subarray(p)]);
    }
    case 5: // random bytes overwritten
      for (let i = 0, p = pos(), n = Math.floor(rand() * 32); i < n && p + i < b.length; i++)
        b[p + i] = Math.floor(rand() * 256);
      return b;
    default: {
      // a varint-ish 0xff run (protobuf / pickle lengths)
      const p = pos();
      for (let i = 0; i < 5 && p + i < b.length; i++) b[p + i] = 0xff;
      return b;
    }
  }
}

/** A source that records the reads, to check they stay in the file. */
function watched(name: string, bytes: Uint8Array): { source: ByteSource; maxEnd: () => number } {
  const inner = bytesSource(name, bytes);
  let maxEnd = 0;
  return {
    source: {
      name,
      size: inner.size,
      read(offset, length) {
        maxEnd = Math.max(maxEnd, offset + length);
        return inner.read(offset, length);
      },
    },
    maxEnd: () => maxEnd,
  };
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what} did not settle within ${CASE_TIMEOUT_MS} ms`)),
      CASE_TIMEOUT_MS,
    );
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

const FILES: [string, () => Uint8Array][] = [
  ['model.safetensors', () => fixtureBytes('models/stories260K/bf16/model.safetensors')],
  ['stories260K.Q4_0.gguf', () => fixtureBytes('models/stories260K/gguf/stories260K.Q4_0.gguf')],
  ['allquants.gguf', () => fixtureBytes('quant/stories260K.embd_as_256cols.allquants.gguf')],
  ['pytorch_model.bin', () => fixtureBytes('models/stories260K/pytorch/pytorch_model.bin')],
  ['stories260K.bin', () => fixtureBytes('models/stories260K/llama2c/stories260K.bin')],
  ['slices.inline.onnx', () => fixtureBytes('onnx/stories260K-slices/slices.inline.onnx')],
  ['tiny.gguf', () => gguf()],
  ['tiny/pytorch_model.bin', () => tinyPytorch()],
  ['tiny.bin', () => llama2c()],
  // The graph walk that places weights in blocks, and the convolution kernel-matrix split.
  ['attention.onnx', () => attentionOnnx()],
  ['conv.safetensors', () => convSafetensors()],
];

describe('fuzz: mutated fixtures never crash, hang or over-allocate', () => {
  it.each(FILES)('%s', async (name, make) => {
    const original = make();
    const rand = mulberry32(0x5eed ^ name.length ^ original.length);
    const outcomes = { opened: 0, fileErrors: 0, readErrors: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = mutate(original, rand);
      const { source, maxEnd } = watched(name, bytes);
      const label = `${name} mutation ${i}`;
      try {
        const model = await withTimeout(openModel([source]), label);
        if (model.errors.length) outcomes.fileErrors++;
        else outcomes.opened++;
        for (const e of model.errors) expect(e.file, label).toBe(name);
        for (const t of model.tensors) {
          expect(t.byteLength, label).toBeLessThanOrEqual(bytes.length);
          if (t.skipReason) continue;
          try {
            const values = await withTimeout(t.read(), `${label} ${t.name}`);
            expect(values.length).toBe(t.shape.reduce((a, b) => a * b, 1));
            // No stored format packs more than 8 values per byte: decoded output stays proportional to
            // the file, whatever the (mutated) header claims.
            expect(values.length, label).toBeLessThanOrEqual(8 * bytes.length + 8);
            if (t.kernelMatrices) {
              const mats = await withTimeout(t.kernelMatrices.readAll(), `${label} ${t.name} kernels`);
              expect(mats.reduce((n, m) => n + m.length, 0)).toBe(values.length);
            }
          } catch (err) {
            expect(isStudioError(err), `${label} ${t.name}: ${String(err)}`).toBe(true);
            outcomes.readErrors++;
          }
        }
      } catch (err) {
        // openModel throws only UNKNOWN_FORMAT, when nothing in the set looks like weights.
        expect(isStudioError(err) && (err as { code: string }).code, `${label}: ${String(err)}`).toBe(
          'UNKNOWN_FORMAT',
        );
      }
      expect(maxEnd(), label).toBeLessThanOrEqual(bytes.length);
    }
    // The mutations must exercise both the success and the failure paths.
    expect(outcomes.fileErrors, JSON.stringify(outcomes)).toBeGreaterThan(0);
  });
});

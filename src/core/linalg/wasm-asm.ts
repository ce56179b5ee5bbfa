/**
 * A minimal WebAssembly assembler: just what the SIMD kernels of wasm-kernels.ts need (i32 arithmetic,
 * f64 and v128 loads/stores, f64x2 arithmetic, block/loop/br_if), emitting the binary format directly so
 * that no toolchain or build step is involved. The engine's validator checks the result.
 */

export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function utf8Name(text: string): number[] {
  const bytes = Array.from(text, (ch) => ch.charCodeAt(0));
  return [...uleb(bytes.length), ...bytes];
}

export const I32 = 0x7f;
export const V128 = 0x7b;

/** Instruction encodings. Memory accesses carry align = 2³ (f64) and the given constant offset. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32Shl: [0x74],
  i32GeU: [0x4f],
  f64Load: (offset: number) => [0x2b, 3, ...uleb(offset)],
  f64Store: (offset: number) => [0x39, 3, ...uleb(offset)],
  f64Add: [0xa0],
  v128Load: [0xfd, ...uleb(0x00), 3, 0],
  v128Store: [0xfd, ...uleb(0x0b), 3, 0],
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
  f64x2Splat: [0xfd, ...uleb(0x14)],
  f64x2Lane: (lane: number) => [0xfd, ...uleb(0x21), lane],
  f64x2Add: [0xfd, ...uleb(0xf0)],
  f64x2Sub: [0xfd, ...uleb(0xf1)],
  f64x2Mul: [0xfd, ...uleb(0xf2)],
};

/** Collects instructions; arrays are spliced in, numbers pushed. */
export class Code {
  readonly bytes: number[] = [];
  emit(...parts: (number | readonly number[])[]): this {
    return this.emitAll(parts);
  }
  /** emit() with the parts as one array (no spread into a call). */
  emitAll(parts: readonly (number | readonly number[])[]): this {
    for (const part of parts) {
      if (typeof part === 'number') this.bytes.push(part);
      else for (const b of part) this.bytes.push(b);
    }
    return this;
  }
}

export interface FunctionDef {
  name: string;
  /** Number of i32 parameters (all kernels take i32 offsets and sizes, return nothing). */
  params: number;
  /** Extra locals as [count, type] runs, numbered after the parameters. */
  locals: [number, number][];
  code: Code;
}

/** A module importing `env.memory` and exporting each function under its name. */
export function assembleModule(functions: FunctionDef[]): Uint8Array {
  const types = functions.flatMap((f) => [
    0x60,
    ...uleb(f.params),
    ...new Array<number>(f.params).fill(I32),
    0,
  ]);
  const bodies = functions.flatMap((f) => {
    const locals = [...uleb(f.locals.length), ...f.locals.flatMap(([count, type]) => [...uleb(count), type])];
    const body = [...locals, ...f.code.bytes, ...op.end];
    return [...uleb(body.length), ...body];
  });
  const count = uleb(functions.length);
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [...count, ...types]),
    ...section(2, [1, ...utf8Name('env'), ...utf8Name('memory'), 0x02, 0x00, ...uleb(1)]),
    ...section(3, [...count, ...functions.flatMap((_, i) => uleb(i))]),
    ...section(7, [...count, ...functions.flatMap((f, i) => [...utf8Name(f.name), 0x00, ...uleb(i)])]),
    ...section(10, [...count, ...bodies]),
  ]);
}

/**
 * The hot loop of the Householder reduction (tridiagonal.ts, fusedUpdateAndProduct) as a tiny WebAssembly
 * SIMD kernel, assembled here byte by byte (no toolchain, ~400 bytes, compiled synchronously).
 *
 * Why: plain TypeScript is instruction-bound on this loop (no vectorisation, no FMA, a bounds check per
 * access); f64x2 halves the arithmetic and the loads. The TypeScript loop stays as the fallback where
 * WebAssembly SIMD is missing, and the tests run both.
 *
 * What the kernel does, for each block of four rows r..r+3 (r = s, s+4, ... < rEnd) and the even number of
 * columns c ∈ [s, s + 2⌊(r−s)/2⌋) two at a time:
 *   a[r,c] -= v[r]·w[c] + w[r]·v[c];  p[r] += a[r,c]·u[c];  p[c] += a[r,c]·u[r]
 * The caller does the leftover odd column, the 4×4 diagonal blocks and the last rows in TypeScript.
 * All addresses are byte offsets into the memory the caller provides (Float64Array.byteOffset of views).
 */

/** The slice of the WebAssembly API this module uses (core code compiles without DOM typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}

export type FusedKernel = (
  aOff: number,
  n: number,
  s: number,
  rEnd: number,
  vOff: number,
  wOff: number,
  uOff: number,
  pOff: number,
) => void;

export interface WasmWorkspace {
  /** Memory buffer the views live in (fixed size: the memory never grows after creation). */
  readonly buffer: ArrayBuffer;
  readonly fused: FusedKernel;
}

const PAGE = 65536;
/** wasm32 addresses are 32-bit; stay below 2 GiB so every i32 offset is non-negative. */
const MAX_BYTES = 2 ** 31 - PAGE;

// --- a minimal assembler --------------------------------------------------------------------------------

function uleb(value: number): number[] {
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

function sleb(value: number): number[] {
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

function name(text: string): number[] {
  const bytes = Array.from(text, (ch) => ch.charCodeAt(0));
  return [...uleb(bytes.length), ...bytes];
}

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
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

// Parameters (i32): byte offsets and sizes as in FusedKernel.
const A = 0;
const N = 1;
const S = 2;
const R_END = 3;
const V = 4;
const W = 5;
const U = 6;
const P = 7;
// i32 locals
const R = 8;
const CB = 9; // column byte offset c·8
const CB_END = 10;
const RA = [11, 12, 13, 14]; // byte address of a[r+i, 0]
const ROW_BYTES = 15;
const RB = 16; // r·8
// v128 locals
const SV = [17, 18, 19, 20]; // splat v[r+i]
const SW = [21, 22, 23, 24]; // splat w[r+i]
const SU = [25, 26, 27, 28]; // splat u[r+i]
const ACC = [29, 30, 31, 32]; // row dot accumulators
const VC = 33;
const WC = 34;
const UC = 35;
const PC = 36;
const X = 37;

function kernelBody(): number[] {
  const code: number[] = [];
  const emit = (...parts: (number | number[])[]): void => {
    for (const part of parts) {
      if (typeof part === 'number') code.push(part);
      else code.push(...part);
    }
  };
  const vecAt = (base: number, offsetCb: boolean): number[] => [
    ...op.get(base),
    ...(offsetCb ? [...op.get(CB), ...op.i32Add] : []),
  ];

  emit(op.get(N), op.i32(3), op.i32Shl, op.set(ROW_BYTES));
  emit(op.get(S), op.set(R));
  emit(op.block, op.loop);
  {
    // while (r < rEnd)
    emit(op.get(R), op.get(R_END), op.i32GeU, op.brIf(1));
    emit(op.get(R), op.i32(3), op.i32Shl, op.set(RB));
    emit(op.get(A), op.get(R), op.get(ROW_BYTES), op.i32Mul, op.i32Add, op.set(RA[0]!));
    for (let i = 1; i < 4; i++) emit(op.get(RA[i - 1]!), op.get(ROW_BYTES), op.i32Add, op.set(RA[i]!));
    for (let i = 0; i < 4; i++) {
      for (const [base, target] of [
        [V, SV[i]!],
        [W, SW[i]!],
        [U, SU[i]!],
      ] as const) {
        emit(op.get(base), op.get(RB), op.i32Add, op.f64Load(8 * i), op.f64x2Splat, op.set(target));
      }
      emit(op.v128Zero, op.set(ACC[i]!));
    }
    // cb = s·8; cbEnd = cb + ((r − s) & ~1)·8
    emit(op.get(S), op.i32(3), op.i32Shl, op.set(CB));
    emit(
      op.get(CB),
      op.get(R),
      op.get(S),
      op.i32Sub,
      op.i32(-2),
      op.i32And,
      op.i32(3),
      op.i32Shl,
      op.i32Add,
      op.set(CB_END),
    );
    emit(op.block, op.loop);
    {
      emit(op.get(CB), op.get(CB_END), op.i32GeU, op.brIf(1));
      emit(vecAt(V, true), op.v128Load, op.set(VC));
      emit(vecAt(W, true), op.v128Load, op.set(WC));
      emit(vecAt(U, true), op.v128Load, op.set(UC));
      emit(vecAt(P, true), op.v128Load, op.set(PC));
      for (let i = 0; i < 4; i++) {
        // x = a − sv·wc − sw·vc
        emit(vecAt(RA[i]!, true), op.v128Load);
        emit(op.get(SV[i]!), op.get(WC), op.f64x2Mul, op.f64x2Sub);
        emit(op.get(SW[i]!), op.get(VC), op.f64x2Mul, op.f64x2Sub, op.set(X));
        emit(vecAt(RA[i]!, true), op.get(X), op.v128Store);
        emit(op.get(ACC[i]!), op.get(X), op.get(UC), op.f64x2Mul, op.f64x2Add, op.set(ACC[i]!));
        emit(op.get(PC), op.get(X), op.get(SU[i]!), op.f64x2Mul, op.f64x2Add, op.set(PC));
      }
      emit(vecAt(P, true), op.get(PC), op.v128Store);
      emit(op.get(CB), op.i32(16), op.i32Add, op.set(CB));
      emit(op.br(0));
    }
    emit(op.end, op.end);
    // p[r+i] += acc_i.lane0 + acc_i.lane1
    for (let i = 0; i < 4; i++) {
      emit(op.get(P), op.get(RB), op.i32Add);
      emit(op.get(P), op.get(RB), op.i32Add, op.f64Load(8 * i));
      emit(op.get(ACC[i]!), op.f64x2Lane(0), op.get(ACC[i]!), op.f64x2Lane(1), op.f64Add, op.f64Add);
      emit(op.f64Store(8 * i));
    }
    emit(op.get(R), op.i32(4), op.i32Add, op.set(R));
    emit(op.br(0));
  }
  emit(op.end, op.end);
  emit(op.end); // function
  const locals = [2, ...uleb(9), I32, ...uleb(21), V128];
  return [...uleb(locals.length + code.length), ...locals, ...code];
}

function moduleBytes(): Uint8Array {
  const funcType = [0x60, 8, ...new Array<number>(8).fill(I32), 0];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, ...funcType]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('fused'), 0x00, 0]),
    ...section(10, [1, ...kernelBody()]),
  ];
  return new Uint8Array(bytes);
}

// --- instantiation ---------------------------------------------------------------------------------------

let compiled: object | null | undefined;

function wasmApi(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The compiled module, or null where WebAssembly or its SIMD extension is unavailable. Cached. */
function compiledModule(): object | null {
  if (compiled !== undefined) return compiled;
  const api = wasmApi();
  const bytes = moduleBytes();
  try {
    compiled = api !== undefined && api.validate(bytes) ? new api.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** True when the SIMD kernel can run here. */
export function wasmKernelAvailable(): boolean {
  return compiledModule() !== null;
}

/**
 * A fresh memory of at least `bytes` bytes with the kernel bound to it, or null when WebAssembly SIMD is
 * unavailable or the memory cannot be had (too large, out of memory). Dropped by the caller when done.
 */
export function createWasmWorkspace(bytes: number): WasmWorkspace | null {
  const module = compiledModule();
  const api = wasmApi();
  if (module === null || api === undefined || bytes > MAX_BYTES) return null;
  try {
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    const memory = new api.Memory({ initial: pages, maximum: pages });
    const instance = new api.Instance(module, { env: { memory } });
    return { buffer: memory.buffer, fused: instance.exports['fused'] as FusedKernel };
  } catch {
    return null;
  }
}

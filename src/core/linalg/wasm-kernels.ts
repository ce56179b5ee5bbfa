/**
 * The two hot loops of the CPU backend as tiny WebAssembly SIMD kernels, assembled here byte by byte
 * (wasm-asm.ts: no toolchain, well under 4 KiB, so it compiles synchronously even on a browser main thread).
 *
 * Why: plain TypeScript is instruction-bound on these loops (no vectorisation, no FMA, a bounds check per
 * access); f64x2 halves the arithmetic and the loads. The TypeScript loops stay as the fallback where
 * WebAssembly SIMD is missing, and the tests run both.
 *
 * `fused` (Householder reduction, tridiagonal.ts): for each block of four rows r..r+3 (r = s, s+4, ... <
 * rEnd) and the even number of columns c ∈ [s, s + 2⌊(r−s)/2⌋), two at a time:
 *   a[r,c] -= v[r]·w[c] + w[r]·v[c];  p[r] += a[r,c]·u[c];  p[c] += a[r,c]·u[r]
 * The caller does the leftover odd column, the 4×4 diagonal blocks and the last rows in TypeScript.
 *
 * `gram` (gram.ts): gp[i, j] += Σ_k panel[i, k]·panel[j, k] over 2×4 tiles touching the lower triangle,
 * k two at a time (kb even; the caller pads an odd panel width with a zero column).
 *
 * All addresses are byte offsets into the memory the caller provides (Float64Array.byteOffset of views).
 */
import { Code, I32, V128, assembleModule, op } from './wasm-asm';

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

export type GramKernel = (
  panelOff: number,
  np: number,
  kbBytes: number,
  gpOff: number,
  stride: number,
) => void;

export interface WasmWorkspace {
  /** Memory buffer the views live in (fixed size: the memory never grows after creation). */
  readonly buffer: ArrayBuffer;
  readonly fused: FusedKernel;
  readonly gram: GramKernel;
}

const PAGE = 65536;
/** wasm32 addresses are 32-bit; stay below 2 GiB so every i32 offset is non-negative. */
const MAX_BYTES = 2 ** 31 - PAGE;

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

function fusedKernel(): Code {
  const code = new Code();
  const emit = (...parts: (number | readonly number[])[]): void => void code.emitAll(parts);
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
  return code;
}

// gram parameters (i32)
const G_PANEL = 0;
const G_NP = 1;
const G_KB_BYTES = 2;
const G_GP = 3;
const G_STRIDE = 4;
// gram i32 locals
const G_I = 5;
const G_J = 6;
const G_A = [7, 8]; // rows i, i+1 of the panel
const G_B = [9, 10, 11, 12]; // rows j..j+3 of the panel
const G_K = 13; // k·8
const G_ROW_BYTES = 14;
const G_J_END = 15;
const G_G = [16, 17]; // gp rows i, i+1 at column j
const G_NP_BYTES = 18;
// gram v128 locals
const G_ACC = [19, 20, 21, 22, 23, 24, 25, 26]; // [r·4 + c]
const G_X = [27, 28];
const G_Y = [29, 30, 31, 32];

function gramKernel(): Code {
  const code = new Code();
  const emit = (...parts: (number | readonly number[])[]): void => void code.emitAll(parts);
  emit(op.get(G_STRIDE), op.i32(3), op.i32Shl, op.set(G_ROW_BYTES));
  emit(op.get(G_NP), op.i32(3), op.i32Shl, op.set(G_NP_BYTES));
  emit(op.i32(0), op.set(G_I));
  emit(op.block, op.loop);
  {
    emit(op.get(G_I), op.get(G_NP), op.i32GeU, op.brIf(1));
    emit(op.get(G_PANEL), op.get(G_I), op.get(G_ROW_BYTES), op.i32Mul, op.i32Add, op.set(G_A[0]!));
    emit(op.get(G_A[0]!), op.get(G_ROW_BYTES), op.i32Add, op.set(G_A[1]!));
    emit(op.get(G_I), op.i32(2), op.i32Add, op.set(G_J_END));
    emit(op.i32(0), op.set(G_J));
    emit(op.block, op.loop);
    {
      emit(op.get(G_J), op.get(G_J_END), op.i32GeU, op.brIf(1));
      emit(op.get(G_PANEL), op.get(G_J), op.get(G_ROW_BYTES), op.i32Mul, op.i32Add, op.set(G_B[0]!));
      for (let c = 1; c < 4; c++) emit(op.get(G_B[c - 1]!), op.get(G_ROW_BYTES), op.i32Add, op.set(G_B[c]!));
      for (const acc of G_ACC) emit(op.v128Zero, op.set(acc));
      emit(op.i32(0), op.set(G_K));
      emit(op.block, op.loop);
      {
        emit(op.get(G_K), op.get(G_KB_BYTES), op.i32GeU, op.brIf(1));
        for (let r = 0; r < 2; r++)
          emit(op.get(G_A[r]!), op.get(G_K), op.i32Add, op.v128Load, op.set(G_X[r]!));
        for (let c = 0; c < 4; c++)
          emit(op.get(G_B[c]!), op.get(G_K), op.i32Add, op.v128Load, op.set(G_Y[c]!));
        for (let r = 0; r < 2; r++) {
          for (let c = 0; c < 4; c++) {
            const acc = G_ACC[r * 4 + c]!;
            emit(op.get(acc), op.get(G_X[r]!), op.get(G_Y[c]!), op.f64x2Mul, op.f64x2Add, op.set(acc));
          }
        }
        emit(op.get(G_K), op.i32(16), op.i32Add, op.set(G_K));
        emit(op.br(0));
      }
      emit(op.end, op.end);
      // gp[i + r, j + c] += both lanes of acc[r·4 + c]
      emit(op.get(G_GP), op.get(G_I), op.get(G_NP_BYTES), op.i32Mul, op.i32Add);
      emit(op.get(G_J), op.i32(3), op.i32Shl, op.i32Add, op.set(G_G[0]!));
      emit(op.get(G_G[0]!), op.get(G_NP_BYTES), op.i32Add, op.set(G_G[1]!));
      for (let r = 0; r < 2; r++) {
        for (let c = 0; c < 4; c++) {
          const acc = G_ACC[r * 4 + c]!;
          emit(op.get(G_G[r]!), op.get(G_G[r]!), op.f64Load(8 * c));
          emit(op.get(acc), op.f64x2Lane(0), op.get(acc), op.f64x2Lane(1), op.f64Add, op.f64Add);
          emit(op.f64Store(8 * c));
        }
      }
      emit(op.get(G_J), op.i32(4), op.i32Add, op.set(G_J));
      emit(op.br(0));
    }
    emit(op.end, op.end);
    emit(op.get(G_I), op.i32(2), op.i32Add, op.set(G_I));
    emit(op.br(0));
  }
  emit(op.end, op.end);
  return code;
}

function moduleBytes(): Uint8Array {
  return assembleModule([
    {
      name: 'fused',
      params: 8,
      locals: [
        [9, I32],
        [21, V128],
      ],
      code: fusedKernel(),
    },
    {
      name: 'gram',
      params: 5,
      locals: [
        [14, I32],
        [14, V128],
      ],
      code: gramKernel(),
    },
  ]);
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
    return {
      buffer: memory.buffer,
      fused: instance.exports['fused'] as FusedKernel,
      gram: instance.exports['gram'] as GramKernel,
    };
  } catch {
    return null;
  }
}

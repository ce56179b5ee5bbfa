/**
 * The one interface every format reader implements: a set of files in, a model description with lazy
 * tensor handles out. Nothing here holds tensor data until `read()` is called on one handle.
 */
import type { BlocksBasis } from '../model/blocks-basis';
import type { StudioErrorData } from '../errors';
import type { LoraMatrix, LoraModelInfo } from '../adapters/lora-types';

export type FormatName = 'safetensors' | 'gguf' | 'onnx' | 'pytorch' | 'llama2c';

/** Where a tensor sits in the network, from its name (see src/core/model). */
export type TensorKind = 'attention' | 'mlp' | 'embedding' | 'head' | 'norm' | 'other';

export interface TensorPlacement {
  /** Decoder/encoder block index, or null outside the blocks. */
  layer: number | null;
  /** Short role name, e.g. q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, expert.3.w1. */
  role: string;
  kind: TensorKind;
}

/** Raw bytes of a tensor in a dtype the GPU kernels read directly (no conversion on the CPU). */
export interface RawTensor {
  dtype: 'F32' | 'F16' | 'BF16';
  bytes: Uint8Array;
}

/**
 * A 4-D convolution weight [out, in, kh, kw] seen as WeightWatcher sees it: kh·kw matrices [out, in], one
 * per kernel position, whose eigenvalues are pooled into one spectrum.
 */
export interface KernelMatrices {
  /** Kernel positions (kh·kw). */
  readonly count: number;
  /** Each matrix's shape: [out, in]. */
  readonly shape: readonly [number, number];
  /** Every position's matrix (row-major [out, in]) from one read of the tensor; NaN/Inf rejected as read() does. */
  readAll(signal?: AbortSignal): Promise<Float32Array[]>;
  readAllF64(signal?: AbortSignal): Promise<Float64Array[]>;
}

export interface TensorHandle {
  /** Name as stored in the file (GGUF/ONNX names kept as they are). */
  readonly name: string;
  /** File the bytes come from. */
  readonly file: string;
  /** Stored shape (row-major, outermost first), as the file records it. */
  readonly shape: readonly number[];
  /** Stored dtype name as the format spells it (F32, BF16, Q4_K, FLOAT16, ...). */
  readonly dtype: string;
  /** Bytes the tensor occupies in its file. */
  readonly byteLength: number;
  readonly placement: TensorPlacement;
  /**
   * The 2-D matrix this tensor is analysed as: [rows, cols] of W (for GPT-2 Conv1D / ONNX MatMul weights
   * stored [in, out] this is still just the stored 2-D shape: the spectrum of WᵀW does not care).
   * null when it is not a matrix (1-D norms, biases) or cannot be analysed.
   */
  readonly matrixShape: readonly [number, number] | null;
  /** Why the tensor is not analysed (integer dtype, unsupported quant type, 1-D, ...), or null. */
  readonly skipReason: string | null;
  /**
   * The tensor whose weights these are, when tied: a second name for the same stored bytes (a PyTorch
   * lm_head sharing the embedding's storage) or a head that config.json ties to the input embedding
   * (`tie_word_embeddings`). Such a tensor is counted and analysed once, as that tensor.
   */
  readonly tiedTo?: string;
  /** Decodes the tensor to float32 (dequantising if needed). Reads only this tensor's bytes. */
  read(signal?: AbortSignal): Promise<Float32Array>;
  /** Decodes to float64, for the CPU reference path. */
  readF64(signal?: AbortSignal): Promise<Float64Array>;
  /** Raw bytes when the dtype is F32/F16/BF16 (what the GPU reads directly); null otherwise. */
  readRaw?(signal?: AbortSignal): Promise<RawTensor | null>;
  /**
   * Present on 4-D convolution weights with at least 2 input and 2 output channels (they keep matrixShape
   * null and skipReason null): the per-kernel-position matrices whose spectra the pipeline pools into one
   * (src/core/pipeline/pooled-spectrum.ts).
   */
  readonly kernelMatrices?: KernelMatrices;
  /**
   * Present on a matrix a LoRA adapter defines (ΔW, analysed from its r×r core) or changes (W + ΔW, merged
   * in float64): the pipeline takes its spectrum input from here rather than from `read` (src/core/adapters).
   */
  readonly lora?: LoraMatrix;
}

export interface ModelFileInfo {
  name: string;
  bytes: number;
  format: FormatName | 'config' | 'index' | 'external-data' | 'unknown';
}

export interface ModelDescription {
  /** Display name: `modelDisplayName` (model-name.ts) of the files, config and metadata, as the page names it. */
  name: string;
  format: FormatName;
  /** Architecture family, e.g. llama, mistral, qwen2, gpt2, bert, t5, phi3, gemma, whisper, unknown. */
  architecture: string;
  /** Number of blocks (max layer index + 1), 0 when none were found. */
  numLayers: number;
  /** What the layers are, in words (src/core/model/blocks-basis.ts): names' blocks, graph blocks, or none. */
  blocks?: BlocksBasis;
  files: ModelFileInfo[];
  tensors: TensorHandle[];
  /** Parsed config.json when it was dropped with the weights. */
  config?: Record<string, unknown>;
  /** Format metadata (safetensors __metadata__, GGUF key/values as strings, ONNX producer, ...). */
  metadata: Record<string, string>;
  /** Files that could not be read: each error names its file. The other files still open. */
  errors: StudioErrorData[];
  /** Non-fatal notes (tensors listed but not analysed, etc.). */
  warnings: string[];
  /** Set when the files are a PEFT LoRA adapter, alone or merged into its base (src/core/adapters). */
  lora?: LoraModelInfo;
}

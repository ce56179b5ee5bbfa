/**
 * What AlphaLoRA allocates over, decided here once: a transformer-block matrix is a Linear matrix of
 * attention or of the MLP inside a numbered block. The plan (which matrices are analysed by default),
 * layer α, the allocation and its export, the CLI's block list and the page's role list and "nothing
 * planned" message all ask these functions rather than testing kinds and layers themselves.
 */
import type { TensorHandle, TensorKind } from '../formats/types';

/** A block's Linear matrix (attention or MLP, in a layer): what layer α and the adapters are made of. */
export function isBlockMatrix(m: { readonly layer: number | null; readonly kind: TensorKind }): boolean {
  return m.layer !== null && (m.kind === 'attention' || m.kind === 'mlp');
}

/**
 * What a tensor is to the analysis, which decides the option that includes it:
 * - 'block': a transformer-block matrix (analysed by default; the roles and layers select among them);
 * - 'embedding': an embedding or output head matrix ("embeddings and output heads");
 * - 'convolution': a 4-D convolution weight, pooled over its kernel positions ("other matrices");
 * - 'other': any other matrix, outside the blocks or not attention/MLP ("other matrices");
 * - 'norm': a normalisation weight (never analysed);
 * - 'none': no matrix to analyse (1-D, a single row or column, an unsupported dtype...).
 */
export type TensorGroup = 'block' | 'embedding' | 'convolution' | 'other' | 'norm' | 'none';

type Tensor = Pick<TensorHandle, 'matrixShape' | 'kernelMatrices' | 'placement'>;

export function tensorGroup(t: Tensor): TensorGroup {
  const conv = t.kernelMatrices !== undefined;
  if (t.matrixShape === null && !conv) return 'none';
  const { kind, layer } = t.placement;
  if (kind === 'norm') return 'norm';
  if (kind === 'embedding' || kind === 'head') return 'embedding';
  // A convolution is never a block's Linear matrix, even when its name matches a block rule (timm's
  // stages.0.blocks.1.mlp.fc1.weight may be a 1×1 conv): it is an "other" matrix.
  if (conv) return 'convolution';
  return isBlockMatrix({ layer, kind }) ? 'block' : 'other';
}

/** The kind a tensor is analysed as: its placement's, except a convolution, which is 'other'. */
export function analysedKind(t: Pick<TensorHandle, 'kernelMatrices' | 'placement'>): TensorKind {
  return t.kernelMatrices !== undefined ? 'other' : t.placement.kind;
}

/**
 * The formats the studio reads, one descriptor each (descriptor.ts), in the order the sniffer tries their
 * magic bytes: the more specific signatures first (GGUF's magic, a zip header) and ONNX's loose protobuf
 * check last. Adding a format: its module exports a descriptor, its name joins FormatName (types.ts), and
 * one line here.
 *
 * A PEFT LoRA adapter is not an entry: it is recognised by a folder (adapter_config.json beside
 * adapter_model.*), not by one file's bytes, and its weights are safetensors or PyTorch files read by those
 * entries; src/core/adapters/open-adapter.ts (`openModelOrAdapter`) looks for it before calling openModel.
 */
import { StudioError } from '../errors';
import type { FormatDescriptor } from './descriptor';
import { ggufFormat } from './gguf';
import { llama2cFormat } from './llama2c';
import { onnxFormat } from './onnx';
import { pytorchFormat } from './pytorch';
import { safetensorsFormat } from './safetensors';
import type { FormatName } from './types';

export const FORMATS: readonly FormatDescriptor[] = [
  ggufFormat,
  pytorchFormat,
  safetensorsFormat,
  llama2cFormat,
  onnxFormat,
];

export function formatNamed(name: FormatName): FormatDescriptor {
  const format = FORMATS.find((f) => f.name === name);
  // Unreachable while every FormatName has an entry: a new name without its line here fails every test.
  if (format === undefined) throw new StudioError('INTERNAL', `no format registered as ${name}`);
  return format;
}

/** Formats by rank: the one analysed first when several are dropped together with as many tensors. */
export function formatsByRank(): FormatDescriptor[] {
  return [...FORMATS].sort((a, b) => a.rank - b.rank);
}

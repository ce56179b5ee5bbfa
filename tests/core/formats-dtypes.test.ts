/**
 * Element decoding against values fixed by the format specifications (IEEE 754 half, bfloat16, OCP FP8
 * E4M3FN / E5M2), and ONNX typed fields (int32_data for 16-bit floats, double_data, float_data) and
 * Constant nodes inside subgraphs, in generated files.
 */
import { describe, expect, it } from 'vitest';
import { bf16ToFloat, e4m3ToFloat, e5m2ToFloat, halfToFloat } from '../../src/core/formats/dtypes';
import { openModel } from '../../src/core/formats/open';
import { concat, f32Bytes, pb, safetensors, src } from '../fixtures-gen/broken';

describe('scalar decoders', () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x0400, 2 ** -14],
    [0x3555, 0.333251953125],
    [0x7c00, Infinity],
  ])('half 0x%s', (bits, want) => expect(halfToFloat(bits)).toBe(want));

  it.each([
    [0x3f80, 1],
    [0xc040, -3],
    [0x3eab, 0.333984375],
    [0x7f7f, 3.3895313892515355e38],
  ])('bf16 0x%s', (bits, want) => expect(bf16ToFloat(bits)).toBe(want));

  it.each([
    [0x38, 1],
    [0x7e, 448],
    [0xfe, -448],
    [0x01, 2 ** -9],
    [0x08, 2 ** -6],
  ])('f8 e4m3fn 0x%s', (bits, want) => expect(e4m3ToFloat(bits)).toBe(want));

  it('f8 e4m3fn 0x7f is NaN (no infinities)', () => expect(e4m3ToFloat(0x7f)).toBeNaN());

  it.each([
    [0x3c, 1],
    [0x7b, 57344],
    [0x01, 2 ** -16],
    [0x7c, Infinity],
  ])('f8 e5m2 0x%s', (bits, want) => expect(e5m2ToFloat(bits)).toBe(want));
});

describe('safetensors float dtypes', () => {
  it('decodes F64, F16, BF16, F8_E4M3 and F8_E5M2 tensors', async () => {
    const f64 = new Uint8Array(new Float64Array([0.1, -2.5, 1e-300, 3]).buffer);
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001]).buffer);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040, 0x3eab, 0x0000]).buffer);
    const e4 = new Uint8Array([0x38, 0x7e, 0xfe, 0x01]);
    const e5 = new Uint8Array([0x3c, 0x7b, 0x01, 0x00]);
    let o = 0;
    const entry = (dtype: string, b: Uint8Array) => ({
      dtype,
      shape: [2, 2],
      data_offsets: [o, (o += b.byteLength)],
    });
    const header = {
      a: entry('F64', f64),
      b: entry('F16', f16),
      c: entry('BF16', bf16),
      d: entry('F8_E4M3', e4),
      e: entry('F8_E5M2', e5),
    };
    const model = await openModel([
      src('dtypes.safetensors', safetensors(header, concat(f64, f16, bf16, e4, e5))),
    ]);
    const read = async (n: string): Promise<number[]> =>
      Array.from(await model.tensors.find((t) => t.name === n)!.readF64());
    expect(await read('a')).toEqual([0.1, -2.5, 1e-300, 3]);
    expect(await read('b')).toEqual([1, -2, 0.333251953125, 2 ** -24]);
    expect(await read('c')).toEqual([1, -3, 0.333984375, 0]);
    expect(await read('d')).toEqual([1, 448, -448, 2 ** -9]);
    expect(await read('e')).toEqual([1, 57344, 2 ** -16, 0]);
  });
});

describe('ONNX typed fields and subgraphs', () => {
  // TensorProto: dims(1), data_type(2), float_data(4), int32_data(5), name(8), raw_data(9), double_data(10).
  const tensor = (name: string, dims: number[], type: number, ...data: Uint8Array[]): Uint8Array =>
    concat(...dims.map((d) => pb.int(1, d)), pb.int(2, type), pb.bytes(8, name), ...data);
  const packedVarints = (values: number[]): Uint8Array => concat(...values.map((v) => pb.varint(v)));

  it('reads float_data, double_data, int32_data (FLOAT16/BFLOAT16) and a Constant inside an If branch', async () => {
    const constant = pb.msg(
      1, // GraphProto.node
      pb.bytes(2, 'sub_w'), // output
      pb.bytes(4, 'Constant'),
      pb.msg(5, pb.bytes(1, 'value'), pb.msg(5, tensor('', [2, 2], 1, pb.bytes(4, f32Bytes([1, 2, 3, 4]))))),
    );
    const ifNode = pb.msg(
      1,
      pb.bytes(1, 'cond'),
      pb.bytes(4, 'If'),
      pb.msg(5, pb.bytes(1, 'then_branch'), pb.msg(6, constant)),
    );
    const graph = concat(
      ifNode,
      pb.msg(5, tensor('w_f16', [2, 2], 10, pb.bytes(5, packedVarints([0x3c00, 0xc000, 0x3555, 0x7bff])))),
      pb.msg(5, tensor('w_bf16', [2, 2], 16, pb.bytes(5, packedVarints([0x3f80, 0xc040, 0x3eab, 0])))),
      pb.msg(
        5,
        tensor(
          'w_f64',
          [2, 2],
          11,
          pb.bytes(10, new Uint8Array(new Float64Array([0.1, 0.2, 0.3, 0.4]).buffer)),
        ),
      ),
      pb.msg(5, tensor('ids', [2, 2], 7, pb.bytes(9, new Uint8Array(32)))),
    );
    const model = concat(pb.int(1, 8), pb.bytes(2, 'test'), pb.msg(7, graph));
    const m = await openModel([src('typed.onnx', model)]);
    expect(m.errors).toEqual([]);
    expect(m.metadata['onnx.producer_name']).toBe('test');
    const read = async (n: string): Promise<number[]> =>
      Array.from(await m.tensors.find((t) => t.name === n)!.readF64());
    expect(await read('sub_w')).toEqual([1, 2, 3, 4]);
    expect(await read('w_f16')).toEqual([1, -2, 0.333251953125, 65504]);
    expect(await read('w_bf16')).toEqual([1, -3, 0.333984375, 0]);
    expect(await read('w_f64')).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(m.tensors.find((t) => t.name === 'ids')!.skipReason).toBe(
      'dtype INT64 is not a float weight: not analysed',
    );
  });
});

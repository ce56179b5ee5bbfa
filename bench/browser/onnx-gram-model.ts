/**
 * A minimal protobuf writer and the one ONNX model the benchmark needs: Y = MatMul(Transpose(X), X) for
 * X of shape [k, n], i.e. the Gram WᵀW as a general MatMul. Built in memory so the benchmark fetches
 * nothing from the network. Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto,
 * AttributeProto, ValueInfoProto, TypeProto, TensorShapeProto).
 */

/** Protobuf wire types. */
const VARINT = 0;
const LEN = 2;

class Writer {
  private readonly bytes: number[] = [];

  varint(value: number): this {
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  uint(field: number, value: number): this {
    return this.tag(field, VARINT).varint(value);
  }

  raw(field: number, data: Uint8Array): this {
    this.tag(field, LEN).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  string(field: number, text: string): this {
    return this.raw(field, new TextEncoder().encode(text));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.raw(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INTS = 7; // AttributeProto.AttributeType.INTS

/** ValueInfoProto { name, type: TypeProto { tensor_type { elem_type: FLOAT, shape { dim... } } } }. */
function valueInfo(w: Writer, field: number, name: string, dims: number[]): void {
  w.message(field, (vi) => {
    vi.string(1, name);
    vi.message(2, (type) =>
      type.message(1, (tensor) => {
        tensor.uint(1, FLOAT);
        tensor.message(2, (shape) => {
          for (const d of dims) shape.message(1, (dim) => dim.uint(1, d));
        });
      }),
    );
  });
}

/** ONNX bytes of Y[n, n] = MatMul(Transpose(X), X) with X[k, n] float32 (opset 17). */
export function gramMatMulModel(k: number, n: number): Uint8Array {
  const model = new Writer();
  model.uint(1, 8); // ir_version
  model.string(2, 'alphalora-studio-bench'); // producer_name
  model.message(7, (graph) => {
    graph.message(1, (node) => {
      node.string(1, 'X').string(2, 'XT').string(3, 'transpose').string(4, 'Transpose');
      node.message(5, (attr) => {
        attr.string(1, 'perm').uint(20, ATTR_INTS);
        attr.uint(8, 1).uint(8, 0);
      });
    });
    graph.message(1, (node) => {
      node.string(1, 'XT').string(1, 'X').string(2, 'Y').string(3, 'gram').string(4, 'MatMul');
    });
    graph.string(2, 'gram');
    valueInfo(graph, 11, 'X', [k, n]);
    valueInfo(graph, 12, 'Y', [n, n]);
  });
  model.message(8, (opset) => opset.string(1, '').uint(2, 17)); // opset_import
  return model.finish();
}

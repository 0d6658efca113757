import { ProtoWriter } from './protobuf.js';

/** A tensor dimension: a fixed size or a symbolic name (dynamic, e.g. the batch). */
export type Dim = number | string;

/** Element types we use (TensorProto.DataType values). */
export const ELEM_TYPE = { float: 1, int64: 7, bool: 9 } as const;
export type ElemType = keyof typeof ELEM_TYPE;

/**
 * A node attribute: a plain number is an INT, `{ float }` a FLOAT, a number array INTS, a string
 * STRING.
 */
export type AttrValue = number | { readonly float: number } | readonly number[] | string;

/** ONNX opset written into models built here. */
export const ONNX_OPSET = 17;
/** ONNX IR version matching {@link ONNX_OPSET}. */
export const ONNX_IR_VERSION = 8;

const ATTR_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;

/**
 * Builds an ONNX ModelProto in code: inputs, outputs, initializers and nodes, with generated names
 * for intermediate values. Used by the inference and training graph builders; not on a hot path.
 */
export class OnnxGraphBuilder {
  readonly #name: string;
  readonly #nodes: ProtoWriter[] = [];
  readonly #inputs: ProtoWriter[] = [];
  readonly #outputs: ProtoWriter[] = [];
  readonly #initializers: ProtoWriter[] = [];
  readonly #constCache = new Map<string, string>();
  #counter = 0;

  constructor(name: string) {
    this.#name = name;
  }

  /** A fresh value name with the given prefix. */
  fresh(prefix: string): string {
    this.#counter += 1;
    return `${prefix}_${this.#counter}`;
  }

  /** Declares a graph input. */
  input(name: string, dims: readonly Dim[], elemType: ElemType = 'float'): string {
    this.#inputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  /** Declares a graph output (the value must be produced by a node). */
  output(name: string, dims: readonly Dim[], elemType: ElemType = 'float'): string {
    this.#outputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  /** Adds a constant tensor (initializer) holding `data` with shape `dims`. */
  initializer(name: string, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    const t = new ProtoWriter();
    t.packedInts(1, dims);
    t.int(2, data instanceof Float32Array ? ELEM_TYPE.float : ELEM_TYPE.int64);
    t.string(8, name);
    // raw_data is little-endian; every platform Node supports here is little-endian.
    t.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.#initializers.push(t);
    return name;
  }

  /** A float scalar constant (shared between uses). */
  scalar(value: number): string {
    const key = `f:${value}`;
    const hit = this.#constCache.get(key);
    if (hit !== undefined) return hit;
    const name = this.initializer(this.fresh('c'), [], Float32Array.of(value));
    this.#constCache.set(key, name);
    return name;
  }

  /** A 1-D int64 constant (axes, shapes, split sizes). */
  ints(values: readonly number[]): string {
    const key = `i:${values.join(',')}`;
    const hit = this.#constCache.get(key);
    if (hit !== undefined) return hit;
    const name = this.initializer(
      this.fresh('ci'),
      [values.length],
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
    this.#constCache.set(key, name);
    return name;
  }

  /**
   * Adds a node with one output and returns the output's name (`outputName` or a fresh one).
   */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttrValue>> = {},
    outputName?: string,
  ): string {
    const out = outputName ?? this.fresh(opType.toLowerCase());
    this.node(opType, inputs, [out], attrs);
    return out;
  }

  /** Adds a node with the given outputs. `domain` is '' (ai.onnx) unless given. */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Readonly<Record<string, AttrValue>> = {},
    domain = '',
  ): readonly string[] {
    const n = new ProtoWriter();
    for (const i of inputs) n.string(1, i);
    for (const o of outputs) n.string(2, o);
    n.string(3, this.fresh(`n_${opType}`));
    n.string(4, opType);
    for (const [key, value] of Object.entries(attrs)) n.message(5, attribute(key, value));
    if (domain !== '') n.string(7, domain);
    this.#nodes.push(n);
    return outputs;
  }

  /** Encodes the ModelProto. `extraOpsets` adds domains such as com.microsoft. */
  toModel(options: { readonly extraOpsets?: Readonly<Record<string, number>> } = {}): Uint8Array {
    const g = new ProtoWriter();
    for (const n of this.#nodes) g.message(1, n);
    g.string(2, this.#name);
    for (const t of this.#initializers) g.message(5, t);
    for (const i of this.#inputs) g.message(11, i);
    for (const o of this.#outputs) g.message(12, o);

    const m = new ProtoWriter();
    m.int(1, ONNX_IR_VERSION);
    m.string(2, 'strider');
    m.string(3, '0.1.0');
    m.message(7, g);
    m.message(8, new ProtoWriter().string(1, '').int(2, ONNX_OPSET));
    for (const [domain, version] of Object.entries(options.extraOpsets ?? {})) {
      m.message(8, new ProtoWriter().string(1, domain).int(2, version));
    }
    return m.finish();
  }
}

function valueInfo(name: string, dims: readonly Dim[], elemType: ElemType): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, ELEM_TYPE[elemType]).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, name).message(2, type);
}

function attribute(name: string, value: AttrValue): ProtoWriter {
  const a = new ProtoWriter().string(1, name);
  if (typeof value === 'number') {
    a.int(3, value).int(20, ATTR_TYPE.int);
  } else if (typeof value === 'string') {
    a.string(4, value).int(20, ATTR_TYPE.string);
  } else if (isFloatAttr(value)) {
    a.float(2, value.float).int(20, ATTR_TYPE.float);
  } else {
    a.packedInts(8, value).int(20, ATTR_TYPE.ints);
  }
  return a;
}

function isFloatAttr(value: { readonly float: number } | readonly number[]): value is {
  readonly float: number;
} {
  return !Array.isArray(value);
}

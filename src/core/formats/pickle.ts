/**
 * A restricted pickle reader for PyTorch state dicts. It is a data parser, not a VM: it understands the
 * opcodes `torch.save` emits for a dict of tensors and resolves only these globals, to inert markers:
 * collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_tensor / _rebuild_parameter and
 * the torch.*Storage classes. Any other global, and any object-building opcode it does not know, is an
 * UNSAFE_PICKLE error: nothing is ever executed or imported.
 */
import { StudioError } from '../errors';
import { decodeUtf8 } from './bounded-read';

export class PGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}
export class PTuple {
  constructor(readonly items: PValue[]) {}
}
export class PDict {
  readonly map = new Map<string | number, PValue>();
}
/** A storage named by a persistent id: ('storage', torch.FloatStorage, key, location, numel). */
export class PStorage {
  constructor(
    readonly storageType: string,
    readonly key: string,
    readonly numel: number,
  ) {}
}
export class PTensor {
  constructor(
    readonly storage: PStorage,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}
class Mark {}
export type PValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | PValue[]
  | PTuple
  | PDict
  | PGlobal
  | PStorage
  | PTensor
  | Mark;

const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  ...['Float', 'Double', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'].map(
    (t) => `torch.${t}Storage`,
  ),
]);

function unsafe(file: string, what: string): StudioError {
  return new StudioError(
    'UNSAFE_PICKLE',
    `the pickle uses ${what}, which a plain state dict never needs: refusing to load it (nothing was executed). Convert the checkpoint to safetensors with trusted code.`,
    file,
  );
}

function asInt(v: PValue, file: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw new StudioError('INVALID_HEADER', 'the pickle has a non-integer where a size was expected', file);
  return v;
}
function intList(v: PValue, file: string): number[] {
  if (!(v instanceof PTuple))
    throw new StudioError('INVALID_HEADER', 'the pickle has a malformed tensor shape', file);
  return v.items.map((x) => asInt(x, file));
}

/** Parses `bytes` (a data.pkl) and returns the unpickled top-level value. */
export function parseStateDictPickle(bytes: Uint8Array, file: string): PValue {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PValue>();
  let p = 0;
  const truncated = (): StudioError =>
    new StudioError('TRUNCATED', 'the pickle ends early: the file is truncated; re-download it', file);
  const need = (n: number): void => {
    if (n < 0 || p + n > bytes.byteLength) throw truncated();
  };
  const pop = (): PValue => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1]!)) {
      throw new StudioError('INVALID_HEADER', 'the pickle pops an empty stack', file);
    }
    return stack.pop()!;
  };
  const popMark = (): PValue[] => {
    const m = marks.pop();
    if (m === undefined)
      throw new StudioError('INVALID_HEADER', 'the pickle has no MARK where one is needed', file);
    return stack.splice(m);
  };
  const top = (): PValue => {
    if (stack.length === 0) throw new StudioError('INVALID_HEADER', 'the pickle reads an empty stack', file);
    return stack[stack.length - 1]!;
  };
  const str = (n: number): string => {
    need(n);
    const s = decodeUtf8(bytes.subarray(p, p + n));
    p += n;
    return s;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) throw truncated();
    const s = decodeUtf8(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const global = (module: string, name: string): PGlobal => {
    const full = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(full)) throw unsafe(file, `the global ${full}`);
    return new PGlobal(module, name);
  };
  const setItems = (dict: PValue, items: PValue[]): void => {
    if (!(dict instanceof PDict)) throw unsafe(file, 'SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) {
      const k = items[i]!;
      if (typeof k !== 'string' && typeof k !== 'number')
        throw new StudioError('INVALID_HEADER', 'the pickle has a dict key that is not a string', file);
      dict.map.set(k, items[i + 1]!);
    }
  };
  const reduce = (fn: PValue, args: PValue): PValue => {
    if (!(fn instanceof PGlobal) || !(args instanceof PTuple)) throw unsafe(file, 'REDUCE on a non-global');
    const full = `${fn.module}.${fn.name}`;
    const a = args.items;
    if (full === 'collections.OrderedDict') {
      const d = new PDict();
      return d;
    }
    if (full === 'torch._utils._rebuild_tensor_v2' || full === 'torch._utils._rebuild_tensor') {
      const storage = a[0];
      if (!(storage instanceof PStorage))
        throw new StudioError('INVALID_HEADER', 'a tensor in the pickle has no storage', file);
      return new PTensor(
        storage,
        asInt(a[1] ?? null, file),
        intList(a[2] ?? null, file),
        intList(a[3] ?? null, file),
      );
    }
    if (full === 'torch._utils._rebuild_parameter') {
      if (!(a[0] instanceof PTensor))
        throw new StudioError('INVALID_HEADER', 'a parameter in the pickle holds no tensor', file);
      return a[0];
    }
    throw unsafe(file, `a call to ${full}`);
  };

  while (p < bytes.byteLength) {
    const op = bytes[p++]!;
    switch (op) {
      case 0x80: // PROTO
        need(1);
        p += 1;
        break;
      case 0x95: // FRAME
        need(8);
        p += 8;
        break;
      case 0x2e: {
        // STOP
        return pop();
      }
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PTuple([]));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(dv.getInt32(p, true));
        p += 4;
        break;
      case 0x4b: // BININT1
        need(1);
        stack.push(bytes[p++]!);
        break;
      case 0x4d: // BININT2
        need(2);
        stack.push(dv.getUint16(p, true));
        p += 2;
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        need(1);
        const n = bytes[p++]!;
        need(n);
        if (n > 8)
          throw new StudioError(
            'INVALID_HEADER',
            'the pickle has an integer too large for a tensor size',
            file,
          );
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[p + i]!);
        if (n > 0 && bytes[p + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        stack.push(Number(v));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(dv.getFloat64(p, false));
        p += 8;
        break;
      case 0x58: {
        // BINUNICODE
        need(4);
        const n = dv.getUint32(p, true);
        p += 4;
        stack.push(str(n));
        break;
      }
      case 0x8c: {
        // SHORT_BINUNICODE
        need(1);
        stack.push(str(bytes[p++]!));
        break;
      }
      case 0x8d: {
        // BINUNICODE8
        need(8);
        const n = Number(dv.getBigUint64(p, true));
        p += 8;
        stack.push(str(n));
        break;
      }
      case 0x43: {
        // SHORT_BINBYTES
        need(1);
        const n = bytes[p++]!;
        need(n);
        stack.push(bytes.slice(p, p + n));
        p += n;
        break;
      }
      case 0x42: {
        // BINBYTES
        need(4);
        const n = dv.getUint32(p, true);
        p += 4;
        need(n);
        stack.push(bytes.slice(p, p + n));
        p += n;
        break;
      }
      case 0x71: // BINPUT
        need(1);
        memo.set(bytes[p++]!, top());
        break;
      case 0x72: // LONG_BINPUT
        need(4);
        memo.set(dv.getUint32(p, true), top());
        p += 4;
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const wide = op === 0x6a;
        need(wide ? 4 : 1);
        const idx = wide ? dv.getUint32(p, true) : bytes[p]!;
        p += wide ? 4 : 1;
        if (!memo.has(idx))
          throw new StudioError(
            'INVALID_HEADER',
            `the pickle reads memo ${idx}, which was never stored`,
            file,
          );
        stack.push(memo.get(idx)!);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw unsafe(file, 'a computed global');
        stack.push(global(module, name));
        break;
      }
      case 0x74: // TUPLE
        stack.push(new PTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(new PTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PTuple([a, b, c]));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const d = new PDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list)) throw unsafe(file, 'APPEND on something that is not a list');
        list.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) throw unsafe(file, 'APPENDS on something that is not a list');
        // One push per item: spreading a data-sized array into push() overflows the call stack.
        for (const item of items) list.push(item);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args));
        break;
      }
      case 0x62: {
        // BUILD: only the OrderedDict `_metadata` attribute and tensor state, which carry no weights.
        pop();
        const target = top();
        if (!(target instanceof PDict) && !(target instanceof PTensor))
          throw unsafe(file, 'BUILD on an arbitrary object');
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!(pid instanceof PTuple) || pid.items[0] !== 'storage')
          throw unsafe(file, 'a persistent id that is not a tensor storage');
        const [, type, key, , numel] = pid.items;
        if (!(type instanceof PGlobal) || typeof key !== 'string')
          throw new StudioError('INVALID_HEADER', 'the pickle has a malformed storage id', file);
        stack.push(new PStorage(type.name, key, asInt(numel ?? null, file)));
        break;
      }
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      default:
        throw unsafe(file, `opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}')`);
    }
  }
  throw truncated();
}

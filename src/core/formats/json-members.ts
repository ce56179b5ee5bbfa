/**
 * The members of one large JSON object, one at a time, without building the object. A safetensors header
 * may be 100 MB listing a million tensors: `JSON.parse` of it builds a dictionary-mode object of a million
 * keys (≈ 300 MB, seconds of hashing) that the reader only walks once. Here each member's value is parsed
 * on its own and handed to a callback, so it is garbage as soon as the reader has taken what it needs.
 *
 * The grammar is RFC 8259's; what is refused is what `JSON.parse` refuses (an error says where). Nesting
 * inside a member's value is limited to MAX_DEPTH, so that a hostile `[[[[…` cannot exhaust the stack.
 */

const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export class JsonSyntaxError extends Error {}

/**
 * Calls `onMember(key, value)` for every member of the object that `text` holds, in order. Throws
 * JsonSyntaxError when `text` is not one JSON object (and nothing but whitespace around it).
 */
export function forEachMember(text: string, onMember: (key: string, value: unknown) => void): void {
  const p = new Parser(text);
  if (p.skip() !== 0x7b) p.fail('expected "{"');
  p.pos++;
  if (p.skip() === 0x7d) {
    p.pos++;
  } else {
    for (;;) {
      if (p.skip() !== 0x22) p.fail('expected a string key');
      const key = p.string();
      if (p.skip() !== 0x3a) p.fail('expected ":"');
      p.pos++;
      onMember(key, p.value(1));
      const c = p.skip();
      p.pos++;
      if (c === 0x7d) break;
      if (c !== 0x2c) p.fail('expected "," or "}"', p.pos - 1);
    }
  }
  if (p.skip() === p.end) return;
  p.fail('unexpected text after the object');
}

class Parser {
  pos = 0;
  /** Sentinel charCode returned by skip() at the end of the text. */
  readonly end = -1;
  private readonly interned = new Map<string, string>();
  constructor(private readonly s: string) {}

  fail(what: string, at = this.pos): never {
    throw new JsonSyntaxError(`${what} at position ${at}`);
  }

  /** Skips whitespace; the char code at the new position, or `end`. */
  skip(): number {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
      this.pos++;
    }
    return this.end;
  }

  /** A string starting at the opening quote at `pos`. */
  string(): string {
    const s = this.s;
    const start = this.pos + 1;
    let p = start;
    let escaped = false;
    for (;;) {
      if (p >= s.length) this.fail('unterminated string', start - 1);
      const c = s.charCodeAt(p);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        p += 2;
      } else {
        if (c < 0x20) this.fail('control character in a string', p);
        p++;
      }
    }
    this.pos = p + 1;
    if (!escaped) {
      // Short strings repeat (every tensor has "dtype": "F32", "shape", "data_offsets"): one copy each.
      if (p - start > 12) return s.slice(start, p);
      const short = s.slice(start, p);
      const known = this.interned.get(short);
      if (known !== undefined) return known;
      if (this.interned.size < 4096) this.interned.set(short, short);
      return short;
    }
    // Escapes are rare in tensor names: the built-in parser decodes (and checks) them.
    try {
      return JSON.parse(s.slice(start - 1, p + 1)) as string;
    } catch {
      return this.fail('invalid escape in a string', start - 1);
    }
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const s = this.s;
    const c = this.skip();
    if (c === 0x22) return this.string();
    if (c === 0x7b) {
      this.pos++;
      const o: Record<string, unknown> = {};
      if (this.skip() === 0x7d) {
        this.pos++;
        return o;
      }
      for (;;) {
        if (this.skip() !== 0x22) this.fail('expected a string key');
        const key = this.string();
        if (this.skip() !== 0x3a) this.fail('expected ":"');
        this.pos++;
        const v = this.value(depth + 1);
        // A key "__proto__" is an ordinary member, as JSON.parse makes it (assignment would set the
        // prototype); other keys are assigned, which keeps the object in V8's fast mode.
        if (key === '__proto__')
          Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
        else o[key] = v;
        const d = this.skip();
        this.pos++;
        if (d === 0x7d) return o;
        if (d !== 0x2c) this.fail('expected "," or "}"', this.pos - 1);
      }
    }
    if (c === 0x5b) {
      this.pos++;
      const a: unknown[] = [];
      if (this.skip() === 0x5d) {
        this.pos++;
        return a;
      }
      for (;;) {
        a.push(this.value(depth + 1));
        const d = this.skip();
        this.pos++;
        // slice(): an exact-size copy; push() leaves spare capacity (~17 slots for a 2-element shape),
        // which a million retained shapes would pay for.
        if (d === 0x5d) return a.slice();
        if (d !== 0x2c) this.fail('expected "," or "]"', this.pos - 1);
      }
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(s);
    if (m !== null && m[0].length > 0) {
      this.pos = NUMBER.lastIndex;
      return Number(m[0]);
    }
    for (const [word, v] of LITERALS) {
      if (s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(c === this.end ? 'unexpected end of the text' : 'unexpected character');
  }
}

const LITERALS: [string, unknown][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

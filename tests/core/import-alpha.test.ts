import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockIndexFromName, parseAlphaFile, parseCsv } from '../../src/core/allocation/import-alpha';
import { isStudioError } from '../../src/core/errors';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');

function badInput(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isStudioError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('BAD_INPUT');
    return (err as Error).message;
  }
  throw new Error('expected a BAD_INPUT error');
}

describe('parseAlphaFile', () => {
  it('a JSON array of layer α', () => {
    expect(parseAlphaFile('[2.5, 3, 4.25]', 'a.json')).toEqual({ layerAlphas: [2.5, 3, 4.25], warnings: [] });
  });

  it('the fixture expected.json (an object with layerAlpha)', () => {
    const text = readFileSync(path.join(FIXTURES, 'models/stories260K/expected.json'), 'utf8');
    const want = (JSON.parse(text) as { layerAlpha: number[] }).layerAlpha;
    expect(parseAlphaFile(text, 'expected.json').layerAlphas).toEqual(want);
  });

  it('JSON per-matrix records: mean per block, embedding left out with a warning', () => {
    const records = [
      { name: 'model.embed_tokens', alpha: 9 },
      { name: 'model.layers.0.self_attn.q_proj', alpha: 2 },
      { name: 'model.layers.0.mlp.down_proj', alpha: 4 },
      { name: 'model.layers.1.self_attn.q_proj', alpha: '5' },
      { name: 'model.layers.1.self_attn.k_proj', alpha: null },
    ];
    const r = parseAlphaFile(JSON.stringify(records), 'ww.json');
    expect(r.layerAlphas).toEqual([3, 5]);
    expect(r.matrices?.map((m) => m.layer)).toEqual([null, 0, 0, 1]);
    expect(r.warnings.join('\n')).toMatch(/Skipped 1 row.*k_proj/);
    expect(r.warnings.join('\n')).toMatch(/outside the blocks.*embed_tokens/);
  });

  it('a CSV of layer,alpha rows and a bare alpha column', () => {
    expect(parseAlphaFile('layer,alpha\n1,3\n0,2\n1,5\n', 'l.csv').layerAlphas).toEqual([2, 4]);
    expect(parseAlphaFile('alpha\r\n2.5\r\n3.5\r\n', 'a.csv').layerAlphas).toEqual([2.5, 3.5]);
  });

  it("WeightWatcher's details CSV (pandas index column, layer_id is not a block index, quoted names)", () => {
    const csv = [
      ',layer_id,name,D,alpha,alpha_weighted',
      '0,1,model.embed_tokens,0.1,2.0,1',
      '1,3,model.layers.0.self_attn.q_proj,0.1,3.0,1',
      '2,4,"model.layers.0.mlp.down_proj",0.1,5.0,1',
      '3,6,model.layers.1.self_attn.q_proj,0.1,4.0,1',
      '4,9,lm_head,0.1,,1',
    ].join('\n');
    const r = parseAlphaFile(csv, 'ww_details.csv');
    expect(r.layerAlphas).toEqual([4, 4]);
    expect(r.matrices?.length).toBe(4);
  });

  it('reads GGUF, GPT-2 and BERT style block names', () => {
    expect(blockIndexFromName('blk.12.attn_q.weight')).toBe(12);
    expect(blockIndexFromName('transformer.h.3.attn.c_attn.weight')).toBe(3);
    expect(blockIndexFromName('bert.encoder.layer.7.attention.self.query.weight')).toBe(7);
    expect(blockIndexFromName('model.layers.31.mlp.up_proj')).toBe(31);
    expect(blockIndexFromName('lm_head.weight')).toBeNull();
    expect(blockIndexFromName('model.norm.weight')).toBeNull();
  });

  it('parses RFC 4180 quoting', () => {
    expect(parseCsv('a,"b,c","d""e"\n1,"x\ny",2')).toEqual([
      ['a', 'b,c', 'd"e'],
      ['1', 'x\ny', '2'],
    ]);
  });

  it('bad input is BAD_INPUT with a message naming the file and the problem', () => {
    expect(badInput(() => parseAlphaFile('', 'empty.json'))).toMatch(/empty\.json.*empty/);
    expect(badInput(() => parseAlphaFile('[1, 2', 'cut.json'))).toMatch(/cut\.json.*not valid JSON/);
    expect(badInput(() => parseAlphaFile('[2, "x"]', 'mixed.json'))).toMatch(/mixed\.json/);
    expect(badInput(() => parseAlphaFile('[2, null, 3]', 'hole.json'))).toMatch(/layer 1/);
    expect(badInput(() => parseAlphaFile('[2, -1]', 'neg.json'))).toMatch(/layer 1/);
    expect(badInput(() => parseAlphaFile('{"foo": 1}', 'obj.json'))).toMatch(/no layer α list/);
    expect(badInput(() => parseAlphaFile('name,beta\nx,1\n', 'cols.csv'))).toMatch(
      /no "alpha" column.*name, beta/,
    );
    expect(badInput(() => parseAlphaFile('layer,alpha\n0,2\n2,3\n', 'gap.csv'))).toMatch(
      /no α for layer\(s\) 1/,
    );
    expect(badInput(() => parseAlphaFile('name,alpha\nlm_head,2\n', 'noblock.csv'))).toMatch(
      /no row could be placed/,
    );
    expect(badInput(() => parseAlphaFile('layer,alpha\nfirst,2\n', 'word.csv'))).toMatch(/not a block index/);
    expect(badInput(() => parseAlphaFile('alpha\n', 'header.csv'))).toMatch(/at least one row/);
  });
});

/**
 * Inputs: `inspect` on every fixture, and bad files (tests as data: file -> the exact problem it must
 * report). A bad input gives exit code 3 with a message naming the file; the readable inputs of the same
 * run are still analysed and written.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli, STORIES } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const goodBytes = readFileSync(path.join(STORIES, 'model.safetensors'));
const expected = JSON.parse(readFileSync(path.join(STORIES, 'expected.json'), 'utf8')) as {
  layerAlpha: number[];
  matrices: Record<string, unknown>;
};

/** [file name, contents, what the message must say] */
const BAD_INPUTS: [string, Uint8Array | string, string][] = [
  [
    'lfs.safetensors',
    'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 1045104\n',
    'this is a Git LFS pointer, not the weights: run git lfs pull',
  ],
  ['cut.safetensors', goodBytes.subarray(0, 500_000), 'the file is truncated'],
  [
    'page.safetensors',
    '<!DOCTYPE html>\n<html><head><title>model.safetensors</title></head><body>Sign in</body></html>\n',
    'this is an HTML page saved instead of the file',
  ],
  ['empty.safetensors', '', 'the file is empty'],
  ['zeros.gguf', new Uint8Array(4096), 'the file contains only zero bytes'],
];
for (const [name, contents] of BAD_INPUTS) writeFileSync(path.join(dir, name), contents);

interface ResultJson {
  layers: { index: number; alpha: number; matrices: unknown[] }[];
  allocation: { experts: number[] };
}

describe('bad inputs', () => {
  for (const [name, , message] of BAD_INPUTS) {
    it(`${name}: exit 3 and "${message}"`, async () => {
      const run = await runCli(['analyze', path.join(dir, name), '--quiet']);
      expect(run.code).toBe(3);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`error: ${name}: ${message}`);
      const inspect = await runCli(['inspect', path.join(dir, name)]);
      expect(inspect.code).toBe(3);
      expect(inspect.stderr).toContain(`${name}: ${message}`);
    });
  }

  it('with good and bad files together: every problem reported, the good file analysed and written, exit 3', async () => {
    const out = path.join(dir, 'result.json');
    const args = [
      'analyze',
      path.join(STORIES, 'model.safetensors'),
      ...BAD_INPUTS.map(([n]) => path.join(dir, n)),
    ];
    const run = await runCli([...args, '--out', out]);
    expect(run.code).toBe(3);
    for (const [name, , message] of BAD_INPUTS) expect(run.stderr).toContain(`error: ${name}: ${message}`);
    expect(run.stderr).toMatch(/^done: 35\/35 matrices/m);
    expect(run.stderr).toContain(`wrote ${out}`);
    const json = JSON.parse(readFileSync(out, 'utf8')) as ResultJson;
    expect(json.layers.map((l) => l.matrices.length)).toEqual([7, 7, 7, 7, 7]);
    json.layers.forEach((l, i) =>
      expect(Math.abs(l.alpha - expected.layerAlpha[i]!)).toBeLessThanOrEqual(1e-6 * l.alpha),
    );
  });

  it('a path that does not exist is named, the other input still analysed', async () => {
    const missing = path.join(dir, 'no-such-dir', 'model.gguf');
    const run = await runCli(['analyze', missing, path.join(STORIES, 'model.safetensors'), '--quiet']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`error: ${missing}: no such file or directory`);
    expect((JSON.parse(run.stdout) as ResultJson).layers).toHaveLength(5);
  });

  it('a folder holding a bad file next to the good one', async () => {
    const folder = path.join(dir, 'folder');
    mkdirSync(folder);
    copyFileSync(path.join(STORIES, 'model.safetensors'), path.join(folder, 'model.safetensors'));
    writeFileSync(path.join(folder, 'README.html'), BAD_INPUTS[2]![1]);
    const run = await runCli(['analyze', folder, '--quiet', '--budget', '20']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('README.html: this is an HTML page');
    expect((JSON.parse(run.stdout) as ResultJson).allocation.experts).toHaveLength(5);
  });
});

describe('alphalora inspect', () => {
  const FORMS: [string, string, string][] = [
    ['model.safetensors', 'safetensors', 'model.layers.0.self_attn.q_proj.weight'],
    ['bf16/model.safetensors', 'safetensors', 'model.layers.4.mlp.down_proj.weight'],
    ['sharded', 'safetensors', 'model.layers.3.self_attn.o_proj.weight'],
    ['gguf/stories260K.F32.gguf', 'gguf', 'blk.0.attn_q.weight'],
    ['gguf/stories260K.Q8_0.gguf', 'gguf', 'blk.2.ffn_down.weight'],
    ['gguf/stories260K.Q4_0.gguf', 'gguf', 'blk.4.ffn_gate.weight'],
    ['pytorch/pytorch_model.bin', 'pytorch', 'model.layers.1.mlp.up_proj.weight'],
    ['llama2c/stories260K.bin', 'llama2c', 'model.layers.2.self_attn.v_proj.weight'],
  ];
  for (const [rel, format, sample] of FORMS) {
    it(`prints the architecture and the tensor list of ${rel}`, async () => {
      const run = await runCli(['inspect', path.join(STORIES, rel)]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`format: ${format}\n`);
      expect(run.stdout).toContain('architecture: llama\n');
      expect(run.stdout).toContain('layers: 5\n');
      expect(run.stdout).toMatch(/^tensors \(\d+\):$/m);
      expect(run.stdout).toMatch(
        new RegExp(
          `^  ${sample.replace(/\./g, '\\.')} +\\[\\d+, \\d+\\] +\\S+ +\\d +\\w+ +(attention|mlp) +analyse$`,
          'm',
        ),
      );
      expect(run.stdout).toContain('would analyse: 35 matrices');
      expect(run.stdout).toMatch(/embed.*skip: embedding matrix: not analysed by default/);
    });
  }

  it('--json lists every tensor with its placement and whether it is analysed', async () => {
    const run = await runCli([
      'inspect',
      path.join(STORIES, 'model.safetensors'),
      '--json',
      '--roles',
      'q_proj,k_proj',
    ]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as {
      model: { architecture: string; numLayers: number };
      tensors: { name: string; analysed: boolean; skipReason: string | null; role: string }[];
      plan: { totals: { matrices: number } };
    };
    expect(json.model).toMatchObject({ architecture: 'llama', numLayers: 5 });
    const analysed = json.tensors.filter((t) => t.analysed).map((t) => t.name);
    expect(analysed.sort()).toEqual(
      Object.keys(expected.matrices)
        .filter((n) => /(q|k)_proj/.test(n))
        .sort(),
    );
    expect(json.plan.totals.matrices).toBe(10);
    for (const t of json.tensors)
      expect(t.analysed ? t.skipReason === null : (t.skipReason ?? '').length > 0).toBe(true);
  });

  it('lists the ONNX slices', async () => {
    const run = await runCli(['inspect', path.join(FIXTURES, 'onnx/stories260K-slices/slices.inline.onnx')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('format: onnx\n');
    expect(run.stdout).toMatch(/^tensors \(\d+\):$/m);
  });
});

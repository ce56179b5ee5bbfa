/**
 * Issue 17: imported α get the weak-layer notice when the file carries per-matrix quality (this tool's
 * allocation JSON does), and a plain statement that fit quality is unknown when it does not.
 */
import { describe, expect, it } from 'vitest';
import { analysisBasis, buildAllocationJson } from '../../src/core/allocation/export';
import { parseAlphaFile } from '../../src/core/allocation/import-alpha';
import { importedBasis } from '../../src/core/allocation/imported';
import { importedQuality } from '../../src/core/allocation/imported-quality';
import { weakLayers } from '../../src/core/layer-quality';
import { stories, storiesResult } from '../fixtures-gen/stories-result';

const O_PROJ_3 = 'model.layers.3.self_attn.o_proj.weight';

function exported(): string {
  const json = buildAllocationJson(storiesResult(), {
    estimator: 'alphalora',
    mode: 'faithful',
    beta: 2.5,
    budget: 25,
    loraRank: 8,
  });
  return JSON.stringify(json);
}

describe('fit quality of imported α', () => {
  it('an own export: the same weak layers as the analysis that wrote it, layer 3’s o_proj among them', () => {
    const imported = parseAlphaFile(exported(), 'stories.alphalora.json');
    const basis = importedBasis(imported, 'stories.alphalora.json', undefined, undefined);
    const got = importedQuality(imported, basis.roles);
    expect(got.unknown).toBeNull();
    // The analysis' own verdict, from the spectra (weakLayers over the analysis basis).
    const analysis = analysisBasis(storiesResult(), 'alphalora', undefined, undefined);
    const want = weakLayers(analysis.rows, 'alphalora');
    expect(want.length).toBeGreaterThan(0);
    const shape = (w: typeof want): unknown =>
      w.map((l) => [l.index, l.matrices.map((m) => [m.name, m.role, m.flags])]);
    expect(shape(got.weak)).toEqual(shape(want));
    for (const [i, layer] of got.weak.entries())
      for (const [j, m] of layer.matrices.entries())
        expect(m.alpha).toBeCloseTo(want[i]!.matrices[j]!.alpha, 12);
    // Independently of both: the fixture's o_proj of layer 3 fits a tail of 5 (< 10): a small-tail weak fit.
    const fixture = stories.matrices[O_PROJ_3] as unknown as { alphalora: { tail: number } };
    expect(fixture.alphalora.tail).toBe(5);
    const layer3 = got.weak.find((l) => l.index === 3);
    expect(layer3?.matrices.find((m) => m.name === O_PROJ_3)?.flags).toContain('small-tail');
  });

  it('only the averaged roles count: without o_proj, layer 3 is not flagged for it', () => {
    const imported = parseAlphaFile(exported(), 'stories.alphalora.json');
    const roles = ['q_proj', 'k_proj', 'v_proj', 'gate_proj', 'up_proj', 'down_proj'];
    const got = importedQuality(imported, roles);
    expect(got.weak.flatMap((l) => l.matrices.map((m) => m.name))).not.toContain(O_PROJ_3);
  });

  it('an export without quality, a plain α list and a CSV: fit quality is unknown, and said so', () => {
    const stripped = JSON.parse(exported()) as { layers: { matrices: { quality?: unknown }[] }[] };
    for (const l of stripped.layers) for (const m of l.matrices) delete m.quality;
    const noQuality = parseAlphaFile(JSON.stringify(stripped), 'old.json');
    const basis = importedBasis(noQuality, 'old.json', undefined, undefined);
    const a = importedQuality(noQuality, basis.roles);
    expect(a.weak).toEqual([]);
    expect(a.unknown).toMatch(
      /^Fit quality is unknown for these imported α: the file has no per-matrix quality/,
    );

    for (const [text, name] of [
      ['[3.1, 2.9, 4.2]', 'alphas.json'],
      ['layer,alpha\n0,3.1\n1,2.9\n', 'alphas.csv'],
    ] as const) {
      const plain = importedQuality(parseAlphaFile(text, name), []);
      expect(plain.weak).toEqual([]);
      expect(plain.unknown).toMatch(/^Fit quality is unknown for these imported α: the file gives α only/);
    }
  });

  it('some rows with quality, some without: says how many are unknown', () => {
    const partial = JSON.parse(exported()) as { layers: { matrices: { quality?: unknown }[] }[] };
    delete partial.layers[0]!.matrices[0]!.quality;
    const imported = parseAlphaFile(JSON.stringify(partial), 'p.json');
    const basis = importedBasis(imported, 'p.json', undefined, undefined);
    const got = importedQuality(imported, basis.roles);
    expect(got.unknown).toBe(
      `Fit quality is unknown for 1 of the 35 imported matrices averaged into layer α (their rows have no quality): only the others can flag a weak fit.`,
    );
  });
});

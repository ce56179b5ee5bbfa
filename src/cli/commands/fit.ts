/**
 * `alphalora fit`: fit a spectrum computed elsewhere (numpy, WeightWatcher, ...) with the same estimators
 * as the analysis, and print the fit as JSON.
 */
import { StudioError, messageOf } from '../../core/errors';
import { fingersJson } from '../../core/allocation/fingers-export';
import { fitPowerLaw } from '../../core/spectral/estimators';
import type { ParsedCommand } from '../args';
import { fitSpec } from '../specs';
import { EXIT_OK, estimatorOption, stringOption, UsageError } from '../args';
import type { CliIo } from '../cli-io';

export async function runFit(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const file = stringOption(parsed, 'eigenvalues');
  if (file === undefined) throw new UsageError('--eigenvalues is required', fitSpec);
  const estimator = estimatorOption(fitSpec, parsed);
  const fileName = file === '-' ? 'stdin' : file;
  const eigenvalues = parseEigenvalues(await io.readText(file), fileName);
  const sorted = Float64Array.from(eigenvalues).sort();
  const fit = fitPowerLaw(sorted, estimator);
  const out: Record<string, number | string | null> = {
    alpha: fit.alpha,
    xmin: fit.xmin,
    xminIndex: fit.xminIndex,
    D: fit.D,
    tail: fit.tail,
    sigma: fit.sigma,
    ...fingersJson(fit),
  };
  if (fit.failed !== null) {
    out.failed = fit.failed;
    io.stderr(`warning: no power-law fit: ${fit.failed}\n`);
  }
  // JSON has no NaN: a value that does not exist (hill-mid's D, a failed fit) is written as null.
  io.stdout(
    JSON.stringify(out, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) +
      '\n',
  );
  return EXIT_OK;
}

/** The eigenvalue list of a JSON text, checked: finite, non-negative numbers only. */
export function parseEigenvalues(text: string, fileName: string): number[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const why = messageOf(err);
    throw new StudioError('BAD_INPUT', `not valid JSON (${why}); expected an array of eigenvalues`, fileName);
  }
  const list =
    typeof data === 'object' && data !== null && !Array.isArray(data)
      ? (data as { eigenvalues?: unknown }).eigenvalues
      : data;
  if (!Array.isArray(list)) {
    throw new StudioError(
      'BAD_INPUT',
      'expected a JSON array of eigenvalues (or {"eigenvalues": [...]})',
      fileName,
    );
  }
  list.forEach((v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new StudioError(
        'BAD_INPUT',
        `eigenvalue ${i} is not a finite number: ${JSON.stringify(v)}`,
        fileName,
      );
    }
    if (v < 0) {
      throw new StudioError(
        'BAD_INPUT',
        `eigenvalue ${i} is negative (${v}); eigenvalues of WᵀW are ≥ 0 (pass squared singular values)`,
        fileName,
      );
    }
  });
  return list as number[];
}

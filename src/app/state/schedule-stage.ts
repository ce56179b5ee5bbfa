/**
 * The trainer-schedule stage of the page: from the allocation outcome the page shows (its β,
 * mode, target modules and layers) and the basis' per-matrix rows, the core's `computeSchedule` and the
 * exports the CLI writes (`scheduleExportText`, `loraConfigPython`). Pure, so a test can pin the page's
 * files to the CLI's for the same inputs; moving a parameter recomputes only this (microseconds).
 */
import { useMemo, useState } from 'react';
import { messageOf } from '../../core/errors';
import type { AllocationOutcome } from '../../core/allocation/outcome';
import {
  DEFAULT_SCHEDULE_PARAMS,
  defaultRankBudget,
  type ScheduleParams,
  type ScheduleUse,
} from '../../core/schedules/schedule-defaults';
import {
  loraConfigPython,
  SCHEDULE_FORMATS,
  scheduleExportText,
  FORMAT_USE,
  type ScheduleFormat,
} from '../../core/schedules/schedule-files';
import { computeSchedule, type MatrixRowsOf, type Schedule } from '../../core/schedules/schedule';
import { scheduleChartModel, type ScheduleChartModel } from '../charts/schedule-data';

export interface ScheduleStage {
  schedule: Schedule | null;
  format: ScheduleFormat;
  /** The trainer file (what the CLI's --format writes), or null with `error`. */
  text: string | null;
  /** The PEFT config as Python (ranks only). */
  python: string | null;
  chart: ScheduleChartModel | null;
  /** Units the rank budget is shared over (layers, or target modules at module granularity). */
  rankUnits: number;
  /** The rank budget in force (the default when none is set). */
  rankBudget: number;
  error: string | null;
}

export function formatFor(use: Schedule['use']): ScheduleFormat {
  return SCHEDULE_FORMATS.find((f) => FORMAT_USE[f] === use) ?? 'peft';
}

export function scheduleStageOf(
  use: Schedule['use'],
  outcome: AllocationOutcome,
  rows: MatrixRowsOf,
  params: ScheduleParams,
): ScheduleStage {
  const format = formatFor(use);
  const rankUnits =
    params.granularity === 'layer'
      ? outcome.layers.length
      : outcome.layers.reduce(
          (s, l) => s + rows(l.index).filter((m) => outcome.settings.targets.includes(m.role)).length,
          0,
        );
  const rankBudget = params.rankBudget ?? defaultRankBudget(rankUnits);
  const base = { format, rankUnits, rankBudget };
  let schedule: Schedule;
  try {
    schedule = computeSchedule(use, outcome, rows, params);
  } catch (err) {
    return { ...base, schedule: null, text: null, python: null, chart: null, error: messageOf(err) };
  }
  const chart = scheduleChartModel(schedule);
  // The file can be refused where the schedule exists (a rank of 0 for PEFT, no module names).
  try {
    const text = scheduleExportText(schedule, format);
    const python = schedule.use === 'ranks' ? loraConfigPython(schedule) : null;
    return { ...base, schedule, text, python, chart, error: null };
  } catch (err) {
    return { ...base, schedule, text: null, python: null, chart, error: messageOf(err) };
  }
}

export interface ScheduleState {
  use: ScheduleUse;
  setUse(use: ScheduleUse): void;
  params: ScheduleParams;
  setParams(next: Partial<ScheduleParams>): void;
  /** null for experts (the allocation itself) or while there is no allocation. */
  stage: ScheduleStage | null;
}

/**
 * The page's schedule choice and its stage, held by App so that the panel shows it and "Export allocation
 * JSON" adds its section (as the CLI's `--for … --format json` does). A layer's rows are built once per
 * basis (metrics under another estimator cost a pass): moving a parameter reruns only the schedule.
 */
export function useSchedule(outcome: AllocationOutcome | null, rows: MatrixRowsOf): ScheduleState {
  const [use, setUse] = useState<ScheduleUse>('experts');
  const [params, setAll] = useState<ScheduleParams>(DEFAULT_SCHEDULE_PARAMS);
  const cachedRows = useMemo<MatrixRowsOf>(() => {
    const cache = new Map<number, ReturnType<MatrixRowsOf>>();
    return (index) => {
      let r = cache.get(index);
      if (r === undefined) {
        r = rows(index);
        cache.set(index, r);
      }
      return r;
    };
  }, [rows]);
  const stage = useMemo(
    () => (outcome === null || use === 'experts' ? null : scheduleStageOf(use, outcome, cachedRows, params)),
    [use, outcome, cachedRows, params],
  );
  return { use, setUse, params, setParams: (next) => setAll((p) => ({ ...p, ...next })), stage };
}

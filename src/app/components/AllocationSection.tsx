/**
 * The allocation part of the results: the sliders and chart (AllocationPanel) and the schedule, or, for a
 * model without transformer blocks, why there is no allocation. Apart from the results area because it
 * alone turns the explore stages into the panel's props (its note while waiting, the weak-fit notice).
 */
import type { ReactNode } from 'react';
import { AllocationPanel } from './AllocationPanel';
import { SchedulePanel } from './SchedulePanel';
import { WeakFitNotice } from './WeakFitNotice';
import { allocationNote } from '../state/allocation-readiness';
import { NO_BLOCKS_SENTENCE } from '../state/nothing-planned';
import type { ExploreChoices } from '../state/use-explore-choices';
import type { ExploreStages } from '../state/use-explore-stages';

interface AllocationSectionProps {
  stages: ExploreStages;
  setSettings: ExploreChoices['setSettings'];
  setAlphaRoles: ExploreChoices['setAlphaRoles'];
  /** A finished result: no "appears when every layer has an α" note. */
  finished: boolean;
}

export function AllocationSection({
  stages,
  setSettings,
  setAlphaRoles,
  finished,
}: AllocationSectionProps): ReactNode {
  const { layers, alloc, numLayers } = stages;
  if (stages.noBlocks) {
    return (
      <section className="no-blocks" aria-labelledby="no-blocks-title">
        <h2 id="no-blocks-title">No expert allocation for this model</h2>
        <p>{NO_BLOCKS_SENTENCE}</p>
        <p className="note">
          Below: the ESD of the selected matrix and every analysed matrix with its α and fit quality in the
          table.
        </p>
      </section>
    );
  }
  return (
    <>
      <AllocationPanel
        settings={stages.allocationSettings}
        onChange={(next) => setSettings((s) => ({ ...s, ...next }))}
        numLayers={numLayers}
        budgetMax={stages.budgetMax}
        roles={layers.allRoles}
        chart={alloc.chart}
        warnings={alloc.outcome?.warnings ?? []}
        error={allocationNote(alloc.error, alloc.outcome !== null, finished, layers.alphas, numLayers)}
        trainableParams={alloc.outcome?.trainableParams ?? null}
        rule={alloc.outcome?.rule ?? null}
        notice={
          <WeakFitNotice
            weak={layers.weak}
            unknown={layers.qualityUnknown}
            roles={layers.roles}
            onDropRole={(role) => setAlphaRoles(layers.roles.filter((r) => r !== role))}
          />
        }
      />
      <SchedulePanel {...stages.schedule} modelName={stages.provenance?.model.name ?? 'model'} />
    </>
  );
}

import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { LayerTable } from '../LayerTable';
import { MethodPanel } from '../MethodPanel';
import { MetricsPanel } from '../MetricsPanel';
import { RankSlider } from '../RankSlider';
import { CompareChart } from '../charts/CompareChart';
import { RankChart } from '../charts/RankChart';
import { SizeChart } from '../charts/SizeChart';
import { SpectrumChart } from '../charts/SpectrumChart';
import { ImageWarmup } from '../views/ImageWarmup';
import { useLab } from '../useLab';
import type { LessonPart } from './steps';

/**
 * The lesson's parts as components: each name a step lists in its `parts`
 * (steps.ts) renders the lab's own control or view, so a step shows the
 * same slider and chart the lab does, driving the same store. A missing
 * part does not compile (Record over LessonPart).
 */

/** The selected layer's rank slider alone (the one-layer step), with its table row's cost line. */
function SelectedLayerSlider() {
  const { layers, size, selected } = useLab(useShallow((s) => ({ layers: s.layers, size: s.size, selected: s.selectedLayer })));
  const index = layers.findIndex((l) => l.name === selected);
  const layer = layers[index];
  if (!size || !layer || !layer.factorizable) return null;
  return (
    <section className="lesson-slider" aria-label={`The slider of ${layer.name}`}>
      <RankSlider info={layer} size={size.layers[index]} />
    </section>
  );
}

const PARTS: Record<LessonPart, () => ReactNode> = {
  'image-warmup': () => <ImageWarmup />,
  'layer-slider': () => <SelectedLayerSlider />,
  spectrum: () => <SpectrumChart />,
  'rank-chart': () => <RankChart />,
  'layer-table': () => <LayerTable />,
  metrics: () => <MetricsPanel />,
  'size-chart': () => <SizeChart />,
  'method-panel': () => <MethodPanel />,
  'compare-chart': () => <CompareChart />,
};

/**
 * The parts the normal lab page already shows (the picture warm-up is the Views panel's first tab);
 * in lesson mode without presentation only the others are added beside the text, so no control is on the page twice.
 */
export const PARTS_IN_LAB: ReadonlySet<LessonPart> = new Set<LessonPart>(['image-warmup', 'layer-slider', 'spectrum', 'rank-chart', 'layer-table', 'metrics', 'size-chart', 'method-panel', 'compare-chart']);

/** Renders `parts` in order, each in a wrapper that names it (data-lesson-part) for styling and tests. */
export function LessonParts({ parts }: { parts: readonly LessonPart[] }) {
  return (
    <div className="lesson-parts">
      {parts.map((part) => (
        <div key={part} className={`lesson-part lesson-part-${part}`} data-lesson-part={part}>
          {PARTS[part]()}
        </div>
      ))}
    </div>
  );
}

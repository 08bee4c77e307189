import { useRef, useState, type KeyboardEvent } from 'react';
import { DigitErrors } from './DigitErrors';
import { Heatmaps } from './Heatmaps';
import { ImageWarmup } from './ImageWarmup';
import { SingularImages } from './SingularImages';

/** The teaching views in the order a lesson walks them, with their tab labels. */
const TABS = [
  { id: 'warmup', label: 'Image SVD warm-up', view: ImageWarmup },
  { id: 'singular', label: 'Singular vectors as images', view: SingularImages },
  { id: 'heatmaps', label: 'Weight heatmaps', view: Heatmaps },
  { id: 'digits', label: 'Per-digit errors', view: DigitErrors },
] as const;

type TabId = (typeof TABS)[number]['id'];

/**
 * The teaching views as tabs (WAI-ARIA tabs pattern: arrow keys, Home and
 * End move between tabs, Tab enters the panel). Only the open tab's view is
 * mounted, so the others cost nothing while hidden.
 */
export function ViewsPanel() {
  const [open, setOpen] = useState<TabId>('warmup');
  const refs = useRef<Partial<Record<TabId, HTMLButtonElement | null>>>({});
  const onKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === open);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1 + TABS.length, Home: 0, End: TABS.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    // Keys are the tab list's own: the lab's shortcuts must not see them.
    e.stopPropagation();
    const id = TABS[next % TABS.length].id;
    setOpen(id);
    refs.current[id]?.focus();
  };
  const Current = TABS.find((t) => t.id === open)!.view;
  return (
    <section className="views" aria-labelledby="views-title" data-testid="views">
      <h2 id="views-title">Views</h2>
      <div role="tablist" aria-label="Teaching views" className="views-tabs" onKeyDown={onKey}>
        {TABS.map((t) => (
          <button
            key={t.id} id={`views-tab-${t.id}`} ref={(el) => { refs.current[t.id] = el; }} role="tab" type="button"
            aria-selected={open === t.id} aria-controls={open === t.id ? `views-panel-${t.id}` : undefined} tabIndex={open === t.id ? 0 : -1}
            onClick={() => setOpen(t.id)} data-testid={`views-tab-${t.id}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`views-panel-${open}`} aria-labelledby={`views-tab-${open}`} className="views-panel">
        <Current />
      </div>
    </section>
  );
}

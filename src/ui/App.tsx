import { useContext, useEffect } from 'react';
import { BackendBadge } from './BackendBadge';
import { DropZone } from './DropZone';
import { ErrorBanner } from './ErrorBanner';
import { LayerTable } from './LayerTable';
import { LoadProgress } from './LoadProgress';
import { MetricsPanel } from './MetricsPanel';
import { MethodPanel } from './MethodPanel';
import { ModelPicker } from './ModelPicker';
import { RankChart } from './charts/RankChart';
import { SizeChart } from './charts/SizeChart';
import { SpectrumChart } from './charts/SpectrumChart';
import { CompareChart } from './charts/CompareChart';
import { Staged } from './Staged';
import { LAB_ACTIONS, actionForKey } from './actions';
import { LabStoreContext, useLab } from './useLab';
import { LessonPanel, LessonStartButton, PresentingRootClass } from './lesson/LessonPanel';
import { OfflineStatus } from './OfflineStatus';
import { ShareBar } from './ShareBar';
import { ViewsPanel } from './views/ViewsPanel';

/** The lab's single page: model and backend on top, layers and scores left, charts right. */
export function App() {
  const store = useContext(LabStoreContext)!;
  const phase = useLab((s) => s.phase);
  const modelName = useLab((s) => s.modelName);
  // Presenting a lesson: the lesson panel with the step's own controls takes the lab's place.
  const presenting = useLab((s) => s.presenting && s.lessonStep !== null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = actionForKey(e);
      if (action) {
        e.preventDefault();
        action.perform(store.getState());
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);

  return (
    <DropZone>
      <header className="top">
        <h1>Low-Rank Lab</h1>
        <ModelPicker />
        <BackendBadge />
        <LessonStartButton />
        <OfflineStatus />
      </header>
      <ErrorBanner />
      <LoadProgress />
      {phase === 'booting' && <p className="note" role="status">Starting: loading the bundled MNIST test set and models…</p>}
      {phase === 'failed' && !modelName && <p className="note">No model is open. Pick a bundled model or open model.json with its weight files.</p>}
      <PresentingRootClass />
      {modelName && !presenting && <ShareBar />}
      {/* One place for the lesson in both modes, so toggling presentation keeps the panel (and the focus in it). */}
      {modelName && (
        <div className={presenting ? 'lab-presenting' : 'lesson-slot'} role={presenting ? 'main' : undefined} data-testid={presenting ? 'lab' : undefined} data-model={presenting ? modelName : undefined}>
          <LessonPanel />
        </div>
      )}
      {modelName && !presenting && (
        <main className="lab" data-testid="lab" data-model={modelName}>
          <div className="left">
            <h2>{modelName}: layers</h2>
            <LayerTable />
            <MethodPanel />
            <MetricsPanel />
          </div>
          <div className="right">
            <Staged order={1} height={420}><RankChart /></Staged>
            <Staged order={2} height={400}><SizeChart /></Staged>
            <Staged order={3} height={400}><SpectrumChart /></Staged>
            <Staged order={4} height={200}><CompareChart /></Staged>
          </div>
          <Staged order={5} height={400}><ViewsPanel /></Staged>
        </main>
      )}
      <footer className="shortcuts">
        Keys: {LAB_ACTIONS.map((a) => `${a.key} ${a.label.toLowerCase()}`).join(' · ')} · sliders: arrows, PageUp/PageDown, Home/End
      </footer>
    </DropZone>
  );
}

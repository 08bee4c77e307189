import { useLab } from './useLab';

/** Progress of opening a model (download, SVD per layer, scoring), with Cancel. */
export function LoadProgress() {
  const progress = useLab((s) => s.loadProgress);
  const cancel = useLab((s) => s.cancelLoad);
  if (!progress) return null;
  return (
    <div className="load-progress" role="status" data-testid="load-progress">
      <span>{progress.label}…</span>
      <progress max={Math.max(1, progress.total)} value={progress.done} aria-label={progress.label} />
      <button type="button" onClick={cancel}>Cancel</button>
    </div>
  );
}

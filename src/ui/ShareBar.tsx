import { useEffect, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { PRESETS } from '../store/presets';
import { linkCaveat, shareSearch } from '../store/shareLink';
import { useLab } from './useLab';

/**
 * Sharing and going back: Copy link (the address of what is on screen;
 * where the clipboard is refused, a read-only field with the link selected
 * for Ctrl+C), Undo/Redo of rank and method changes (Ctrl+Z,
 * Ctrl+Shift+Z), Reset to full rank, the teacher presets, and the exports
 * of the rank plan (JSON, for `compress --plan`) and of every evaluation
 * (CSV). A model opened from files gets a line saying the link cannot
 * carry it.
 */
export function ShareBar() {
  const s = useLab(useShallow((st) => ({
    search: shareSearch(st),
    caveat: linkCaveat(st),
    canUndo: st.undoStack.length > 0,
    canRedo: st.redoStack.length > 0,
    ready: st.phase === 'ready',
    evaluations: st.history.length,
  })));
  const actions = useLab(useShallow((st) => ({
    undo: st.undo, redo: st.redo, reset: st.resetConfiguration, applyPreset: st.applyPreset,
    exportPlan: st.exportPlan, exportCsv: st.exportEvaluationsCsv,
  })));
  const [copy, setCopy] = useState<{ status: 'copied' | 'select'; link: string } | null>(null);
  const field = useRef<HTMLInputElement>(null);
  const link = `${window.location.origin}${window.location.pathname}${s.search}`;

  useEffect(() => {
    if (copy?.status === 'select') field.current?.select();
  }, [copy]);
  // A copied link goes stale when the configuration changes.
  useEffect(() => setCopy(null), [s.search]);

  const copyLink = async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(link);
      setCopy({ status: 'copied', link });
    } catch {
      setCopy({ status: 'select', link });
    }
  };

  return (
    <section className="share-bar" aria-label="Share and history" data-testid="share-bar">
      <button type="button" onClick={() => void copyLink()} disabled={!s.ready} data-testid="copy-link">Copy link</button>
      <button type="button" onClick={actions.undo} disabled={!s.canUndo} data-testid="undo" aria-keyshortcuts="Control+Z">Undo</button>
      <button type="button" onClick={actions.redo} disabled={!s.canRedo} data-testid="redo" aria-keyshortcuts="Control+Shift+Z">Redo</button>
      <button type="button" onClick={actions.reset} disabled={!s.ready} data-testid="reset" title="Every layer back to full rank, method svd">Reset</button>
      <label>
        Preset{' '}
        <select value="" onChange={(e) => { if (e.target.value) void actions.applyPreset(e.target.value); }} disabled={!s.ready} data-testid="preset-select">
          <option value="">choose a saved configuration…</option>
          {PRESETS.map((p) => <option key={p.name} value={p.name}>{p.label}</option>)}
        </select>
      </label>
      <button type="button" onClick={actions.exportPlan} disabled={!s.ready} data-testid="export-plan" title="The ranks on screen as JSON, for: npm run cli -- compress --plan plan.json">Export plan (JSON)</button>
      <button type="button" onClick={actions.exportCsv} disabled={s.evaluations === 0} data-testid="export-evaluations">Export evaluations (CSV, {s.evaluations})</button>
      {copy?.status === 'copied' && <span className="note" role="status" data-testid="copy-status">Link copied.</span>}
      {copy?.status === 'select' && (
        <label className="share-link-field">
          <span className="note" role="status">The clipboard is not available here; the link is selected, press Ctrl+C:</span>
          <input ref={field} readOnly value={copy.link} data-testid="share-link-text" aria-label="Share link" onFocus={(e) => e.target.select()} />
        </label>
      )}
      {s.caveat && <p className="note share-caveat" data-testid="link-caveat">{s.caveat}</p>}
    </section>
  );
}

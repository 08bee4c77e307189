import { useShallow } from 'zustand/react/shallow';
import { useLab } from '../useLab';

/*
 * The small controls the teaching views share; each reads and sets the store.
 */

/**
 * Which test image the views reconstruct and compress: a number field (arrow
 * keys step it) over the test images, with the image's true digit beside it.
 */
export function DigitPicker() {
  const index = useLab((s) => s.viewDigit);
  const count = useLab((s) => s.viewSample?.count ?? 0);
  const label = useLab((s) => (s.viewSample && s.viewDigit < s.viewSample.count ? s.viewSample.labels[s.viewDigit] : null));
  const setViewDigit = useLab((s) => s.setViewDigit);
  if (count === 0) return null;
  return (
    <label className="view-control">
      Test image #{' '}
      <input type="number" min={0} max={count - 1} step={1} value={index} onChange={(e) => setViewDigit(Number(e.target.value))} data-testid="view-digit" />
      {label !== null && <span className="view-hint"> (a {label})</span>}
    </label>
  );
}

/**
 * A select of the open model's factorizable layers bound to the store's
 * selected layer (the one the heatmaps and the spectrum draw). Changing it
 * does not change any rank.
 */
export function LayerSelect() {
  const names = useLab(useShallow((s) => s.layers.filter((l) => l.factorizable).map((l) => l.name)));
  const selected = useLab((s) => s.selectedLayer);
  const selectLayer = useLab((s) => s.selectLayer);
  return (
    <label className="view-control">
      Layer{' '}
      <select value={selected ?? ''} onChange={(e) => selectLayer(e.target.value)}>
        {names.map((n) => <option key={n} value={n}>{n}</option>)}
      </select>
    </label>
  );
}

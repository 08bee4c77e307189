import type { FactorizableLayer } from '../model/labModel';
import type { LayerSize } from '../model/plan';
import { formatBytes, formatCount, formatRatio } from './format';
import { useLab } from './useLab';
import { Explain } from './explain/Explain';

/**
 * The rank of one Dense layer: a labelled range input (arrows step 1,
 * PageUp/PageDown step by the browser's default, Home/End jump to 1 and the
 * full rank) with what the rank costs beside it, and ALDS's channel
 * groups when the layer has them (the rank is then each group's). For a kernel decomposed
 * by a top-k SVD the slider ends at k; the layer is dense until moved.
 *
 * The layer becomes the selected one (the spectrum and the sweep follow it)
 * only by a deliberate act: a click on its row, Enter or Space on its
 * slider, or a change of its rank (setRank selects). Tabbing through the
 * sliders only moves focus, so it leaves the charts on the layer chosen.
 */
export function RankSlider({ info, size }: { info: FactorizableLayer; size: LayerSize }) {
  const [m, n] = info.kernelShape;
  const full = Math.min(m, n);
  const top = info.rankLimit;
  const chosen = useLab((s) => s.plan[info.name]);
  const rank = chosen ?? top;
  const selected = useLab((s) => s.selectedLayer === info.name);
  const setRank = useLab((s) => s.setRank);
  const selectLayer = useLab((s) => s.selectLayer);
  const id = `rank-${info.name}`;
  return (
    <div className={selected ? 'rank-slider selected' : 'rank-slider'} data-testid={`slider-row-${info.name}`} onClick={() => selectLayer(info.name)}>
      <label htmlFor={id}>
        Rank of {info.name} <output data-testid={`rank-${info.name}`}>{chosen === undefined && top < full ? 'dense' : rank}</output> / {full}
        {top < full && <small> (top {top} computed: kernel too large for a full SVD)</small>}
        {size.groups > 1 && <small data-testid={`groups-${info.name}`}> · ALDS: k={size.groups} channel groups of {m / size.groups} inputs, j={size.rank ?? 'dense'} each</small>}
      </label>
      <input
        id={id}
        type="range"
        min={1}
        max={top}
        step={1}
        value={rank}
        aria-valuetext={chosen === undefined && top < full ? 'dense, original weights' : `rank ${rank} of ${full}`}
        onKeyDown={(e) => { if (e.key === 'Enter' || e.key === ' ') selectLayer(info.name); }}
        onChange={(e) => setRank(info.name, Number(e.target.value))}
      />
      <span className="cost">
        {formatCount(size.params)} params · {formatBytes(size.bytes)} ·{' '}
        {size.rank === null ? (
          size.keptDense ? <><em className="kept-dense">kept dense</em> <Explain term="kept-dense" /></> : 'full rank'
        ) : (
          <>ratio {formatRatio(size.ratio)}</>
        )}
      </span>
    </div>
  );
}

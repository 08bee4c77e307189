import { selectHeatmaps } from '../../store/viewSelectors';
import { useLab } from '../useLab';
import { ColorBar, heatmapBox, PictureCanvas } from './Pictures';
import { LayerSelect } from './ViewControls';

/**
 * Heatmaps of the selected layer's kernel W, its best rank-k approximation
 * W_k at the layer's slider rank, and what truncation drops, W - W_k, all
 * on one diverging scale (symmetric around 0, saturating at max |W|) with a
 * colour bar. Layers over 256 rows or columns are drawn as block means;
 * the caption gives the block size.
 */
export function Heatmaps() {
  const view = useLab(selectHeatmaps);
  const keptDense = useLab((s) => (view ? s.size?.layers.find((l) => l.name === view.layer)?.keptDense ?? false : false));
  const method = useLab((s) => s.method);
  if (!view) return <p className="note">Heatmaps appear once a model with a factorizable layer is open.</p>;
  const { grid } = view;
  const { m, n } = grid;
  const box = heatmapBox(grid.rows, grid.cols, 260);
  const blocks = grid.blockRows === 1 && grid.blockCols === 1
    ? `one cell per weight (${m} x ${n})`
    : `${grid.rows} x ${grid.cols} cells, each the mean of a block of ${grid.blockRows} x ${grid.blockCols} weights of the ${m} x ${n} matrix`;
  const panel = (title: string, which: 'w' | 'wk' | 'residual', what: string) => (
    <figure className="heatmap">
      <PictureCanvas picture={view[which]} scale={1} box={box} label={`${title} of ${view.layer}: ${what}`} testId={`heatmap-${which}`} />
      <figcaption>{title}</figcaption>
    </figure>
  );
  return (
    <section className="view heatmaps" aria-label="Weight heatmaps" data-testid="heatmaps" data-rank={view.k}>
      <LayerSelect />
      <p className="view-caption">
        Rows are the layer&apos;s {view.rowsAre}, columns its {n} outputs: {blocks}. Rank k = {view.k} of {view.r} (the layer&apos;s slider);
        W_k is the best rank-k approximation (plain SVD), and W − W_k is what it leaves out: ||W − W_k||_F / ||W||_F = {view.relativeError.toFixed(4)}.
      </p>
      {keptDense && <p className="note">At rank {view.k} the factors would not be smaller than W (k(m + n) ≥ mn), so the model keeps this layer dense; W_k is drawn for comparison.</p>}
      {method !== 'svd' && <p className="note">The method on screen is {method}; these heatmaps show plain SVD&apos;s W_k.</p>}
      <div className="heatmap-row">
        {panel('W', 'w', 'the original weights')}
        {panel(`W_k, k = ${view.k}`, 'wk', `rank ${view.k} approximation`)}
        {panel('W − W_k', 'residual', `what rank ${view.k} drops`)}
      </div>
      <ColorBar stops={view.stops} caption={`One scale for all three: blue negative, white 0, red positive, saturating at ±max |W| = ${view.maxAbs.toPrecision(3)}${grid.blockRows * grid.blockCols > 1 ? ' (of the block means)' : ''}.`} />
    </section>
  );
}

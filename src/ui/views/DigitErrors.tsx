import { DIGIT_GRID_LIMIT, selectDigitErrors } from '../../store/digitSelectors';
import { formatCount } from '../format';
import { useLab } from '../useLab';
import { PictureCanvas } from './Pictures';

/**
 * The per-digit view of the configuration on screen: the test digits the
 * compressed model now gets wrong that the original got right (a grid of
 * the first DIGIT_GRID_LIMIT, with the count of all), each with its true
 * label, the original's and the compressed model's prediction; and the
 * compressed model's confusion matrix as a table. Only for a model scored
 * against MNIST labels.
 */
export function DigitErrors() {
  const view = useLab(selectDigitErrors);
  if (!view) return <p className="note">The per-digit view appears once a model is open.</p>;
  if (view.status === 'not-applicable') return <p className="note" data-testid="digit-errors-na">The per-digit view does not apply to this model: {view.why}.</p>;
  if (view.status === 'pending') return <p className="note" role="status" data-testid="digit-errors-pending">Scoring the configuration on screen…</p>;
  return (
    <section className="view digit-errors" aria-label="Per-digit view" data-testid="digit-errors" data-count={view.count}>
      <p className="view-caption">
        Configuration: <code data-testid="digit-errors-config">{view.config}</code>. Of {formatCount(view.total)} test digits,{' '}
        <strong data-testid="digit-errors-count">{formatCount(view.count)}</strong> are wrong now that the original model got right
        {view.count > view.shown.length ? ` (the first ${DIGIT_GRID_LIMIT} shown)` : ''}.
      </p>
      {view.shown.length > 0 ? (
        <ul className="digit-grid" aria-label="Digits the compressed model now gets wrong">
          {view.shown.map((d) => (
            <li key={d.index} className="digit-card" data-testid="digit-error">
              <PictureCanvas picture={d} scale={2} label={`Test image ${d.index}: a ${d.label}; the original said ${d.original}, the compressed model says ${d.compressed}`} />
              <span className="digit-card-text">#{d.index}<br />true {d.label} · was {d.original} · now <strong>{d.compressed}</strong></span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="note">None: every digit the original got right, the compressed model gets right too.</p>
      )}
      <ConfusionTable confusion={view.confusion} shades={view.shades} />
    </section>
  );
}

/**
 * A 10 x 10 confusion matrix as an HTML table (rows the true digit, columns
 * the predicted one; header cells scoped for screen readers), each cell
 * shaded by the square root of its share of its row (from the store) so that the diagonal and the common
 * confusions stand out; the counts are the cells' text.
 */
export function ConfusionTable({ confusion, shades }: { confusion: Int32Array; shades: Float64Array }) {
  const digits = Array.from({ length: 10 }, (_, i) => i);
  return (
    <div className="confusion" tabIndex={0} role="region" aria-label="Confusion matrix">
      <table data-testid="confusion-matrix">
        <caption>Confusion matrix of the compressed model: rows are the true digit, columns the predicted one (counts; the darker, the larger its share of the row).</caption>
        <thead>
          <tr>
            <th scope="col">true \ predicted</th>
            {digits.map((p) => <th key={p} scope="col">{p}</th>)}
          </tr>
        </thead>
        <tbody>
          {digits.map((t) => (
            <tr key={t}>
              <th scope="row">{t}</th>
              {digits.map((p) => {
                const shade = shades[10 * t + p];
                // Past 0.6 the cell is solid, with white text: between the two neither dark nor white text has 4.5:1 contrast.
                const solid = shade > 0.6;
                return (
                  <td key={p} className={solid ? 'dark' : undefined} style={{ background: `rgb(33 102 172 / ${solid ? 1 : shade.toFixed(3)})` }}>
                    {confusion[10 * t + p]}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

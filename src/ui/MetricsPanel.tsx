import { useShallow } from 'zustand/react/shallow';
import { selectPlanKey } from '../store/selectors';
import { selectStoredSize, storedSizeText } from '../store/sizeSelectors';
import { formatBytes, formatPercent } from './format';
import { methodChoice } from '../store/catalog';
import { useLab } from './useLab';
import { Explain } from './explain/Explain';

/**
 * The compressed model's scores on the 10,000 test images, shown only when
 * they belong to the ranks on screen; while a newer evaluation runs the
 * values read "…". Also the download, with the real size of its files.
 */
export function MetricsPanel() {
  const s = useLab(useShallow((st) => ({
    current: st.current, original: st.original, evaluating: st.evaluating,
    key: selectPlanKey(st), exporting: st.exporting, lastDownload: st.lastDownload,
    ready: st.phase === 'ready' || st.phase === 'loading',
    method: st.method, stored: selectStoredSize(st), noAccuracy: st.noAccuracy, scoredOn: st.scoredOn, nonFinite: st.nonFinite,
  })));
  const download = useLab((st) => st.download);
  const result = s.current && s.current.key === s.key ? s.current.result : null;
  // A configuration whose numbers came out NaN or Infinity reads "not a number", never a figure.
  const notANumber = s.nonFinite?.key === s.key;
  const show = (f: (r: NonNullable<typeof result>) => string) => (result ? f(result) : notANumber ? 'not a number' : '…');
  // One size source (storedSize): the same words as the layer table's total and the size chart's points.
  const size = storedSizeText(s.stored, formatBytes);
  return (
    <section className="metrics" aria-label="Scores" aria-busy={s.evaluating}>
      <dl>
        {s.noAccuracy ? (
          <div><dt>Accuracy <Explain term="accuracy" /></dt><dd data-testid="accuracy-na" aria-describedby="no-accuracy-reason">n/a</dd></div>
        ) : (
          <>
            <div><dt>Accuracy <Explain term="accuracy" /></dt><dd data-testid="accuracy">{show((r) => formatPercent(r.accuracy))}</dd></div>
            <div><dt>Original <Explain term="original-accuracy" /></dt><dd data-testid="original-accuracy">{s.original ? formatPercent(s.original.accuracy) : '…'}</dd></div>
          </>
        )}
        <div><dt>Agreement with original <Explain term="agreement" /></dt><dd data-testid="agreement">{show((r) => formatPercent(r.agreement))}</dd></div>
        <div><dt>Output cosine similarity <Explain term="output-cosine" /></dt><dd data-testid="output-cosine">{show((r) => r.outputCosine.toFixed(4))}</dd></div>
        <div><dt>Relative logit error <Explain term="logit-error" /></dt><dd data-testid="logit-error">{show((r) => r.relativeLogitError.toFixed(4))}</dd></div>
        {s.method === 'svd' && (
          <div>
            <dt>Lipschitz bound on it <Explain term="lipschitz-bound" /></dt>
            <dd data-testid="lipschitz-bound">{show((r) => (typeof r.lipschitzBound === 'number' ? r.lipschitzBound.toFixed(4) : 'n/a: a layer has no known Lipschitz constant'))}</dd>
          </div>
        )}
      </dl>
      {s.noAccuracy && <p className="note" id="no-accuracy-reason" data-testid="no-accuracy-reason">Accuracy does not apply: {s.noAccuracy}.</p>}
      <p className="note" data-testid={notANumber ? 'not-a-number' : undefined}>{result ? `on ${result.count.toLocaleString('en-US')} ${s.scoredOn ?? 'MNIST test images'}` : notANumber ? s.nonFinite!.message : 'evaluating…'}</p>
      {s.method !== 'svd' && result && (
        <p className="note" data-testid="method-bytes">
          {s.method} stores <span data-testid="method-stored-size">{size.amount}</span>{size.packing}{size.file ? `; ${size.file}.` : methodChoice(s.method).storage}
        </p>
      )}
      {s.method === 'svd' && size.file && result && <p className="note" data-testid="download-extra">{size.file}.</p>}
      <button type="button" onClick={() => void download()} disabled={!s.ready || s.exporting} data-testid="download">
        {s.exporting ? 'Preparing…' : 'Download compressed model'}
      </button>
      {s.lastDownload && (
        <p className="note" data-testid="download-size">
          {s.lastDownload.key === s.key ? 'Downloaded' : 'Last download'}: {formatBytes(s.lastDownload.bytes)} ({s.lastDownload.bytes.toLocaleString('en-US')} bytes, model.json + weights)
          {' '}in <span data-testid="download-name">{s.lastDownload.fileName}</span>: weights file{' '}
          <span data-testid="download-weights">{formatBytes(s.lastDownload.weightBytes)}</span>, model.json {formatBytes(s.lastDownload.jsonBytes)}
        </p>
      )}
    </section>
  );
}

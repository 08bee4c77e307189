import { useShallow } from 'zustand/react/shallow';
import { selectDownloadExtraBytes, selectPlanKey } from '../store/selectors';
import { formatBytes, formatPercent } from './format';
import { methodChoice } from '../store/catalog';
import { useLab } from './useLab';

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
    method: st.method, extra: selectDownloadExtraBytes(st), noAccuracy: st.noAccuracy, scoredOn: st.scoredOn,
  })));
  const download = useLab((st) => st.download);
  const result = s.current && s.current.key === s.key ? s.current.result : null;
  const show = (f: (r: NonNullable<typeof result>) => string) => (result ? f(result) : '…');
  return (
    <section className="metrics" aria-label="Scores" aria-busy={s.evaluating}>
      <dl>
        {s.noAccuracy ? (
          <div><dt>Accuracy</dt><dd data-testid="accuracy-na" aria-describedby="no-accuracy-reason">n/a</dd></div>
        ) : (
          <>
            <div><dt>Accuracy</dt><dd data-testid="accuracy">{show((r) => formatPercent(r.accuracy))}</dd></div>
            <div><dt>Original</dt><dd data-testid="original-accuracy">{s.original ? formatPercent(s.original.accuracy) : '…'}</dd></div>
          </>
        )}
        <div><dt title="Share of inputs where the compressed model's top class is the original's">Agreement with original</dt><dd data-testid="agreement">{show((r) => formatPercent(r.agreement))}</dd></div>
        <div><dt title="Mean over the inputs of the cosine similarity between the compressed and the original model's outputs (before a final softmax)">Output cosine similarity</dt><dd data-testid="output-cosine">{show((r) => r.outputCosine.toFixed(4))}</dd></div>
        <div><dt>Relative logit error</dt><dd data-testid="logit-error">{show((r) => r.relativeLogitError.toFixed(4))}</dd></div>
        {s.method === 'svd' && (
          <div>
            <dt title="NN-SVD: sum over truncated layers of s_(k+1) times that layer's input norm times the spectral norms of the layers after it, over the original logits' norm">Lipschitz bound on it</dt>
            <dd data-testid="lipschitz-bound">{show((r) => (typeof r.lipschitzBound === 'number' ? r.lipschitzBound.toFixed(4) : 'n/a: a layer has no known Lipschitz constant'))}</dd>
          </div>
        )}
      </dl>
      {s.noAccuracy && <p className="note" id="no-accuracy-reason" data-testid="no-accuracy-reason">Accuracy does not apply: {s.noAccuracy}.</p>}
      <p className="note">{result ? `on ${result.count.toLocaleString('en-US')} ${s.scoredOn ?? 'MNIST test images'}` : 'evaluating…'}</p>
      {s.method !== 'svd' && result && (
        <p className="note" data-testid="method-bytes">
          {s.method} stores {formatBytes(s.current!.bytes)}{methodChoice(s.method).storage}
        </p>
      )}
      {s.extra > 0 && result && (
        <p className="note" data-testid="download-extra">
          The download&apos;s weights take {formatBytes(s.current!.bytes + s.extra)}, not {formatBytes(s.current!.bytes)}: TF.js has no grouped
          convolution, so a Conv2D&apos;s channel groups are written as a depthwise convolution and a 1×1 convolution that repeats
          each group&apos;s second factor for every input channel of the group.
        </p>
      )}
      <button type="button" onClick={() => void download()} disabled={!s.ready || s.exporting} data-testid="download">
        {s.exporting ? 'Preparing…' : 'Download compressed model'}
      </button>
      {s.lastDownload && (
        <p className="note" data-testid="download-size">
          {s.lastDownload.key === s.key ? 'Downloaded' : 'Last download'}: {formatBytes(s.lastDownload.bytes)} ({s.lastDownload.bytes.toLocaleString('en-US')} bytes, model.json + weights)
        </p>
      )}
    </section>
  );
}

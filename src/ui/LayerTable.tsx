import { useShallow } from 'zustand/react/shallow';
import { RankSlider } from './RankSlider';
import { formatBytes, formatCount, formatRatio } from './format';
import { useLab } from './useLab';
import { selectStoredSize, storedSizeText } from '../store/sizeSelectors';
import { Explain } from './explain/Explain';

/**
 * Every layer of the model: its kernel shape and parameter count, a rank
 * slider where it can be factorized, and otherwise the reason it is left as
 * it is. The last row totals the model under the current ranks.
 */
export function LayerTable() {
  const { layers, size, stored } = useLab(useShallow((s) => ({ layers: s.layers, size: s.size, stored: selectStoredSize(s) })));
  if (!size || layers.length === 0) return null;
  return (
    <table className="layer-table" data-testid="layers">
      <thead>
        <tr><th>Layer</th><th>Type</th><th>Kernel</th><th>Params <Explain term="params" /></th><th>Rank <Explain term="rank" /></th></tr>
      </thead>
      <tbody>
        {layers.map((info, i) => (
          <tr key={info.name}>
            <td>{info.name}</td>
            <td>{info.className}{info.activation ? ` (${info.activation})` : ''}</td>
            <td>{info.kernelShape ? kernelText(info.weightShape, info.kernelShape) : '—'}</td>
            <td>{formatCount(info.params)}</td>
            <td>
              {info.factorizable
                ? <RankSlider info={info} size={size.layers[i]} />
                : <span className="reason">left as is: {info.reason}</span>}
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr data-testid="total">
          <td colSpan={3}>Whole model</td>
          <td>{formatCount(size.params)} / {formatCount(size.originalParams)}</td>
          <td>
            <span data-testid="stored-size">{storedSizeText(stored, formatBytes).amount}</span> of {formatBytes(stored.originalBytes)} stored{storedSizeText(stored, formatBytes).packing} <Explain term="bytes" /> · {formatRatio(size.ratio)} fewer parameters <Explain term="ratio" />
            {stored.fileBytes !== stored.bytes && <div className="note" data-testid="stored-file-size">{storedSizeText(stored, formatBytes).file}</div>}
          </td>
        </tr>
      </tfoot>
    </table>
  );
}

/** A kernel's shape, and the matrix it is factorized as where that differs (a convolution's kh x kw x c_in x c_out is (c_in kh kw) x c_out). */
function kernelText(stored: readonly number[], matrix: readonly [number, number]): string {
  const asMatrix = `${matrix[0]}×${matrix[1]}`;
  return stored.length === 2 ? asMatrix : `${stored.join('×')} as ${asMatrix}`;
}

import { useRef, type ChangeEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useLab } from './useLab';

/**
 * Choosing the model: the bundled ones in a select, or the user's own
 * model.json plus shards through a file picker (drag-and-drop onto the page
 * is handled by DropZone). Files are read locally and never uploaded.
 */
export function ModelPicker() {
  const { bundled, modelId, modelName, phase } = useLab(useShallow((s) => ({
    bundled: s.bundled, modelId: s.modelId, modelName: s.modelName, phase: s.phase,
  })));
  const openModel = useLab((s) => s.openModel);
  const inputScale = useLab((s) => s.inputScale);
  const setInputScale = useLab((s) => s.setInputScale);
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  const onSelect = (e: ChangeEvent<HTMLSelectElement>) => {
    if (e.target.value) void openModel({ kind: 'bundled', id: e.target.value });
  };
  const onFiles = (e: ChangeEvent<HTMLInputElement>) => {
    const files = Array.from(e.target.files ?? []);
    e.target.value = '';
    // A folder's files carry their path below it ("my-cnn/model.json"); picked files carry none.
    if (files.length > 0) void openModel({ kind: 'files', files });
  };

  return (
    <div className="model-picker">
      <label>
        Model{' '}
        <select value={modelId ?? ''} onChange={onSelect} disabled={phase === 'booting'} data-testid="model-select">
          {modelId === null && <option value="">{modelName ?? 'choose…'}</option>}
          {bundled.map((b) => (
            <option key={b.id} value={b.id}>{b.name} ({(100 * b.testAccuracy).toFixed(2)}%)</option>
          ))}
        </select>
      </label>
      {inputScale && (
        <label title={`How the images are fed to the model: ${inputScale.how}`}>
          Input pixels{' '}
          <select
            value={inputScale.scale}
            onChange={(e) => void setInputScale(e.target.value === '255' ? 255 : 1)}
            disabled={phase !== 'ready'}
            data-testid="input-scale"
          >
            <option value={1}>0–1</option>
            <option value={255}>0–255</option>
          </select>{' '}
          <span className="note" data-testid="input-scale-how">({inputScale.how.split(/[:;]/)[0]})</span>
        </label>
      )}
      <button type="button" onClick={() => fileInput.current?.click()}>Open model files…</button>
      <button type="button" onClick={() => folderInput.current?.click()}>Open model folder…</button>
      {/* No accept filter: the converter often writes weight shards without an extension (group1-shard1of1). */}
      <input ref={fileInput} type="file" multiple hidden onChange={onFiles} data-testid="file-input" />
      <input ref={folderInput} type="file" multiple hidden onChange={onFiles} data-testid="folder-input" {...{ webkitdirectory: '' }} />
    </div>
  );
}

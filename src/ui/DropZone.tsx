import { useState, type DragEvent, type ReactNode } from 'react';
import { useLab } from './useLab';
import { droppedEntries } from './droppedFiles';

/** Accepts model.json + shards, or the folder holding them, dropped anywhere on the page. */
export function DropZone({ children }: { children: ReactNode }) {
  const openModel = useLab((s) => s.openModel);
  const reportError = useLab((s) => s.reportError);
  const [over, setOver] = useState(false);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const read = droppedEntries(e.dataTransfer);
    void read().then(({ files, folder }) => {
      if (files.length > 0) void openModel({ kind: 'files', files, folder });
    }, (err: unknown) => reportError(`The dropped folder could not be read: ${err instanceof Error ? err.message : String(err)}`));
  };
  return (
    <div
      className={over ? 'drop-zone over' : 'drop-zone'}
      onDragOver={(e) => { e.preventDefault(); setOver(true); }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      {over && <div className="drop-hint">Drop model.json and its weight files, or their folder, to open them</div>}
      {children}
    </div>
  );
}

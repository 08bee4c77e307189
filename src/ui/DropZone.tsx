import { useState, type DragEvent, type ReactNode } from 'react';
import { useLab } from './useLab';

/** Accepts model.json + shards dropped anywhere on the page. */
export function DropZone({ children }: { children: ReactNode }) {
  const openModel = useLab((s) => s.openModel);
  const [over, setOver] = useState(false);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const files = Array.from(e.dataTransfer.files);
    if (files.length > 0) void openModel({ kind: 'files', files });
  };
  return (
    <div
      className={over ? 'drop-zone over' : 'drop-zone'}
      onDragOver={(e) => { e.preventDefault(); setOver(true); }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      {over && <div className="drop-hint">Drop model.json and its .bin files to open them</div>}
      {children}
    </div>
  );
}

import { describe, expect, it } from 'vitest';
import { droppedEntries } from '../../src/ui/droppedFiles';

/**
 * What a drop hands to openModel. Node has no DataTransfer or file-system
 * entries, so the browser's entry API is stood in for by plain objects that
 * behave as Chromium's do: readEntries hands the listing over in batches
 * and an empty batch ends it.
 */

function fileEntry(file: File): FileSystemFileEntry {
  return { isFile: true, isDirectory: false, name: file.name, file: (ok: (f: File) => void) => ok(file) } as unknown as FileSystemFileEntry;
}

function folderEntry(name: string, children: FileSystemEntry[], batch = 2): FileSystemDirectoryEntry {
  return {
    isFile: false,
    isDirectory: true,
    name,
    createReader: () => {
      let at = 0;
      return { readEntries: (ok: (e: FileSystemEntry[]) => void) => { ok(children.slice(at, at + batch)); at += batch; } };
    },
  } as unknown as FileSystemDirectoryEntry;
}

function dataTransfer(entries: FileSystemEntry[], files: File[]): DataTransfer {
  return { items: entries.map((e) => ({ webkitGetAsEntry: () => e })), files } as unknown as DataTransfer;
}

describe('dropped files', () => {
  it('opens the files themselves when files were dropped', async () => {
    const files = [new File(['{}'], 'model.json'), new File([new Uint8Array(4)], 'group1-shard1of1')];
    const got = await droppedEntries(dataTransfer(files.map(fileEntry), files))();
    expect(got).toEqual({ files });
  });

  it('reads every batch of a dropped folder, keeps its files (not its subfolders) and names the folder', async () => {
    const inside = ['model.json', 'group1-shard1of2', 'group1-shard2of2', 'notes.txt'].map((n) => new File(['x'], n));
    const folder = folderEntry('my-cnn', [...inside.slice(0, 2).map(fileEntry), folderEntry('old', []), ...inside.slice(2).map(fileEntry)]);
    // A dropped folder appears in dt.files as one unreadable entry of its own: it must not be what is opened.
    const got = await droppedEntries(dataTransfer([folder], [new File([], 'my-cnn')]))();
    expect(got.folder).toBe('my-cnn');
    expect(got.files.map((f) => f.name)).toEqual(['model.json', 'group1-shard1of2', 'group1-shard2of2', 'notes.txt']);
  });
});

/**
 * What was dropped on the page: the files, or, when one folder was dropped,
 * the files directly inside it and the folder's name (the model's name; see
 * modelNameFor). Read the entries in the drop handler itself: the browser
 * empties the DataTransfer once the event is over.
 */
export function droppedEntries(dt: DataTransfer): () => Promise<{ files: File[]; folder?: string }> {
  const entries = Array.from(dt.items ?? []).map((item) => item.webkitGetAsEntry?.() ?? null);
  const only = entries.length === 1 ? entries[0] : null;
  const files = Array.from(dt.files);
  if (!only?.isDirectory) return async () => ({ files });
  const folder = only as FileSystemDirectoryEntry;
  return async () => ({ files: await filesIn(folder), folder: folder.name });
}

/** The files directly inside `dir` (not in its subfolders). */
async function filesIn(dir: FileSystemDirectoryEntry): Promise<File[]> {
  const reader = dir.createReader();
  const entries: FileSystemEntry[] = [];
  // readEntries hands the listing over in batches; an empty batch ends it.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    entries.push(...batch);
  }
  const fileEntries = entries.filter((e): e is FileSystemFileEntry => e.isFile);
  return Promise.all(fileEntries.map((e) => new Promise<File>((resolve, reject) => e.file(resolve, reject))));
}

import { storedSize, type StoredSize } from '../model/storedSize';
import { memoLast } from './memo';
import type { LabState } from './types';

/**
 * The stored size of the configuration on screen, for the layer table's
 * total, the metrics note and the download line: all three read this one
 * selector (storedSize in the model layer), as the size chart's points do
 * through the evaluation's bytes. Memoized on the store fields it reads,
 * so a component can select it without a new object on every render.
 */

const storedSizeOf = memoLast(storedSize);

/** StoredSize of the ranks, method and groups on screen. */
export function selectStoredSize(state: Pick<LabState, 'layers' | 'plan' | 'method' | 'groups'>): StoredSize {
  return storedSizeOf(state.layers, state.plan, state.method, state.groups);
}

/**
 * The stored size in words: `amount` ("11.4 KiB"), `packing` (" (int4, two
 * values a byte)", '' for float weights) and, only where the download's
 * weights file differs from it, `file` ("the download's weights file holds
 * 20.2 KiB: TF.js has no 4-bit weights, ..."). Bytes are written by
 * `formatSizeBytes` (the UI's formatter).
 */
export function storedSizeText(size: StoredSize, formatSizeBytes: (bytes: number) => string): { amount: string; packing: string; file: string | null } {
  const packing = size.bits === 4 ? ' (int4, two values a byte)' : size.bits === 8 ? ' (int8)' : '';
  const amount = formatSizeBytes(size.bytes);
  if (size.fileBytes === size.bytes) return { amount, packing, file: null };
  const why = size.bits === 4
    ? 'TF.js has no 4-bit weights, so the file stores one byte per int4 value, and the per-channel scales go in BatchNormalization layers (with a mean and a variance each)'
    : size.bits === 8
      ? 'the per-channel scales go in BatchNormalization layers, which also store a mean and a variance per channel'
      : 'TF.js has no grouped convolution, so the file repeats each group\'s second factor for every input channel of the group';
  return { amount, packing, file: `the download's weights file holds ${formatSizeBytes(size.fileBytes)}: ${why}` };
}

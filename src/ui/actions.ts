import type { LabState } from '../store/types';

/**
 * Things a user can do from a button and from the keyboard, as data: the
 * shortcut handler and the help text read the same list.
 */
export interface LabAction {
  name: string;
  label: string;
  /** Human-readable key, shown in the shortcut help. */
  key: string;
  keyTest(e: KeyboardEvent): boolean;
  perform(state: LabState): void;
}

const plain = (e: KeyboardEvent) => !e.ctrlKey && !e.metaKey && !e.altKey;

/** The lab's keyboard actions, in the order the shortcut help lists them. */
export const LAB_ACTIONS: readonly LabAction[] = [
  {
    name: 'sweep', label: 'Sweep the selected layer', key: 'S',
    keyTest: (e) => plain(e) && e.key.toLowerCase() === 's',
    perform: (s) => void s.startSweep(),
  },
  {
    name: 'cancel', label: 'Cancel the running load, sweep, rank rule search or comparison', key: 'Esc',
    keyTest: (e) => e.key === 'Escape',
    perform: (s) => { s.cancelSweep(); s.cancelLoad(); s.cancelRule(); s.cancelCompare(); },
  },
  {
    name: 'download', label: 'Download the compressed model', key: 'D',
    keyTest: (e) => plain(e) && e.key.toLowerCase() === 'd',
    perform: (s) => void s.download(),
  },
  {
    name: 'undo', label: 'Undo the last rank or method change', key: 'Ctrl+Z',
    keyTest: (e) => (e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z',
    perform: (s) => s.undo(),
  },
  {
    name: 'redo', label: 'Redo it', key: 'Ctrl+Shift+Z',
    keyTest: (e) => (e.ctrlKey || e.metaKey) && !e.altKey && ((e.shiftKey && e.key.toLowerCase() === 'z') || (!e.shiftKey && e.key.toLowerCase() === 'y')),
    perform: (s) => s.redo(),
  },
];

/** The action a key press triggers, ignoring presses inside text fields and selects. */
export function actionForKey(e: KeyboardEvent): LabAction | undefined {
  const target = e.target as HTMLElement | null;
  const tag = target?.tagName;
  if (tag === 'SELECT' || tag === 'TEXTAREA' || (tag === 'INPUT' && (target as HTMLInputElement).type !== 'range')) return undefined;
  return LAB_ACTIONS.find((a) => a.keyTest(e));
}

import { useEffect, useId, useRef, useState, type FocusEvent, type KeyboardEvent } from 'react';
import { termOf, type TermName } from './glossary';

/**
 * A "?" button next to a number that opens a short explanation of it from
 * the glossary (what it is, its formula, how to read it). A disclosure:
 * the button says whether the panel is open (aria-expanded) and which panel
 * it opens (aria-controls); opening moves focus into the panel so a screen
 * reader reads it, and Esc or the close button shuts it and puts focus back
 * on the button. Esc here stops at the panel: the lab's own Esc (cancel the
 * running work, src/ui/actions.ts) is not triggered by closing an
 * explanation. Focus leaving the button and panel closes it too, so at most
 * one is open while tabbing. Spans only, so it fits inside a <p> or <dt>. The panel sits fixed at the bottom of the
 * window: it never widens the page, on a phone or at 200% zoom.
 */
export function Explain({ term }: { term: TermName }) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLSpanElement>(null);
  const entry = termOf(term);

  useEffect(() => {
    if (open) panel.current?.focus();
  }, [open]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Escape' || !open) return;
    e.preventDefault();
    e.stopPropagation();
    close();
  };
  const onBlur = (e: FocusEvent<HTMLSpanElement>) => {
    if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOpen(false);
  };

  return (
    <span className="explain" onKeyDown={onKeyDown} onBlur={onBlur} data-term={term}>
      <button
        ref={button}
        type="button"
        className="explain-button"
        aria-label={`What is ${entry.label}?`}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
        data-testid={`explain-${term}`}
      >
        ?
      </button>
      <span
        ref={panel}
        id={panelId}
        className="explain-panel"
        role="dialog"
        aria-label={`${entry.label}: explanation`}
        tabIndex={-1}
        hidden={!open}
        data-testid={`explain-panel-${term}`}
      >
        <strong className="explain-line">{entry.label}</strong>
        <span className="explain-line">{entry.what}</span>
        <span className="explain-line"><span className="explain-key">Formula: </span><code>{entry.formula}</code></span>
        <span className="explain-line"><span className="explain-key">How to read it: </span>{entry.read}</span>
        <button type="button" className="explain-close" onClick={close}>Close</button>
      </span>
    </span>
  );
}

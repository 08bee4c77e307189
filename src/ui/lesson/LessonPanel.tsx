import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { LESSON_STEP_IDS, lessonStepId } from '../../store/lessonSlice';
import { useLab } from '../useLab';
import { LessonParts, PARTS_IN_LAB } from './parts';
import { LESSON_STEPS } from './steps';

/**
 * The lesson beside the lab: the step's title, what to do, what to notice
 * and a question, with Previous / Next, a Present toggle and Exit. While
 * presenting, the step's own controls and views are shown here and nothing
 * else of the lab (App hides the rest); otherwise the lab is on screen as
 * usual, with every part the step uses, and the text points to it.
 *
 * Keyboard: the buttons (Tab, Enter, Space), and ArrowRight / ArrowLeft for
 * Next / Previous when focus is not in a slider, field or menu, where the
 * arrows already mean something. Esc is left alone: it cancels running work
 * (src/ui/actions.ts). Previous and Next stay focusable at the ends of the
 * lesson (aria-disabled), so focus is never dropped on the page body.
 */
export function LessonPanel() {
  const s = useLab(useShallow((st) => ({
    step: st.lessonStep, presenting: st.presenting, next: st.nextStep, prev: st.prevStep,
    exit: st.exitLesson, setPresenting: st.setPresenting,
  })));
  const id = lessonStepId(s.step);

  useEffect(() => {
    if (id === null) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey) return;
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      const target = e.target as HTMLElement | null;
      if (target && (['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName) || target.isContentEditable || target.closest('[role="slider"], [role="listbox"], [role="menu"], [role="tablist"]'))) return;
      e.preventDefault();
      if (e.key === 'ArrowRight') s.next();
      else s.prev();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [id, s.next, s.prev]);

  if (id === null || s.step === null) return null;
  const text = LESSON_STEPS[id];
  const first = s.step === 0;
  const last = s.step === LESSON_STEP_IDS.length - 1;
  const parts = s.presenting ? text.parts : text.parts.filter((p) => !PARTS_IN_LAB.has(p));
  return (
    <section className="lesson" aria-labelledby="lesson-title" data-testid="lesson" data-step={id}>
      <div className="lesson-text">
        <p className="lesson-count" aria-live="polite">Lesson step {s.step + 1} of {LESSON_STEP_IDS.length}</p>
        <h2 id="lesson-title" data-testid="lesson-title">{text.title}</h2>
        <p><strong>Do: </strong><span data-testid="lesson-do">{text.doThis}</span></p>
        <p><strong>Notice: </strong>{text.notice}</p>
        <p><strong>Ask: </strong><em>{text.question}</em></p>
        {!s.presenting && <p className="note">The step&apos;s controls are in the lab below{id === 'warmup' ? ' (Views: Image SVD warm-up)' : ''}; Present shows them alone, in large type.</p>}
        <nav className="lesson-nav" aria-label="Lesson steps">
          <button type="button" onClick={() => { if (!first) s.prev(); }} aria-disabled={first} data-testid="lesson-prev">← Previous</button>
          <button type="button" onClick={() => { if (!last) s.next(); }} aria-disabled={last} data-testid="lesson-next">Next →</button>
          <button type="button" onClick={() => s.setPresenting(!s.presenting)} aria-pressed={s.presenting} data-testid="lesson-present">
            {s.presenting ? 'Stop presenting' : 'Present'}
          </button>
          <button type="button" onClick={s.exit} data-testid="lesson-exit">Exit lesson</button>
        </nav>
      </div>
      {parts.length > 0 && <LessonParts parts={parts} />}
    </section>
  );
}

/** The header's button that starts the lesson at its first step (hidden while one runs). */
export function LessonStartButton() {
  const { running, start } = useLab(useShallow((st) => ({ running: st.lessonStep !== null, start: st.startLesson })));
  if (running) return null;
  return <button type="button" className="lesson-start" onClick={() => start(0)} data-testid="lesson-start">Lesson</button>;
}

/**
 * Keeps the `presenting` class on the document root in step with the store,
 * so the stylesheet can enlarge the type (rem units follow the root) and
 * hide the lab's chrome while presenting. Renders nothing.
 */
export function PresentingRootClass() {
  const presenting = useLab((st) => st.presenting && st.lessonStep !== null);
  useEffect(() => {
    document.documentElement.classList.toggle('presenting', presenting);
    return () => document.documentElement.classList.remove('presenting');
  }, [presenting]);
  return null;
}

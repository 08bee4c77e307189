import type { LabState, LessonSlice } from './types';

/**
 * Lesson mode: a short guided walk a teacher can take a class through
 * (warm-up on an image, one layer, all layers, the methods), and a
 * presentation mode that shows only the step's own controls in large type.
 * The store holds which step is on screen and whether the lab is presenting;
 * the steps' words live in src/ui/lesson/. Entering a step configures the
 * lab for it (the "one layer" step selects the first layer that has a rank),
 * so a link to a step opens the same screen as walking to it.
 */

/** The lesson's steps, in order; `lessonStep` indexes this list. */
export const LESSON_STEP_IDS = ['warmup', 'one-layer', 'all-layers', 'methods'] as const;

/** One step of the lesson, by name. */
export type LessonStepId = (typeof LESSON_STEP_IDS)[number];

/** The step `step` clamped into the lesson: a link's `lesson=99` opens the last step, not nothing. */
export function clampLessonStep(step: number): number {
  if (!Number.isFinite(step)) return 0;
  return Math.min(LESSON_STEP_IDS.length - 1, Math.max(0, Math.trunc(step)));
}

/** The id of step `index`, or null when no lesson runs. */
export function lessonStepId(index: number | null): LessonStepId | null {
  return index === null ? null : LESSON_STEP_IDS[clampLessonStep(index)];
}

type Set = (partial: Partial<LabState>) => void;
type Get = () => LabState;

/**
 * What entering a step changes in the lab: the one-layer step selects the
 * first layer with a rank slider (fc1 on the MLPs), so its slider, spectrum
 * and sweep are the ones the class sees. Other steps leave the lab as it is:
 * the class keeps what it set on the way.
 */
function configureFor(step: LessonStepId, get: Get): void {
  if (step === 'one-layer') {
    const first = get().layers.find((l) => l.factorizable);
    if (first) get().selectLayer(first.name);
  }
}

/** The lesson slice; needs no runtime, only the eval slice's selectLayer. */
export const createLessonSlice = () => (set: Set, get: Get): LessonSlice => {
  const goTo = (step: number) => {
    const index = clampLessonStep(step);
    set({ lessonStep: index });
    configureFor(LESSON_STEP_IDS[index], get);
  };
  return {
    lessonStep: null,
    presenting: false,
    startLesson(step = 0) {
      goTo(step);
    },
    nextStep() {
      goTo((get().lessonStep ?? -1) + 1);
    },
    prevStep() {
      goTo((get().lessonStep ?? 1) - 1);
    },
    exitLesson() {
      set({ lessonStep: null, presenting: false });
    },
    setPresenting(on) {
      if (on && get().lessonStep === null) goTo(0);
      set({ presenting: on });
    },
  };
};

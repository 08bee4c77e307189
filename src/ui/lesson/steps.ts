import type { LessonStepId } from '../../store/lessonSlice';

/**
 * The lesson's words and what each step puts on screen, one entry per step
 * of LESSON_STEP_IDS (a step without words does not compile). Written for
 * a teacher walking a class through the lab: what to do, what to notice,
 * and a question to ask. `parts` are the step's own controls and views:
 * in presentation mode they are all that is shown (src/ui/lesson/parts.tsx
 * renders them).
 */

/** A control or view a step can show, by name (src/ui/lesson/parts.tsx maps each to its component). */
export type LessonPart =
  | 'image-warmup'
  | 'layer-slider'
  | 'spectrum'
  | 'rank-chart'
  | 'layer-table'
  | 'metrics'
  | 'size-chart'
  | 'method-panel'
  | 'compare-chart';

/** One step's text and parts. */
export interface LessonStepText {
  title: string;
  /** What to do, an instruction. */
  doThis: string;
  /** What to notice while doing it. */
  notice: string;
  /** A question for the class. */
  question: string;
  /** The step's own controls and views, in the order shown. */
  parts: readonly LessonPart[];
}

/** Every step's text, in lesson order. */
export const LESSON_STEPS = {
  warmup: {
    title: 'Warm-up: a picture at rank k',
    doThis: 'Move the picture\'s Rank k slider down to 1, then up step by step until the picture is clear, and on to the break-even rank.',
    notice: 'A handful of singular directions already carries the picture; each extra one adds detail. The bytes grow with k, and past the break-even rank the "compressed" picture is larger than the original.',
    question: 'At what rank can you no longer tell the compressed picture from the original, and how many bytes does it take there?',
    parts: ['image-warmup'],
  },
  'one-layer': {
    title: 'One layer: the first weight matrix',
    doThis: 'Lower the rank of the first layer step by step (arrow keys on its slider) and watch the accuracy and the spectrum.',
    notice: 'Accuracy barely moves over much of the range, then falls quickly at small ranks. The spectrum shows why: the directions a lower rank drops are the ones with the smallest singular values, until only large ones are left to cut.',
    question: 'Where is the cliff, and how does it line up with where the singular values drop?',
    parts: ['layer-slider', 'metrics', 'spectrum', 'rank-chart'],
  },
  'all-layers': {
    title: 'All layers: the whole model',
    doThis: 'Set a rank for every layer and watch the total size in the last row of the table and the size-accuracy chart.',
    notice: 'Each configuration you try becomes a point on the size chart. Layers differ: the same rank costs a large layer far more accuracy, or saves far more bytes, than a small one.',
    question: 'What is the smallest model you can find that stays within one point of the original accuracy?',
    parts: ['layer-table', 'metrics', 'size-chart'],
  },
  methods: {
    title: 'Methods: other ways to choose and compute the factors',
    doThis: 'Try a rank rule (energy τ, output error ε, ALDS budget), then press Compare methods to draw every method on one chart.',
    notice: 'Rules choose ranks for all layers at once; data-aware methods use real inputs to fit the factors. At the same size, some methods can keep more accuracy than plain SVD.',
    question: 'Which method gives the best accuracy at a quarter of the original size, and why might using data help?',
    parts: ['method-panel', 'metrics', 'compare-chart'],
  },
} satisfies Record<LessonStepId, LessonStepText>;

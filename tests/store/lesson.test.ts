import { describe, expect, it } from 'vitest';
import { LESSON_STEP_IDS, clampLessonStep, lessonStepId } from '../../src/store/lessonSlice';
import { bootedStore } from '../helpers/bootedStore';
import { createNodeLabEnv } from '../helpers/nodeLabEnv';

/**
 * Lesson mode in the store, on the bundled mlp-64: the walk through the
 * steps, its bounds, the one-layer step selecting the first layer with a
 * rank, and presentation mode starting and leaving with the lesson.
 */

const store = bootedStore(createNodeLabEnv());

describe('lesson slice', () => {
  it('starts with no lesson and not presenting', () => {
    expect(store.getState().lessonStep).toBeNull();
    expect(store.getState().presenting).toBe(false);
    expect(lessonStepId(null)).toBeNull();
  });

  it('walks warm-up -> one layer -> all layers -> methods and stays inside the lesson at both ends', () => {
    const s = () => store.getState();
    s().startLesson();
    const seen = [lessonStepId(s().lessonStep)];
    for (let i = 0; i < LESSON_STEP_IDS.length + 2; i++) {
      s().nextStep();
      seen.push(lessonStepId(s().lessonStep));
    }
    expect(seen).toEqual(['warmup', 'one-layer', 'all-layers', 'methods', 'methods', 'methods', 'methods']);
    for (let i = 0; i < LESSON_STEP_IDS.length + 1; i++) s().prevStep();
    expect(s().lessonStep).toBe(0);
  });

  it('selects the first layer with a rank slider on the one-layer step, whatever was selected before', () => {
    store.getState().selectLayer('fc2');
    expect(store.getState().selectedLayer).toBe('fc2');
    store.getState().startLesson(1);
    expect(lessonStepId(store.getState().lessonStep)).toBe('one-layer');
    expect(store.getState().selectedLayer).toBe('fc1');
  });

  it('clamps a step out of range (a link with lesson=99 or -3) into the lesson', () => {
    expect([clampLessonStep(99), clampLessonStep(-3), clampLessonStep(Number.NaN), clampLessonStep(2.7)]).toEqual([3, 0, 0, 2]);
    store.getState().startLesson(99);
    expect(store.getState().lessonStep).toBe(LESSON_STEP_IDS.length - 1);
  });

  it('presentation mode starts the lesson when none runs, and leaving the lesson leaves presentation mode', () => {
    store.getState().exitLesson();
    store.getState().setPresenting(true);
    expect(store.getState()).toMatchObject({ lessonStep: 0, presenting: true });
    store.getState().setPresenting(false);
    expect(store.getState()).toMatchObject({ lessonStep: 0, presenting: false });
    store.getState().setPresenting(true);
    store.getState().exitLesson();
    expect(store.getState()).toMatchObject({ lessonStep: null, presenting: false });
  });
});

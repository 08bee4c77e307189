import type { MnistSample } from '../core/mnist';
import type { LabSession } from '../model/session';
import type { EvalResult } from '../model/evaluate';
import type { LabEnv, ModelSource } from './env';
import { createMethodContext, type MethodContext } from '../model/methods/context';

/** The open session's method context, created once (calibration images, SVDs through the env's engine). */
export function methodContext(rt: Runtime): Promise<MethodContext> {
  const session = rt.session;
  if (!session) return Promise.reject(new Error('no model is open'));
  rt.methodContext ??= rt.env.loadCalibrationSample().then((calib) => createMethodContext(session, calib, { svd: rt.env.svd, run: rt.env.factorJob }));
  rt.methodContext.catch(() => { rt.methodContext = null; });
  return rt.methodContext;
}

/**
 * The store's non-serialisable half: the open LabSession (it owns tensors),
 * cached results, and the AbortControllers of running work. It lives in the
 * store's closure and never enters React state, so components cannot reach
 * a tensor by accident.
 */
export interface Runtime {
  env: LabEnv;
  session: LabSession | null;
  sample: MnistSample | null;
  /** Evaluation results of the open session by plan key; cleared when the model changes. */
  results: Map<string, EvalResult>;
  load: AbortController | null;
  /** Configurations of the open session whose evaluation gave NaN or Infinity, by plan key: the message, so they are not scored again; cleared with `results`. */
  failures: Map<string, string>;
  /** Where the open model came from (to open it again, e.g. at another input scale). */
  source: ModelSource | null;
  evaluation: AbortController | null;
  evalLoop: Promise<void> | null;
  /** Bumped when the backend restarts: an evaluation loop of an older generation (perhaps stuck on a lost GPU) stops at its next step and no longer owns evalLoop. */
  evalGeneration: number;
  /** The backend restart in progress after a lost GPU, if any (one at a time). */
  recovery: Promise<void> | null;
  sweep: AbortController | null;
  sweepRun: Promise<void> | null;
  comparison: AbortController | null;
  /** A rule being applied (ALDS, target search). */
  rule: AbortController | null;
  /** SVDs and calibration inputs of the open session for rules and factor methods, made on first use. */
  methodContext: Promise<MethodContext> | null;
}

/** A runtime with no session and nothing running. */
export function createRuntime(env: LabEnv): Runtime {
  return {
    env, session: null, sample: null, results: new Map(), failures: new Map(), source: null,
    load: null, evaluation: null, evalLoop: null, evalGeneration: 0, recovery: null, sweep: null, sweepRun: null, comparison: null, rule: null, methodContext: null,
  };
}

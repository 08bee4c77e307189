import { LabSession } from '../model/session';
import { CancelledError, LabInputError, describeError, isCancellation } from '../model/errors';
import { formatRankSpec, parseGroupSpec, parseRankSpec } from '../model/rankSpec';
import { planKey, planSize, type RankPlan } from '../model/plan';
import { historyPoint, scheduleEvaluation } from './evalSlice';
import type { ModelSource } from './env';
import type { LabSlice, SessionSlice } from './types';

/**
 * Opening models. The new model is loaded, validated, decomposed and scored
 * completely before it replaces the old one; until then the old session keeps
 * working, and on any failure it simply stays. Opening a second model while
 * the first is still loading cancels the first.
 */
export const createSessionSlice: LabSlice<SessionSlice> = (rt) => (set, get) => ({
  phase: 'booting',
  backend: rt.env.backend,
  bundled: [],
  modelName: null,
  modelId: null,
  layers: [],
  spectra: {},
  loadProgress: null,
  error: null,
  inputScale: null,
  noAccuracy: null,
  scoredOn: null,

  async boot(initial) {
    try {
      const [bundled, sample] = await Promise.all([rt.env.loadManifest(), rt.env.loadTestSample()]);
      rt.sample = sample;
      set({ bundled });
    } catch (err) {
      set({ phase: 'failed', error: describeError(err) });
      return;
    }
    const wanted = initial?.model;
    const source: ModelSource = wanted === undefined || get().bundled.some((b) => b.id === wanted)
      ? { kind: 'bundled', id: wanted ?? get().bundled[0]?.id ?? '' }
      : { kind: 'url', url: wanted };
    await get().openModel(source, initial?.ranks, initial?.scale);
    if (get().phase !== 'ready' && source.kind === 'url' && get().bundled.length > 0) {
      // A broken ?model= link must not leave an empty lab: fall back to the default, keep the message.
      const message = get().error;
      await get().openModel({ kind: 'bundled', id: get().bundled[0].id });
      if (message) set({ error: message });
    }
    if (get().phase === 'ready' && initial?.method && initial.method !== 'svd') {
      try {
        if (initial.groups) set({ groups: parseGroupSpec(initial.groups, get().layers) });
      } catch (err) {
        set({ error: [get().error, `The channel groups in the address were ignored: ${describeError(err)}`].filter(Boolean).join(' ') });
      }
      get().setMethod(initial.method);
    }
  },

  async openModel(source, ranks, scale) {
    rt.load?.abort();
    const controller = new AbortController();
    rt.load = controller;
    const hadModel = rt.session !== null;
    set({ phase: 'loading', error: null, loadProgress: { label: 'Reading model files', done: 0, total: 1 } });
    let session: LabSession | null = null;
    try {
      if (!rt.sample) throw new LabInputError('data', 'The MNIST test sample is not loaded; reload the page.');
      const bundled = source.kind === 'bundled' ? get().bundled.find((b) => b.id === source.id) : undefined;
      if (source.kind === 'bundled' && !bundled) {
        throw new LabInputError('url', `There is no bundled model "${source.id.slice(0, 40)}"; pick one from the list.`);
      }
      const { artifacts, name } = await rt.env.loadArtifacts(source, bundled, controller.signal);
      session = await LabSession.open(artifacts, bundled?.id ?? name, rt.sample, rt.env.svd, (p) => {
        const label = p.stage === 'load' ? 'Building model' : p.stage === 'decompose' ? `SVD of ${p.detail || 'layers'} (layer ${Math.min(p.done + 1, p.total)} of ${p.total})` : 'Scoring the original model';
        if (rt.load === controller) set({ loadProgress: { label, done: p.done, total: p.total } });
      }, controller.signal, undefined, { inputScale: scale });
      // Bad ranks (e.g. from a share link) do not cost the user the model: open it at full rank and say why.
      let plan: RankPlan = {};
      let rankError: string | null = null;
      try {
        if (ranks) plan = parseRankSpec(ranks, session.layers);
      } catch (err) {
        rankError = `The ranks in the address were ignored: ${describeError(err)}`;
      }
      if (controller.signal.aborted) throw new CancelledError();
      const original = await session.evaluate({});
      if (controller.signal.aborted) throw new CancelledError();
      // Commit: from here on nothing can fail. Running work on the old session
      // is aborted; its loops notice the new session and stop or restart.
      rt.sweep?.abort();
      rt.evaluation?.abort();
      rt.comparison?.abort();
      const layers = session.layers;
      const spectra: Record<string, Float64Array> = {};
      for (const l of layers) {
        const s = session.singularValues(l.name);
        if (s) spectra[l.name] = s;
      }
      rt.source = source;
      set({
        phase: 'ready',
        modelName: session.lab.name,
        inputScale: session.inputScale,
        noAccuracy: session.lab.noAccuracy,
        scoredOn: session.lab.data === 'synthetic' ? 'seeded synthetic inputs' : 'MNIST test images',
        modelId: bundled?.id ?? null,
        layers,
        spectra,
        plan,
        selectedLayer: layers.find((l) => l.factorizable)?.name ?? null,
        size: planSize(layers, plan),
        original,
        method: 'svd',
        groups: {},
        ruleDetail: null,
        current: null,
        // The original model was just scored: it is the first point of the size chart.
        history: [historyPoint(planKey(layers, {}), original.accuracy, planSize(layers, {}).bytes)],
        sweep: null,
        compare: null,
        lastDownload: null,
        loadProgress: null,
        error: rankError,
      });
      rt.session?.dispose();
      rt.session = session;
      rt.methodContext = null;
      rt.rule?.abort();
      rt.results = new Map([[planKey(layers, {}), original]]);
      session = null;
      scheduleEvaluation(rt, set, get);
    } catch (err) {
      session?.dispose();
      if (rt.load !== controller) return; // superseded by a newer open; it owns the state now
      const cancelled = isCancellation(err);
      set({
        phase: hadModel ? 'ready' : 'failed',
        loadProgress: null,
        error: cancelled ? (hadModel ? null : 'Loading was cancelled; pick a model to open.') : describeError(err),
      });
    } finally {
      if (rt.load === controller) rt.load = null;
    }
  },

  cancelLoad() {
    rt.load?.abort();
  },

  async setInputScale(scale) {
    if (!rt.source || get().phase !== 'ready' || get().inputScale?.scale === scale) return;
    await get().openModel(rt.source, formatRankSpec(get().plan), scale);
  },

  reportError(message) {
    set({ error: message });
  },

  dismissError() {
    set({ error: null });
  },
});

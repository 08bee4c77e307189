import { LabSession } from '../model/session';
import { singularValueBound } from '../core/randomizedSvd';
import { CancelledError, LabInputError, describeError, isCancellation } from '../model/errors';
import { formatRankSpec, parseGroupSpec, parseRankSpec } from '../model/rankSpec';
import { planKey, planSize, type RankPlan } from '../model/plan';
import { historyPoint, scheduleEvaluation } from './evalSlice';
import { expandPreset } from './presetLink';
import { PRESETS, findPreset } from './presets';
import type { ModelSource } from './env';
import { withRefusals } from './refusals';
import type { LabSlice, SessionSlice } from './types';

/**
 * Opening models. The new model is loaded, validated, decomposed and scored
 * completely before it replaces the old one; until then the old session keeps
 * working, and on any failure it simply stays. Opening a second model while
 * the first is still loading cancels the first.
 */
export const createSessionSlice: LabSlice<SessionSlice> = (rt) => (set, get, api) => withRefusals(set, get, api, (showRefusal) => ({
  phase: 'booting',
  backend: rt.env.backend,
  bundled: [],
  modelName: null,
  modelId: null,
  layers: [],
  spectra: {},
  spectrumBounds: {},
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
    const link = expandPreset(initial ?? {});
    const notes: string[] = [];
    let wanted = link.model;
    // A plain name is meant as a bundled model; only a path (with / or .json) is fetched as a URL.
    if (wanted !== undefined && !get().bundled.some((b) => b.id === wanted) && !/[/\\]|\.json$/i.test(wanted)) {
      const known = get().bundled.map((b) => b.id);
      notes.push(`There is no bundled model "${wanted.slice(0, 40)}" (bundled: ${known.join(', ')}); the lab opened ${known[0] ?? 'nothing'} instead, without the link's ranks.`);
      wanted = undefined;
      link.ranks = undefined;
      link.method = undefined;
      link.groups = undefined;
      link.rule = undefined;
    }
    const source: ModelSource = wanted === undefined || get().bundled.some((b) => b.id === wanted)
      ? { kind: 'bundled', id: wanted ?? get().bundled[0]?.id ?? '' }
      : { kind: 'url', url: wanted };
    await get().openModel(source, link.ranks, link.scale);
    if (get().phase !== 'ready' && source.kind === 'url' && get().bundled.length > 0) {
      // A broken ?model= link must not leave an empty lab: fall back to the default, keep the message.
      const message = get().error;
      await get().openModel({ kind: 'bundled', id: get().bundled[0].id });
      if (message) set({ error: message });
    }
    const opened = get().error;
    if (get().phase === 'ready' && link.method && link.method !== 'svd') {
      try {
        if (link.groups) set({ groups: parseGroupSpec(link.groups, get().layers) });
      } catch (err) {
        notes.push(`The channel groups in the address were ignored: ${describeError(err)}`);
      }
      get().setMethod(link.method);
    }
    if (link.lesson !== undefined || link.present) get().startLesson((link.lesson ?? 1) - 1);
    if (link.present) get().setPresenting(true);
    const message = [...notes, opened].filter(Boolean).join(' ') || null;
    set({ error: message });
    if (get().phase === 'ready' && link.rule) {
      await get().applyRule(link.rule.name, link.rule.value);
      const ruleError = get().error;
      if (ruleError !== message) set({ error: [message, ruleError].filter(Boolean).join(' ') });
    }
    // What the link opened is where Undo starts, not a step of its own.
    set({ undoStack: [], redoStack: [] });
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
      const spectrumBounds: Record<string, number> = {};
      for (const l of layers) {
        const s = session.singularValues(l.name);
        if (s) spectra[l.name] = s;
        const residuals = session.kernelSvd(l.name)?.residuals;
        if (s && residuals) spectrumBounds[l.name] = singularValueBound(s, residuals);
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
        spectrumBounds,
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
        sweeps: [],
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
      rt.failures = new Map();
      session = null;
      scheduleEvaluation(rt, set, get);
    } catch (err) {
      session?.dispose();
      if (rt.load !== controller) return; // superseded by a newer open; it owns the state now
      const cancelled = isCancellation(err);
      set({
        phase: hadModel ? 'ready' : 'failed',
        loadProgress: null,
        error: cancelled && !hadModel ? 'Loading was cancelled; pick a model to open.' : null,
      });
      if (!cancelled) showRefusal(describeError(err));
    } finally {
      if (rt.load === controller) rt.load = null;
    }
  },

  async applyPreset(name) {
    const preset = findPreset(name);
    if (!preset) {
      set({ error: `There is no preset "${name.slice(0, 40)}" (presets: ${PRESETS.map((p) => p.name).join(', ')}).` });
      return;
    }
    if (get().modelId !== preset.model) {
      await get().openModel({ kind: 'bundled', id: preset.model }, preset.ranks);
      if (get().modelId !== preset.model || get().phase !== 'ready') return; // the failure is in the banner
      if (!preset.rule) get().setMethod(preset.method ?? 'svd');
    } else {
      try {
        const plan = preset.ranks ? parseRankSpec(preset.ranks, get().layers) : {};
        // A rule sets its own method (ALDS: its grouped SVD) with the groups it picks.
        const method = preset.rule ? 'svd' : preset.method ?? 'svd';
        // One change (one undo step): ranks and method together.
        set({ plan, method, groups: {}, ruleDetail: null, size: planSize(get().layers, plan) });
        scheduleEvaluation(rt, set, get);
      } catch (err) {
        set({ error: `The preset "${preset.label}" does not fit this model: ${describeError(err)}` });
        return;
      }
    }
    if (preset.rule) await get().applyRule(preset.rule.name, preset.rule.value);
  },

  cancelLoad() {
    rt.load?.abort();
  },

  async setInputScale(scale) {
    if (!rt.source || get().phase !== 'ready' || get().inputScale?.scale === scale) return;
    await get().openModel(rt.source, formatRankSpec(get().plan), scale);
  },

  reportError(message) {
    showRefusal(message);
  },

  dismissError() {
    set({ error: null });
  },
}));

import * as tf from '@tensorflow/tfjs';
import { isPlainChain, type LabModel } from './labModel';
import type { FactorCache } from './factors';
import { effectiveRank, type RankPlan } from './plan';
import { floatFactorLayers, groupedFactorLayers, type ExportFactors, type FactorLayers, type FactorSite, type IntegerKernel } from './exportLayers';
import { quantizedFactorLayers, storeIntegerKernels } from './exportLayersQuantized';
import { LAYER_KINDS } from './layers/registry';

/**
 * Writes the compressed model as a standard TF.js LayersModel: every
 * factorized layer becomes a few stock layers built by its kind's adapter
 * (layers/; by default a map through A_k named `<name>_u`, e.g.
 * Dense(k, linear, no bias), followed by a mix through B_k named `<name>_v`
 * with the original activation and bias, e.g. Dense(n)); every other layer is rebuilt from its own config and weights.
 * Stock `tf.loadLayersModel` reads the result; no custom classes are
 * involved. Integer kernels of quantized factors are written one byte per
 * value through the manifest's own uint8 quantization entry.
 */

export type { ExportFactors, FloatExportFactors, GroupedExportFactors, QuantizedExportFactors } from './exportLayers';

/** The two files of a download: model.json text and the single weight shard it names. */
export interface ExportedModel {
  modelJson: string;
  weights: ArrayBuffer;
  /** File name model.json refers to for the shard, e.g. "mlp-64-lowrank.weights.bin". */
  weightsFileName: string;
  /** Bytes of both files together: the real size of the download. */
  totalBytes: number;
}

/**
 * The stock layers that replace one factorized layer: `given` factors
 * (float, quantized or grouped), else the SVD factors at rank `k` that
 * `svdFactors(k)` makes (new tensors, owned by the site).
 */
function factorLayers(site: FactorSite, given: ExportFactors | undefined, svdFactors: (k: number) => [tf.Tensor2D, tf.Tensor2D], k: number | null): FactorLayers {
  if (given?.kind === 'quantized') return quantizedFactorLayers(site, given);
  if (given?.kind === 'grouped') return groupedFactorLayers(site, given);
  if (k === null) throw new Error(`${site.name}: float factors need a rank in the plan`);
  const [a, b] = given ? [tf.tensor2d(given.a, [site.m, k]), tf.tensor2d(given.b, [k, site.n])] : svdFactors(k);
  return floatFactorLayers(site, site.own(a), site.own(b));
}

function layerConfig(layer: tf.layers.Layer): tf.serialization.ConfigDict {
  return { ...layer.getConfig() };
}

/** A fresh layer of the same class from `config`, through TF.js's own registry of layer classes. */
function layerFromConfig(className: string, config: tf.serialization.ConfigDict): tf.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) throw new Error(`TF.js has no layer class "${className}" registered`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config) as unknown as tf.layers.Layer;
}

/**
 * Builds the compressed model (a Sequential for a plain chain, else a
 * functional model with the original's connections), serializes it, and
 * disposes it.
 * `baseName` names the shard file; `factorOverrides` supplies another
 * method's factors (and bias) for some layers instead of the SVD slices:
 * float factors at the plan's rank, or quantized or grouped factors, which
 * carry their own shapes and replace their layer even where the plan keeps
 * it dense. A bias is written only where the original layer has one, as the
 * evaluator applies it. Reads weights from `lab` and `factors` without
 * changing them; every tensor made here is disposed before it returns.
 * Throws RangeError when override factors do not fit their layer.
 */
export async function exportCompressedModel(
  lab: LabModel,
  factors: FactorCache,
  plan: RankPlan,
  baseName: string,
  factorOverrides?: ReadonlyMap<string, ExportFactors>,
): Promise<ExportedModel> {
  // A plain chain is written as a Sequential, as before; a graph (residual Add, Concatenate) as a
  // functional model with the same connections, each factorized layer replaced by its stock layers.
  const chainOnly = isPlainChain(lab);
  const seq = chainOnly ? tf.sequential({ name: `${lab.model.name}_lowrank` }) : null;
  const graphInput = chainOnly ? null : tf.input({ shape: lab.inputShape, name: lab.model.inputs[0].sourceLayer.name });
  const symbolic = new Map<number, tf.SymbolicTensor>(graphInput ? [[-1, graphInput]] : []);
  let built: tf.LayersModel | null = seq;
  const pending: Array<[tf.layers.Layer, tf.Tensor[]]> = [];
  const owned: tf.Tensor[] = [];
  const own = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const integerKernels = new Map<string, IntegerKernel>();
  try {
    for (const [name, given] of factorOverrides ?? []) {
      if (given.kind && given.kind !== 'float' && !lab.layers.some((l) => l.name === name && l.factorizable)) {
        throw new RangeError(`Cannot export ${given.kind} factors for "${name}": the model has no factorizable layer of that name.`);
      }
    }
    for (const [i, layer] of lab.chain.entries()) {
      const info = lab.layers[i];
      const inputSpec: { batchInputShape?: Array<number | null> } = i === 0 && seq ? { batchInputShape: [null, ...lab.inputShape] } : {};
      const k = effectiveRank(info, plan);
      const given = info.factorizable ? factorOverrides?.get(info.name) : undefined;
      // Quantized and grouped factors carry their own shapes, so they apply whatever the plan says.
      const sized = given?.kind === 'quantized' || given?.kind === 'grouped';
      let replacement: Array<[tf.layers.Layer, tf.Tensor[]]>;
      if (!info.factorizable || (k === null && !sized)) {
        const config = { ...layerConfig(layer), ...inputSpec } as tf.serialization.ConfigDict;
        replacement = [[layerFromConfig(layer.getClassName(), config), layer.getWeights()]];
      } else {
        const [m, n] = info.kernelShape;
        const site: FactorSite = {
          name: info.name,
          m,
          n,
          activation: layerConfig(layer).activation as string,
          bias: info.hasBias ? (given?.bias ? own(tf.tensor1d(given.bias)) : (layer.getWeights()[1] as tf.Tensor1D)) : null,
          form: LAYER_KINDS[info.kind].siteForm(layer, inputSpec),
          own,
        };
        const made = factorLayers(site, given, (rank) => factors.slice(info.name, rank), k);
        replacement = made.layers;
        for (const [name, kernel] of made.integerKernels) integerKernels.set(name, kernel);
      }
      let t: tf.SymbolicTensor | tf.SymbolicTensor[] | null = seq ? null : lab.inputsOf[i].map((j) => symbolic.get(j)!);
      if (Array.isArray(t) && t.length === 1) t = t[0];
      for (const [newLayer, weights] of replacement) {
        if (seq) seq.add(newLayer);
        else t = newLayer.apply(t!) as tf.SymbolicTensor;
        pending.push([newLayer, weights]);
      }
      if (!seq) symbolic.set(i, t as tf.SymbolicTensor);
    }
    if (!seq) built = tf.model({ inputs: graphInput!, outputs: symbolic.get(lab.outputIndex)!, name: `${lab.model.name}_lowrank` });
    for (const [layer, weights] of pending) layer.setWeights(weights);

    let artifacts: tf.io.ModelArtifacts | null = null;
    await built!.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const saved = artifacts as tf.io.ModelArtifacts | null;
    if (!saved || !saved.weightSpecs || !saved.weightData) throw new Error('TF.js produced no model artifacts');
    const weightsFileName = `${baseName}.weights.bin`;
    const floatData = tf.io.CompositeArrayBuffer.join(saved.weightData);
    const stored = integerKernels.size > 0 ? storeIntegerKernels(saved.weightSpecs, floatData, integerKernels) : { specs: saved.weightSpecs, data: floatData };
    const modelJson = JSON.stringify({
      format: 'layers-model',
      generatedBy: saved.generatedBy,
      convertedBy: 'Low-Rank Lab',
      modelTopology: saved.modelTopology,
      weightsManifest: [{ paths: [`./${weightsFileName}`], weights: stored.specs }],
    });
    const weights = stored.data;
    return {
      modelJson,
      weights,
      weightsFileName,
      totalBytes: new TextEncoder().encode(modelJson).byteLength + weights.byteLength,
    };
  } finally {
    owned.forEach((t) => t.dispose());
    if (built) built.dispose();
    // A graph that failed before it became a model: its layers were built as they were applied.
    else for (const [layer] of pending) if (layer.built) layer.dispose();
  }
}

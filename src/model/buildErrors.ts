import * as tf from '@tensorflow/tfjs';
import { LabInputError } from './errors';
import { layerOfWeight } from './artifacts';
import { checkTopology } from './topologyCheck';

/**
 * What the lab says when TF.js cannot build a model from artifacts that
 * passed the checks on model.json. TF.js's own texts ("Provided weight data
 * has no target variable: fc9/kernel", "Shape mismatch: [784,16] vs.
 * [784,8]") name no file and say nothing a user can act on, so each known
 * one is rewritten to name the file, the layer and the weight; anything
 * else is wrapped in a sentence that says which file TF.js could not build.
 */

/**
 * Refuses, before TF.js builds anything, a topology that checkTopology
 * refuses (layers that are not layers, Lambda layers, duplicate names, size
 * fields out of range, too many layers) or whose layers name a class TF.js
 * has not registered (a custom Python layer), naming the layer; `name` is
 * the file the messages name.
 */
export function checkLayerClasses(topology: unknown, name: string): void {
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  const wrapped = (topology as { model_config?: unknown } | null)?.model_config;
  for (const layer of checkTopology(wrapped !== null && typeof wrapped === 'object' ? wrapped : topology, name)) {
    if (!Object.prototype.hasOwnProperty.call(known, layer.className)) {
      throw new LabInputError('unsupported-model', `${name}: layer "${layer.name.slice(0, 80)}" is a "${layer.className.slice(0, 60)}" layer, which TF.js does not know (a custom layer of the Python model); the lab opens models made of standard Keras layers.`);
    }
  }
}

/** `err`, thrown by tf.loadLayersModel on `artifacts` of the model called `name`, as a LabInputError a user can act on. */
export function explainBuildError(err: unknown, name: string, artifacts: tf.io.ModelArtifacts): LabInputError {
  const file = `the model.json of "${name.slice(0, 80)}"`;
  const msg = err instanceof Error ? err.message : String(err);
  const specs = artifacts.weightSpecs ?? [];
  const noTarget = /Provided weight data has no target variable: (.+)$/.exec(msg);
  if (noTarget) {
    const weight = noTarget[1].trim();
    return new LabInputError('model-json', `${file} has values for the weight "${weight.slice(0, 80)}", which no layer of the model has (there is no layer "${layerOfWeight(weight).slice(0, 80)}" with such a weight); the weights manifest belongs to another model.`);
  }
  const unset = /(\d+) of (\d+) weights are not set: (.+)$/.exec(msg);
  if (unset) {
    const names = unset[3].split(',').map((w) => `"${w.trim().slice(0, 80)}"`);
    const shown = names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
    return new LabInputError('model-json', `${file} gives no values for the weight${names.length > 1 ? 's' : ''} ${shown} of the model's layers; the weights manifest is missing entries or belongs to another model.`);
  }
  const mismatch = /Shape mismatch: \[([\d,]*)\] vs\. \[([\d,]*)\]/.exec(msg);
  if (mismatch) {
    const [needs, given] = [mismatch[1], mismatch[2]];
    const spec = specs.find((s) => s.shape.join(',') === given);
    const weight = spec?.name ?? 'a weight';
    return new LabInputError('model-json', `${file} gives weight "${weight.slice(0, 80)}" shape [${given.split(',').join(', ')}], but layer "${layerOfWeight(weight).slice(0, 80)}" needs [${needs.split(',').join(', ')}]; the weights belong to another version of the model.`);
  }
  const unknownPart = /Unknown (layer|activation|initializer|regularizer|constraint|loss|metric): ([^\s.]+)/.exec(msg);
  if (unknownPart) {
    return new LabInputError('unsupported-model', `${file} asks for the ${unknownPart[1]} "${unknownPart[2].slice(0, 60)}", which TF.js does not know (one defined in Python); the lab opens models made of standard Keras parts.`);
  }
  if (/dtype of the new value \((\w+)\) and previous value \((\w+)\) must match/.test(msg)) {
    return new LabInputError('model-json', `${file} gives a weight a dtype its layer does not hold; the lab's layers hold float32 weights.`);
  }
  if (/Duplicate weight name/.test(msg)) {
    return new LabInputError('model-json', `${file} has two weights of the same name in its layers; TF.js cannot tell which values go where.`);
  }
  if (err instanceof RangeError) {
    return new LabInputError('model-json', `TF.js ran out of room building the model in ${file} (a layer far larger than its weights, or nesting too deep); the lab cannot open it.`);
  }
  return new LabInputError('model-json', `TF.js could not build the model described in ${file}; its layer configuration is not one TF.js accepts (TF.js said: ${msg.replace(/\s+/g, ' ').slice(0, 160)}).`);
}

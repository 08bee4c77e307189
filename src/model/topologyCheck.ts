import { LabInputError } from './errors';

/**
 * Checks on model.json before TF.js sees it. TF.js trusts its input: a
 * config nested 20,000 deep overflows its recursive deserializer ("Maximum
 * call stack size exceeded"), a layer written as {} ends in "Improper config
 * format", and keys such as "__proto__" reach code that copies configs
 * field by field. These checks are plain walks over the parsed JSON (no
 * recursion, so they cannot overflow themselves) and throw LabInputError
 * naming the file and the place at fault.
 */

/** How deep model.json may nest: a Keras config of nested models is about 20 deep; 100 leaves room and stops a stack overflow. */
export const MAX_JSON_DEPTH = 100;

/** Layers a model may have, nested models included (ResNet-152 has about 500). */
export const MAX_LAYERS = 5000;

/** Keys that would reach an object's prototype if TF.js or the lab ever copied configs with plain assignment. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Class names of models that hold layers (Keras and TF.js spell the functional model two ways). */
const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/**
 * Size fields of a layer config that must be positive integers: TF.js
 * builds weights from them before any weight is compared with the manifest.
 * The bound keeps a model.json that declares a billion units from making
 * TF.js allocate for it (ample for any model whose weights fit the budget).
 */
const SIZE_FIELDS = ['units', 'filters', 'input_dim', 'output_dim'] as const;
const MAX_SIZE_FIELD = 1 << 16;

/** One layer of the topology, where it is in the JSON, for messages and later checks. */
export interface TopologyLayer {
  name: string;
  className: string;
  /** JSON path, e.g. modelTopology.config.layers[3]. */
  path: string;
}

/**
 * Walks the whole parsed model.json without recursion and refuses it when
 * it nests deeper than MAX_JSON_DEPTH or carries a key in FORBIDDEN_KEYS,
 * saying where.
 */
export function checkJsonTree(json: unknown, name: string): void {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: json, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) {
      throw new LabInputError('model-json', `${name} is nested more than ${MAX_JSON_DEPTH} levels deep (at ${shortPath(path)}); no TF.js model is, so the file is damaged or hostile.`);
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, depth: depth + 1, path: `${path}[${i}]` }));
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        throw new LabInputError('model-json', `${name} has the key "${key}" at ${shortPath(path) || 'its top level'}; no TF.js model uses that name, and code that copies configs could be led to change built-in objects through it. The lab refuses the file.`);
      }
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, path: path ? `${path}.${key}` : key });
    }
  }
}

function shortPath(path: string): string {
  return path.length > 120 ? `${path.slice(0, 117)}...` : path;
}

/**
 * Checks the shape of modelTopology (after any `model_config` wrapper):
 * a Sequential or functional model whose layers are objects with a string
 * `class_name` and an object `config`, named once each, no Lambda layers,
 * size fields positive and bounded, nested models checked alike, at most
 * MAX_LAYERS in all. Returns every layer, nested ones included.
 */
export function checkTopology(topology: unknown, name: string): TopologyLayer[] {
  const refuse = (why: string, advice = 'Re-export the model with the TF.js converter.'): never => {
    throw new LabInputError('model-json', `${name}: ${why}. ${advice}`);
  };
  const layers: TopologyLayer[] = [];
  const models: Array<{ model: Record<string, unknown>; path: string; label: string }> = [{ model: topology as Record<string, unknown>, path: 'modelTopology', label: 'the model' }];
  while (models.length > 0) {
    const { model, path, label } = models.pop()!;
    const className = model.class_name;
    if (typeof className !== 'string' || !MODEL_CLASSES.has(className)) {
      refuse(`"${path}" is ${typeof className === 'string' ? `a "${className.slice(0, 40)}"` : 'not a model'}, not a Sequential or functional model`);
    }
    const config = model.config as unknown;
    const list = Array.isArray(config) ? config : (config as { layers?: unknown } | null)?.layers;
    if (config === null || typeof config !== 'object' || !Array.isArray(list)) {
      refuse(`"${path}" has a "config" that is not a list of layers`);
    }
    const names = new Set<string>();
    (list as unknown[]).forEach((entry, i) => {
      const at = `${Array.isArray(config) ? `${path}.config` : `${path}.config.layers`}[${i}]`;
      const which = `layer ${i + 1} of ${label}`;
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) refuse(`${which} is not a JSON object`);
      const layer = entry as { class_name?: unknown; config?: unknown };
      if (typeof layer.class_name !== 'string' || layer.class_name.length === 0) refuse(`${which} has no "class_name" naming its kind`);
      if (layer.config === null || typeof layer.config !== 'object' || Array.isArray(layer.config)) refuse(`${which} has no "config" object`);
      const cfg = layer.config as Record<string, unknown>;
      const layerName = typeof cfg.name === 'string' ? cfg.name : `${i + 1}`;
      const shown = `layer "${layerName.slice(0, 80)}"`;
      if (names.has(layerName)) refuse(`${label} has two layers named "${layerName.slice(0, 80)}"; TF.js matches weights to layers by name, so the weights would be ambiguous`);
      names.add(layerName);
      const cls = layer.class_name as string;
      if (cls === 'Lambda') {
        refuse(`${shown} is a Lambda layer: it runs Python code saved inside the model, which TF.js cannot run`, 'Replace it with standard Keras layers, then convert the model again.');
      }
      for (const field of SIZE_FIELDS) {
        const v = cfg[field];
        if (v === undefined) continue;
        if (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > MAX_SIZE_FIELD) {
          refuse(`${shown} has ${JSON.stringify(v)?.slice(0, 20)} ${field === 'units' ? 'units' : `as "${field}"`}; a layer needs a whole number from 1 to ${MAX_SIZE_FIELD}`);
        }
      }
      layers.push({ name: layerName, className: cls, path: at });
      if (layers.length > MAX_LAYERS) refuse(`the model describes ${countLayers(topology)} layers; the lab opens models of at most ${MAX_LAYERS}`);
      if (MODEL_CLASSES.has(cls)) models.push({ model: layer as Record<string, unknown>, path: at, label: `model "${layerName.slice(0, 80)}"` });
    });
  }
  return layers;
}

/** Layers in the top-level list (for the message about too many; nested ones are not worth counting then). */
function countLayers(topology: unknown): number {
  const config = (topology as { config?: unknown }).config;
  const list = Array.isArray(config) ? config : (config as { layers?: unknown[] }).layers;
  return list?.length ?? 0;
}

import type { FactorMethodName } from '../model/methods/registry';
import type { KnobRule } from '../model/rules/registry';

/**
 * Teacher presets: saved configurations of the bundled models, as data. A
 * preset is reachable from the share bar's select and by link
 * (`?preset=mlp64-fc1-r8`), where it stands for the link keys it lists;
 * keys the link gives itself win over the preset's. A preset either names
 * ranks (the rank-spec text the link and the CLI read) or a rank rule whose
 * knob picks them once the model is open (ALDS also picks channel groups).
 */

/** One saved configuration of a bundled model. */
export interface Preset {
  /** The `?preset=` value: lowercase letters, digits and dashes. */
  readonly name: string;
  /** What the select shows, e.g. "mlp-64: fc1 at rank 8 (SVD)". */
  readonly label: string;
  /** A bundled model id from models/manifest.json. */
  readonly model: string;
  readonly method?: FactorMethodName;
  /** A rank spec, `layer=k` pairs. */
  readonly ranks?: string;
  /** A rule applied after the model opens, with its knob value (a fraction for energy and the ALDS budget). */
  readonly rule?: { readonly name: KnobRule; readonly value: number };
}

/** The presets, in the order the select lists them. */
export const PRESETS: readonly Preset[] = [
  { name: 'mlp64-fc1-r8', label: 'mlp-64: fc1 at rank 8 (SVD)', model: 'mlp-64', ranks: 'fc1=8' },
  { name: 'mlp64-r16', label: 'mlp-64: fc1 and fc2 at rank 16 (SVD)', model: 'mlp-64', ranks: 'fc1=16,fc2=16' },
  { name: 'mlp64-energy-90', label: 'mlp-64: 90% of each layer\'s energy (SVD)', model: 'mlp-64', rule: { name: 'energy', value: 0.9 } },
  { name: 'mlp512-int8-r32', label: 'mlp-512: SVD+int8 at rank 32', model: 'mlp-512', method: 'svd+int8', ranks: 'fc1=32,fc2=32' },
  { name: 'cnn-alds-25', label: 'cnn: ALDS at 25% of the parameters', model: 'cnn', method: 'alds', rule: { name: 'alds', value: 0.25 } },
];

/** The preset called `name`, or undefined. */
export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

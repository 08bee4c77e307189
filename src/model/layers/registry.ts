import type { LayerKind } from './kind';
import { denseKind } from './dense';
import { conv2dKind } from './conv2d';

/**
 * Every layer kind the lab factorizes, by the name a LayerInfo carries. A
 * new kind is one adapter file and one line here.
 */
export const LAYER_KINDS = {
  dense: denseKind,
  conv2d: conv2dKind,
} as const satisfies Record<string, LayerKind>;

export type LayerKindName = keyof typeof LAYER_KINDS;

/** The kind that handles Keras class `className`, or null when the lab keeps such layers as they are. */
export function kindForClass(className: string): LayerKindName | null {
  for (const [name, kind] of Object.entries(LAYER_KINDS) as Array<[LayerKindName, LayerKind]>) {
    if (kind.classNames.includes(className)) return name;
  }
  return null;
}

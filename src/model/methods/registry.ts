import type { FactorMethod } from './context';
import { svdMethod } from './svd';
import { dataAwareMethod } from './dataAware';
import { quantizedSvdMethod } from './quantizedSvd';
import { lpMethod } from './lp';
import { groupedSvdMethod } from './groupedSvd';

/**
 * Every factor method, by the name the UI, the CLI, the share link and the
 * comparison use. A new method is one file and one line here; its name then
 * exists everywhere, and code that needs something of every method reads
 * it from the entry, so no list elsewhere can miss it.
 */
export const FACTOR_METHODS = {
  svd: svdMethod,
  'data-aware': dataAwareMethod,
  'svd+int8': quantizedSvdMethod(8),
  'svd+int4': quantizedSvdMethod(4),
  lp: lpMethod,
  alds: groupedSvdMethod,
} as const satisfies Record<string, FactorMethod>;

export type FactorMethodName = keyof typeof FACTOR_METHODS;

/** The method names in the registry's order. */
export const FACTOR_METHOD_NAMES = Object.keys(FACTOR_METHODS) as readonly FactorMethodName[];

/** Whether `name` is a method's name (for parsers of links and arguments). */
export function isFactorMethodName(name: string): name is FactorMethodName {
  return Object.hasOwn(FACTOR_METHODS, name);
}

import { startTransition, useEffect, useRef, useState } from 'react';

/**
 * `value`, passed on at most once per `ms` and at low priority (a
 * transition): a chart fed from it redraws a few times a second while a
 * slider is dragged, not once per move, and always ends on the latest value.
 */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (Object.is(value, shown)) return;
    const wait = Math.max(0, last.current + ms - performance.now());
    const id = setTimeout(() => {
      last.current = performance.now();
      startTransition(() => setShown(value));
    }, wait);
    return () => clearTimeout(id);
  }, [value, shown, ms]);
  return shown;
}

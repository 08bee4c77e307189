import { startTransition, useEffect, useRef, useState } from 'react';

/** A pending redraw waits for an idle moment at most this many times `ms`. */
const IDLE_WAIT = 4;

/**
 * `value`, passed on at most once per `ms` and at low priority (a
 * transition): a chart fed from it redraws a few times a second while a
 * slider is dragged, not once per move, and always ends on the latest value.
 * A change within `ms` of the last one shown also waits for an idle moment
 * of the page (at most IDLE_WAIT x `ms`): a chart's redraw (recharts redraws
 * the whole chart, 10-25 ms here) then stays out of the way of slider moves
 * that follow each other; before, one in ten such moves waited behind one.
 */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (Object.is(value, shown)) return;
    const wait = Math.max(0, last.current + ms - performance.now());
    let idle: number | undefined;
    const show = () => {
      last.current = performance.now();
      startTransition(() => setShown(value));
    };
    // The first change after a quiet spell shows at once (a sweep's progress and Cancel button appear
    // without delay); the ones that follow wait for their turn and then for an idle moment.
    const timer = setTimeout(() => {
      if (wait > 0 && typeof requestIdleCallback === 'function') idle = requestIdleCallback(show, { timeout: IDLE_WAIT * ms });
      else show();
    }, wait);
    return () => {
      clearTimeout(timer);
      if (idle !== undefined) cancelIdleCallback(idle);
    };
  }, [value, shown, ms]);
  return shown;
}

import { startTransition, useEffect, useState, type ReactNode } from 'react';

/**
 * Mounts `children` `order` tasks after it mounts itself, at low priority,
 * holding their `height` meanwhile: the lab's charts each mount in a task of
 * their own when a model opens, instead of in one task with the whole page.
 */
export function Staged({ order, height, children }: { order: number; height: number; children: ReactNode }) {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    let left = order;
    let id: ReturnType<typeof setTimeout>;
    const step = () => {
      if (left-- > 0) id = setTimeout(step, 0);
      else startTransition(() => setShown(true));
    };
    id = setTimeout(step, 0);
    return () => clearTimeout(id);
  }, [order]);
  return shown ? children : <div className="staged" style={{ minHeight: height }} />;
}

/**
 * The main thread shared in slices. Long work (an evaluation pass, a sweep
 * of passes) calls `serveSlice` between units; it yields to the page once
 * the current task has run SLICE_MS, and starts a new slice without yielding
 * when the event loop has turned since the last one. So a slider move's
 * evaluation runs in the task of the input that asked for it (on mlp-64 the
 * whole pass, ~10 ms), instead of yielding first and letting a frame in
 * between (4 ms more per move), while a sweep of many short passes still
 * yields every SLICE_MS.
 */

/** How long work runs between yields to the page (ms): well under a frame's worth of input delay. */
export const SLICE_MS = 8;

/**
 * Lets timers, input and rendering run. On the cpu and wasm backends data()
 * resolves as a microtask, so without this a sweep would hold the main thread
 * until it ended and a Cancel click could never arrive.
 *
 * In a page, one MessageChannel serves every call, its messages answered in
 * order: a channel per call made 1,297 of them in the long session's 1,000
 * moves (two ports each, objects with native handles that the garbage
 * collector finalizes in a major collection's pause). In Node, setImmediate:
 * it runs after a turn of the loop (timers, I/O, port messages), and holds
 * nothing that could keep the process alive.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') {
      setImmediate(resolve);
      return;
    }
    if (typeof MessageChannel === 'undefined') {
      setTimeout(resolve, 0);
      return;
    }
    if (!channel) {
      channel = new MessageChannel();
      channel.port1.onmessage = () => waiting.shift()?.();
    }
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}

/** The page's one channel for yielding, and the calls waiting on it in order. */
let channel: MessageChannel | null = null;
const waiting: Array<() => void> = [];

let sliceStart = 0;
/** True from a slice's start until the event loop next runs a task (a message posted then clears it). */
let sameTask = false;

function startSlice(): void {
  sliceStart = performance.now();
  sameTask = true;
  void yieldToEventLoop().then(() => { sameTask = false; });
}

/** Call between units of long work: yields when this task has run SLICE_MS, else returns at once. */
export async function serveSlice(): Promise<void> {
  if (!sameTask) {
    startSlice();
    return;
  }
  if (performance.now() - sliceStart < SLICE_MS) return;
  await yieldToEventLoop();
  startSlice();
}

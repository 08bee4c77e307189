/**
 * Errors a user can cause by what they load or ask for. Each carries a message
 * written for the person at the keyboard: what went wrong and what to do about
 * it. The UI and the CLI print `message` as it is; nothing else is shown.
 */

/** Which step refused the input; lets the UI group messages and tests assert on them. */
export type LabErrorKind =
  | 'model-json'
  | 'weights'
  | 'unsupported-model'
  | 'input-shape'
  | 'non-finite'
  | 'url'
  | 'rank'
  | 'data'
  | 'backend'
  | 'output';

/** A refusal of user input. Thrown before any state changes, so the lab keeps its last good model. */
export class LabInputError extends Error {
  readonly kind: LabErrorKind;

  constructor(kind: LabErrorKind, message: string) {
    super(message);
    this.name = 'LabInputError';
    this.kind = kind;
  }
}

/** Raised when a newer request or the user's Cancel superseded long work. Never shown as an error. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/**
 * Whether `err` means the work was cancelled: our CancelledError, or the
 * DOMException AbortError that `AbortSignal.throwIfAborted()`, fetch and
 * WebGPU code throw. Callers treat both alike and never show them.
 */
export function isCancellation(err: unknown): boolean {
  return err instanceof CancelledError || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError');
}

/** `err` as CancelledError when it is a cancellation of any kind, otherwise `err` itself. */
export function asCancelled(err: unknown): unknown {
  return isCancellation(err) && !(err instanceof CancelledError) ? new CancelledError() : err;
}

/** Throws CancelledError when `signal` has been aborted; call between chunks of long work. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** The text to show for any thrown value; unknown errors keep their own message. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

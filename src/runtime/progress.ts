/**
 * @module A job's progress reporter. Updates are sent one at a time, latest wins (updates that come
 * while one is in flight replace each other), in order, and never after the final result: `close()`
 * drops what is pending and waits for the post in flight, so the final post always lands last
 * (runpod-python #250: a late progress post left jobs stuck IN_PROGRESS).
 */
export interface ProgressReporter {
  /** Queue an update; returns at once. Ignored after `close()`. */
  report(update: unknown): void;
  /** Stop reporting; resolves when no progress post is in flight. */
  close(): Promise<void>;
}

export function createProgressReporter(send: (update: unknown) => Promise<unknown>): ProgressReporter {
  let closed = false;
  let pending: { update: unknown } | undefined;
  let inFlight: Promise<void> | undefined;

  const pump = (): void => {
    if (inFlight || closed || !pending) return;
    const { update } = pending;
    pending = undefined;
    inFlight = send(update)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        inFlight = undefined;
        pump();
      });
  };

  return {
    report(update) {
      if (closed) return;
      pending = { update };
      pump();
    },
    async close() {
      closed = true;
      pending = undefined;
      while (inFlight) await inFlight;
    },
  };
}

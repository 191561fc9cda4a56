/**
 * @module Graceful-then-forceful shutdown on SIGTERM/SIGINT (graphile/worker's pattern). The first
 * signal calls `onGraceful` once; a second one calls `onForce` (which should exit at once).
 * `registerShutdown` returns a function that removes the listeners.
 */
import type { Logger } from 'pino';

export interface ShutdownOptions {
  log: Logger;
  onGraceful: (signal: NodeJS.Signals) => void;
  onForce: (signal: NodeJS.Signals) => void;
  /** The process whose signals are watched; injectable for tests. @default process */
  proc?: Pick<NodeJS.Process, 'on' | 'off'>;
  signals?: readonly NodeJS.Signals[];
}

export function registerShutdown({
  log,
  onGraceful,
  onForce,
  proc = process,
  signals = ['SIGTERM', 'SIGINT'],
}: ShutdownOptions): () => void {
  let received: NodeJS.Signals | undefined;
  const listener = (signal: NodeJS.Signals): void => {
    if (received === undefined) {
      received = signal;
      log.info({ signal }, 'shutting down: no new jobs; finishing the ones in progress (send the signal again to exit now)');
      onGraceful(signal);
      return;
    }
    log.warn({ signal, first: received }, 'second signal: exiting now');
    onForce(signal);
  };
  for (const s of signals) proc.on(s, listener);
  return () => {
    for (const s of signals) proc.off(s, listener);
  };
}

/**
 * @module A session whose every run reports how long it took (ms), for callers that account model
 * time: a learned engine's job (its overhead over the sum of its runs) and the benches.
 */
import type { Session } from './types.js';

export function timedSession(s: Session, onRun: (ms: number) => void): Session {
  return {
    provider: s.provider,
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    release: () => s.release(),
    async run(feeds, options) {
      const t0 = performance.now();
      try {
        return await s.run(feeds, options);
      } finally {
        onRun(performance.now() - t0);
      }
    },
  };
}

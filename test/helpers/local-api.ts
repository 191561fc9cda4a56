/**
 * @module Starts the local API in-process on 127.0.0.1:0 for a test and stops it gracefully.
 */
import { runLocalApi, type RunApiOptions } from '../../src/runtime/run-api.js';
import type { Handler } from '../../src/runtime/types.js';
import { silentLog } from './runtime.js';

export interface StartedApi {
  url: string;
  /** Graceful stop; resolves to the exit code. */
  stop(): Promise<number>;
}

export async function startLocalApi(handler: Handler, extra: Partial<RunApiOptions> = {}): Promise<StartedApi> {
  const shutdown = new AbortController();
  let onUrl!: (url: string) => void;
  const listening = new Promise<string>((resolve) => (onUrl = resolve));
  const done = runLocalApi({
    handler,
    log: silentLog(),
    host: '127.0.0.1',
    port: 0,
    concurrency: 1,
    graceMs: 5_000,
    shutdown: shutdown.signal,
    onListening: onUrl,
    streamHoldMs: 200,
    ...extra,
  });
  const url = await Promise.race([listening, done.then(() => Promise.reject(new Error('local API stopped before listening')))]);
  return {
    url,
    stop() {
      shutdown.abort();
      return done;
    },
  };
}

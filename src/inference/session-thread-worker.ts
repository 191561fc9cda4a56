/**
 * @module The thread side of session-thread.ts: the module a session's worker thread runs. It
 * opens the session through ort.ts (the one importer of onnxruntime-node) with the provider the
 * main thread chose, then answers `run` and `release` messages, moving the outputs' buffers back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from 'pino';
import { createOrtRuntime, tensor } from './ort.js';
import { toWire, wireError, type FromThread, type ThreadData, type ToThread, type WireTensor } from './session-thread.js';
import type { Session } from './types.js';

if (parentPort && (workerData as Partial<ThreadData> | undefined)?.sessionThread) {
  const port = parentPort;
  const data = workerData as ThreadData;
  void (async () => {
    // ort.ts logs the provider choice; the worker's lines go to the main thread's logger.
    const post = (level: 'info' | 'warn') => (obj: object, msg: string) =>
      port.postMessage({ type: 'log', level, obj, msg } satisfies FromThread);
    const log = { info: post('info'), warn: post('warn') } as unknown as Logger;
    let session: Session;
    try {
      session = await createOrtRuntime({
        log,
        ep: data.ep,
        ...(data.gpuPresent === undefined ? {} : { gpuPresent: data.gpuPresent }),
      }).createSession(data.model, data.options);
    } catch (e) {
      port.postMessage({ type: 'failed', error: wireError(e) } satisfies FromThread);
      return;
    }
    port.postMessage({
      type: 'ready',
      provider: session.provider,
      inputNames: [...session.inputNames],
      outputNames: [...session.outputNames],
    } satisfies FromThread);
    const fromWireTensor = (t: WireTensor) => tensor(t.type, t.data, t.dims);
    port.on('message', (m: ToThread) => {
      if (m.type === 'release') {
        void session.release().finally(() => port.close());
        return;
      }
      const feeds = Object.fromEntries(Object.entries(m.feeds).map(([k, t]) => [k, fromWireTensor(t)]));
      session.run(feeds).then(
        (out) => {
          try {
            const outputs: Record<string, WireTensor> = {};
            const transfer: ArrayBuffer[] = [];
            for (const [k, t] of Object.entries(out)) {
              outputs[k] = toWire(k, t);
              transfer.push(outputs[k].data.buffer as ArrayBuffer);
            }
            port.postMessage({ type: 'result', id: m.id, outputs } satisfies FromThread, transfer);
          } catch (e) {
            port.postMessage({ type: 'error', id: m.id, error: wireError(e) } satisfies FromThread);
          }
        },
        (e: unknown) => port.postMessage({ type: 'error', id: m.id, error: wireError(e) } satisfies FromThread),
      );
    });
  })();
}

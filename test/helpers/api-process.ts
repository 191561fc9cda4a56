/** Runs the built worker (`dist/handler.js --rp_serve_api`) as a child process for a test. */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';

export interface ApiProcess {
  /** Base URL of the local API, e.g. http://127.0.0.1:41234 */
  base: string;
  child: ChildProcessByStdio<null, null, Readable>;
  /** POST JSON, answer parsed. */
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

const ENTRY = new URL('../../dist/handler.js', import.meta.url).pathname;

export async function startApiProcess(env: Record<string, string>, args: string[] = []): Promise<ApiProcess> {
  const child = spawn(process.execPath, [ENTRY, '--rp_serve_api', '--rp_api_port', '0', ...args], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const base = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      const m = /local API listening on (http:\/\/[\d.:]+)/.exec(stderr);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${stderr}`)));
  });
  return {
    base,
    child,
    async post(path, body) {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await res.json()) as Record<string, unknown>;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

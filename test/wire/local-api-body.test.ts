/**
 * A malformed local API request (not JSON, not an object, no `input`, a bad webhook, too big) is
 * refused with the same coded error a failed job carries: `{ "error": "<JSON string>" }` whose
 * parse is `{ code, message, details }`, never zod's pretty-printed text.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Handler } from '../../src/runtime/types.js';
import { startLocalApi, type StartedApi } from '../helpers/local-api.js';

let api: StartedApi | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

const echo: Handler = (job) => Promise.resolve({ echo: job.input });

async function post(
  path: string,
  body: string,
): Promise<{ status: number; error: { code: string; message: string; details?: { issues?: Array<{ field: string; message: string }> } } }> {
  api ??= await startLocalApi(echo);
  const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const json = (await res.json()) as { error: string };
  expect(typeof json.error).toBe('string');
  return { status: res.status, error: JSON.parse(json.error) as never };
}

describe('a malformed local API body', () => {
  it.each([
    ['not JSON', '{"input": ', 'body', 'is not valid JSON'],
    ['a JSON array', '[1, 2]', 'body', 'must be a JSON object with an "input" field'],
    ['a JSON string', '"hello"', 'body', 'must be a JSON object with an "input" field'],
    ['an object without input', '{"inptu": {}}', 'input', 'is required'],
    ['an empty body', '', 'input', 'is required'],
    ['a webhook that is not a URL', '{"input": {}, "webhook": "ftp://x"}', 'webhook', ''],
    ['a policy of the wrong type', '{"input": {}, "policy": {"executionTimeout": "soon"}}', 'policy.executionTimeout', 'must be a number'],
  ])('%s → 400 INVALID_INPUT naming the field', async (_what, body, field, message) => {
    for (const route of ['/run', '/v2/ep/runsync']) {
      const r = await post(route, body);
      expect(r.status).toBe(400);
      expect(r.error.code).toBe('INVALID_INPUT');
      expect(r.error.message).toMatch(/^invalid input: /);
      expect(r.error.message).not.toContain('✖');
      const issue = r.error.details?.issues?.find((i) => i.field === field);
      expect(issue, JSON.stringify(r.error)).toBeDefined();
      expect(issue?.message).toContain(message);
    }
  });

  it('a body over the limit → 413 INPUT_TOO_LARGE, coded the same way', async () => {
    const r = await post('/run', JSON.stringify({ input: { pad: 'x'.repeat(10_000_001) } }));
    expect(r.status).toBe(413);
    expect(r.error).toMatchObject({ code: 'INPUT_TOO_LARGE', details: { limit_bytes: 10_000_000 } });
  });

  it('a well-formed body still runs', async () => {
    api = await startLocalApi(echo);
    const res = await fetch(`${api.url}/runsync`, { method: 'POST', body: JSON.stringify({ input: { a: 1 } }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'COMPLETED', output: { echo: { a: 1 } } });
  });
});

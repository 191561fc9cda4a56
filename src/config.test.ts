import { describe, expect, it } from 'vitest';
import { isWorkerError } from './errors.js';
import { loadConfig } from './config.js';

function fails(env: Record<string, string>, argv: string[] = []): string {
  try {
    loadConfig(env, argv, '/tmp');
  } catch (e) {
    if (isWorkerError(e)) return e.message;
    throw e;
  }
  throw new Error('accepted');
}

describe('configuration', () => {
  it('has working defaults, and treats empty variables as unset', () => {
    const c = loadConfig({ MAX_BASE64_BYTES: '', BUCKET_URL_EXPIRES_S: ' ', LOG_LEVEL: '' }, [], '/srv');
    expect(c).toMatchObject({
      volumeDir: '/runpod-volume',
      outputDir: '/srv/output',
      maxBase64Bytes: 15_000_000,
      logLevel: 'info',
      bucket: undefined,
    });
    expect(c.limits).toMatchObject({ maxDurationS: 3600, maxPixels: 4096 * 4096, allowPrivateUrls: false, maxRedirects: 5 });
  });

  it('names the bad variable or flag', () => {
    expect(fails({ MAX_PIXELS: 'lots' })).toContain('MAX_PIXELS');
    expect(fails({ LOG_LEVEL: 'loud' })).toContain('LOG_LEVEL');
    expect(fails({}, ['--rp_api_port', 'x'])).toContain('rp_api_port');
    expect(fails({}, ['--nope'])).toContain('nope');
  });

  it('reads a bucket the ways runpod-python users write it', () => {
    const keys = { BUCKET_ACCESS_KEY_ID: 'id', BUCKET_SECRET_ACCESS_KEY: 'secret' };
    expect(loadConfig({ ...keys, BUCKET_ENDPOINT_URL: 'https://acc.r2.cloudflarestorage.com/results' }).bucket).toMatchObject({
      endpoint: 'https://acc.r2.cloudflarestorage.com',
      bucket: 'results',
      region: 'us-east-1',
      prefix: 'foley-worker',
      urlExpiresS: 86_400,
    });
    expect(loadConfig({ ...keys, BUCKET_ENDPOINT_URL: 'https://media.s3.eu-west-1.amazonaws.com' }).bucket).toMatchObject({
      endpoint: 'https://s3.eu-west-1.amazonaws.com',
      bucket: 'media',
      region: 'eu-west-1',
    });
    expect(
      loadConfig({ ...keys, BUCKET_ENDPOINT_URL: 'http://127.0.0.1:9000', BUCKET_NAME: 'b', BUCKET_PREFIX: '/out/' }).bucket,
    ).toMatchObject({
      bucket: 'b',
      prefix: 'out',
    });
    expect(fails({ BUCKET_ENDPOINT_URL: 'http://127.0.0.1:9000' })).toContain('must be set together');
    expect(fails({ ...keys, BUCKET_ENDPOINT_URL: 'http://127.0.0.1:9000' })).toContain('BUCKET_NAME');
  });
});

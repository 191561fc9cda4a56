/**
 * Tasks get their part of the configuration, never a secret: with every secret the worker can be
 * given set, what the handler builds for tasks holds none of them, and still all a task reads.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { taskConfig } from '../../src/job/task.js';

const SECRETS = {
  BUCKET_ENDPOINT_URL: 'https://s3.example.com/my-bucket',
  BUCKET_ACCESS_KEY_ID: 'AKIA-secret-id-123',
  BUCKET_SECRET_ACCESS_KEY: 'bucket-secret-key-456',
  RUNPOD_AI_API_KEY: 'runpod-secret-789',
  LOCAL_API_KEY: 'local-secret-abc',
  HF_TOKEN: 'hf_secrettoken000',
};

describe('taskConfig', () => {
  const config = loadConfig({ PATH: '/usr/bin', VOLUME_DIR: '/vol', MAX_DURATION_S: '42', MODELS: 'acme/weights', ...SECRETS }, [], '/tmp');
  const forTasks = taskConfig(config);
  const wire = JSON.stringify(forTasks);

  it('holds no secret and nothing of the bucket, the runtime or the Hub token', () => {
    expect(config.bucket?.secretAccessKey).toBe(SECRETS.BUCKET_SECRET_ACCESS_KEY);
    for (const secret of Object.values(SECRETS)) expect(wire).not.toContain(secret);
    expect(Object.keys(forTasks).sort()).toEqual([
      'ffmpegTimeoutMs',
      'limits',
      'maxBase64Bytes',
      'maxInputBytes',
      'models',
      'samplesDir',
      'volumeDir',
    ]);
    expect(forTasks.models).not.toHaveProperty('token');
  });

  it('keeps what tasks read: paths, limits, models', () => {
    expect(forTasks.volumeDir).toBe('/vol');
    expect(forTasks.limits.maxDurationS).toBe(42);
    expect(forTasks.models.specs.map((s) => s.repo)).toEqual(['acme/weights']);
    expect(forTasks.ffmpegTimeoutMs).toBe(config.ffmpegTimeoutMs);
  });
});

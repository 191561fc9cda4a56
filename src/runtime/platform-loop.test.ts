import { describe, expect, it } from 'vitest';
import { redactQueries } from './platform-loop.js';

describe('lost-result logging', () => {
  it('keeps the path of URLs but not their query (presigned credentials live there)', () => {
    const text = '{"output":{"video_url":"https://s3.example.com/b/k.mp4?X-Amz-Signature=abc&X-Amz-Credential=AKIA","n":1}}';
    expect(redactQueries(text)).toBe('{"output":{"video_url":"https://s3.example.com/b/k.mp4?[redacted]","n":1}}');
  });
});

/**
 * The Dockerfile, read as text (no Docker daemon is needed): the final image must be CUDA 12 with
 * cuDNN 9 (onnxruntime-node 1.30's CUDA provider), the build must ask npm for ORT's CUDA 12
 * libraries, the worker must run under an init (tini) as `node dist/handler.js`, and every path
 * the built worker reads at run time must be copied into the final stage: the compiled code, the
 * packages (with the embedded model weights inside them), the converted models and the samples.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const DOCKERFILE = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');

/** Instructions of the last stage (after the last FROM), continuation lines joined. */
function finalStage(text: string): string[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const last = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  return lines.slice(last);
}

const stage = finalStage(DOCKERFILE);
const copies = stage.filter((l) => /^COPY\s/i.test(l)).join('\n');

describe('Dockerfile', () => {
  it("builds on CUDA 12 with cuDNN (9 ships with the CUDA 12.x cudnn images) and asks npm for ORT's CUDA 12 provider", () => {
    expect(stage[0]).toMatch(/^FROM\s+nvidia\/cuda:12\.\d+(\.\d+)?-cudnn(9)?-runtime-/i);
    expect(DOCKERFILE).toMatch(/npm ci[^\n]*--onnxruntime-node-install=cuda12/);
  });

  it('runs node dist/handler.js under tini, so signals reach the worker and it is not PID 1', () => {
    expect(stage.find((l) => /^ENTRYPOINT/i.test(l))).toMatch(/tini/);
    expect(stage.find((l) => /^CMD/i.test(l))).toMatch(/\["node",\s*"dist\/handler\.js"\]/);
    expect(DOCKERFILE).toMatch(/apt-get install[^\n]*\btini\b/);
  });

  it('copies everything the worker reads at run time into the final stage', () => {
    // The compiled worker (with the WebAssembly engine compiled into it), the packages (ORT,
    // ffmpeg, the ESRGAN, human and Silero weights), the converted models, the bundled samples.
    for (const path of ['/app/dist', '/app/node_modules', '/app/.cache/converted-models', '/app/samples', '/app/package.json']) {
      expect(copies, `${path} is not copied into the final image`).toContain(path);
    }
    // The build converts the embedded models so the image's first job does not.
    expect(DOCKERFILE).toMatch(/node dist\/handler\.js --convert-models/);
    // The Node binary itself comes from the build stage.
    expect(copies).toMatch(/\/usr\/local\/bin\/node/);
  });

  it('fails when one of those is missing (the check can fail)', () => {
    const broken = DOCKERFILE.replace(/^COPY --from=build \/app\/samples.*$/m, '');
    expect(
      finalStage(broken)
        .filter((l) => /^COPY\s/i.test(l))
        .join('\n'),
    ).not.toContain('/app/samples');
  });
});

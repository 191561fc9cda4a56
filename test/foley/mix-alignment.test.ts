/**
 * `audio_mode: "mix"` is sample-aligned: in the mixed output, the original track and the new
 * (Foley) track each sit at lag 0 against their sources, found by cross-correlation. The
 * original is white noise and the Foley a sparse click track (uncorrelated, so each component's
 * correlation peak is its own); real ffmpeg over the exact command `buildMuxArgs` builds. An MP4
 * output goes through AAC (encoder priming): its edit list must hide the priming, so the decoded
 * mix is compared with the original decoded the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mux, type OutputFormat } from '../../src/media/mux.js';
import { binaries, decodeAudioMono } from '../helpers/media.js';

const run = promisify(execFile);
const SR = 48_000;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mix-align-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The lag (samples, −maxLag..maxLag) at which `ref` best matches `x`: x[i + lag] ≈ ref[i]. */
function bestLag(x: Float32Array, ref: Float32Array, maxLag: number): { lag: number; peak: number; second: number } {
  const scores: number[] = [];
  const n = Math.min(x.length, ref.length) - maxLag;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let s = 0;
    for (let i = maxLag; i < n; i++) s += (x[i + lag] as number) * (ref[i] as number);
    scores.push(s);
  }
  let best = 0;
  for (let k = 1; k < scores.length; k++) if ((scores[k] as number) > (scores[best] as number)) best = k;
  // The runner-up away from the peak: the peak must stand out, or the lag means nothing.
  const second = Math.max(...scores.filter((_, k) => Math.abs(k - best) > 3));
  return { lag: best - maxLag, peak: scores[best] as number, second };
}

/** Sample positions of the Foley clicks (irregular, so no lag aliases onto another click). */
const CLICKS = [24_000, 50_017, 69_500, 90_001, 120_333];

async function makeInputs(
  name: string,
  original: { codec: string; rate: number; container: string },
): Promise<{ video: string; foley: string }> {
  const { ffmpeg } = binaries();
  const video = join(dir, `${name}.${original.container}`);
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'color=c=gray:s=160x90:r=25:d=3',
    '-f',
    'lavfi',
    '-i',
    `anoisesrc=a=0.1:c=white:seed=7:r=${original.rate}:d=3`,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    original.codec,
    '-shortest',
    video,
  ]);
  const foley = join(dir, `${name}-foley.wav`);
  const click = CLICKS.map((n) => `eq(n,${n})`).join('+');
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `aevalsrc='0.5*(${click})|0.5*(${click})':s=${SR}:d=3`,
    '-c:a',
    'pcm_f32le',
    foley,
  ]);
  return { video, foley };
}

async function mixAndMeasure(
  ffmpeg: string,
  name: string,
  format: OutputFormat,
  original: { codec: string; rate: number; container: string },
): Promise<void> {
  const { video, foley } = await makeInputs(name, original);
  const out = join(dir, `${name}-mixed.${format}`);
  await mux({ video, audio: foley, out, format, mode: 'mix', videoCodec: 'h264', sourceHasAudio: true }, { ffmpeg, timeoutMs: 60_000 });
  const x = await decodeAudioMono(out, SR);
  // The sources, decoded by the same decoder the output is (for AAC: with its priming removed).
  const orig = await decodeAudioMono(video, SR);
  const fx = await decodeAudioMono(foley, SR);
  const o = bestLag(x, orig, 600);
  const f = bestLag(x, fx, 600);
  expect(o.peak, 'the original is in the mix').toBeGreaterThan(3 * o.second);
  expect(f.peak, 'the Foley is in the mix').toBeGreaterThan(3 * f.second);
  expect({ original: o.lag, foley: f.lag }).toEqual({ original: 0, foley: 0 });
  // Nothing is lost at either end: the mix is as long as the Foley, and its last click is there.
  expect(Math.abs(x.length - fx.length)).toBeLessThanOrEqual(format === 'mp4' ? 1024 : 0);
  const last = CLICKS.at(-1) as number;
  expect(fx[last] as number).toBeGreaterThan(0.2);
  if (format === 'mp4') {
    // AAC smears a one-sample click over its neighbours: its peak must still be there.
    expect(Math.max(...x.subarray(last - 16, last + 16))).toBeGreaterThan(0.5 * (fx[last] as number));
  } else {
    expect(Math.abs((x[last] as number) - (fx[last] as number))).toBeLessThan(0.1);
  }
}

/**
 * The ffmpeg the worker resolves (the npm-shipped 2018 build here), and Debian's (5.1) when it is
 * installed: FFMPEG_PATH may point the worker at either, and the limiter's delay must be the same.
 */
const SYSTEM_FFMPEG = '/usr/bin/ffmpeg';
const FFMPEGS = [
  ['resolved', binaries().ffmpeg],
  ...(existsSync(SYSTEM_FFMPEG) && SYSTEM_FFMPEG !== binaries().ffmpeg ? [['system', SYSTEM_FFMPEG]] : []),
] as Array<[string, string]>;

describe.each(FFMPEGS)('mix mode is sample-aligned (%s ffmpeg)', (which, ffmpeg) => {
  it('WAV output, 48 kHz PCM original: both components at lag 0', async () => {
    await mixAndMeasure(ffmpeg, `${which}-pcm48`, 'wav', { codec: 'pcm_s16le', rate: 48_000, container: 'mkv' });
  });
  it('WAV output, 44.1 kHz PCM original (resampled in the mix): both at lag 0', async () => {
    await mixAndMeasure(ffmpeg, `${which}-pcm44`, 'wav', { codec: 'pcm_s16le', rate: 44_100, container: 'mkv' });
  });
  it('MP4 output (AAC), AAC original in MP4: both at lag 0 once decoded', async () => {
    await mixAndMeasure(ffmpeg, `${which}-aac`, 'mp4', { codec: 'aac', rate: 48_000, container: 'mp4' });
  });
  it('with speech ducking in the graph: still at lag 0', async () => {
    const { video, foley } = await makeInputs(`${which}-duck`, { codec: 'pcm_s16le', rate: 48_000, container: 'mkv' });
    const out = join(dir, `${which}-duck-mixed.wav`);
    await mux(
      { video, audio: foley, out, format: 'wav', mode: 'mix', videoCodec: 'h264', sourceHasAudio: true, speech: [[1.2, 1.6]] },
      { ffmpeg, timeoutMs: 60_000 },
    );
    const x = await decodeAudioMono(out, SR);
    expect(bestLag(x, await decodeAudioMono(video, SR), 600).lag).toBe(0);
    expect(bestLag(x, await decodeAudioMono(foley, SR), 600).lag).toBe(0);
    expect(x.length).toBe(3 * SR);
  });
});

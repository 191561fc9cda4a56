/**
 * The true-peak promise (≤ −1 dBTP) on a delivered `mix`: the sum of the original and the Foley is
 * a new track the engine's AAC check never saw, limited on sample peaks only. The job measures
 * the delivered file and muxes again lower when AAC broke the promise. Checked here with an
 * original as hot as real masters get (speech and noise driven to full scale) and independently
 * measured with ffmpeg's `ebur128=peak=true` on the file the user gets.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mux } from '../../src/media/mux.js';
import { createTestWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { binaries, ebur128 } from '../helpers/media.js';

const run = promisify(execFile);
const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';

let worker: TestWorker;
beforeAll(async () => {
  worker = await createTestWorker({}, 'temp');
  const speech = join(worker.root, 'speech.wav');
  await run('espeak-ng', ['-w', speech, 'Loud and clear. Every word pushed right up to the limit of the recording, with noise around it.']);
  // The street with a hot original: speech and pink noise, limited to full scale (0 dBFS peaks).
  await run(binaries().ffmpeg, [
    '-v',
    'error',
    '-y',
    '-i',
    VTEST,
    '-i',
    speech,
    '-f',
    'lavfi',
    '-i',
    'anoisesrc=color=pink:amplitude=0.5:d=6',
    '-filter_complex',
    '[1:a]aresample=48000,volume=12dB[s];[2:a]aresample=48000[n];' +
      '[s][n]amix=inputs=2:duration=longest,volume=4,alimiter=limit=1:level=false,atrim=0:6[a]',
    '-map',
    '0:v',
    '-map',
    '[a]',
    '-t',
    '6',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '256k',
    join(worker.config.volumeDir, 'hot.mp4'),
  ]);
}, 60_000);
afterAll(() => worker.close());

it.each(['mp4', 'm4a'] as const)(
  'a mix delivered as %s keeps true peak ≤ −1 dBTP, as the job reports it',
  async (format) => {
    const out = outputOf(
      await worker.run({
        video_path: 'hot.mp4',
        audio_mode: 'mix',
        prompt: 'rain',
        output_format: format,
        delivery: 'path',
        seed: 5,
        vision: false,
      }),
    );
    const file = (out.video_path ?? out.audio_path) as string;
    const measured = await ebur128(file);
    expect(measured.truePeak).toBeLessThanOrEqual(-1);
    const loudness = out.loudness as { mix_true_peak_dbtp: number; mix_trim_db?: number };
    expect(loudness.mix_true_peak_dbtp).toBeCloseTo(measured.truePeak, 1);
    console.log(`${format}: delivered true peak ${measured.truePeak} dBTP, trim ${loudness.mix_trim_db ?? 0} dB`);
  },
  60_000,
);

it('a second mux with mixTrimDb lowers the delivered mix by that much (what a job does when AAC breaks the promise)', async () => {
  const hot = join(worker.config.volumeDir, 'hot.mp4');
  const foley = join(worker.root, 'foley.wav');
  // A loud Foley stand-in: pink noise near full scale.
  await run(binaries().ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'anoisesrc=color=pink:amplitude=0.9:d=6',
    '-ar',
    '48000',
    '-ac',
    '2',
    '-c:a',
    'pcm_f32le',
    foley,
  ]);
  const plan = { video: hot, audio: foley, format: 'mp4' as const, mode: 'mix' as const, videoCodec: 'h264', sourceHasAudio: true };
  const opts = { ffmpeg: binaries().ffmpeg, timeoutMs: 60_000 };
  const plain = join(worker.root, 'plain.mp4');
  const trimmed = join(worker.root, 'trimmed.mp4');
  await mux({ ...plan, out: plain }, opts);
  await mux({ ...plan, out: trimmed, mixTrimDb: -3 }, opts);
  const [a, b] = [await ebur128(plain), await ebur128(trimmed)];
  expect(a.truePeak - b.truePeak).toBeGreaterThan(2.5);
  expect(a.truePeak - b.truePeak).toBeLessThan(3.5);
  expect(a.integrated - b.integrated).toBeCloseTo(3, 0);
}, 60_000);

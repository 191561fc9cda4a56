/** Test helpers over the real ffmpeg/ffprobe: generate clips, read streams, decode audio. */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveMediaBinaries, type MediaBinaries } from '../../src/media/binaries.js';
import { decodeRgbFrames } from '../../src/media/rgb-frames.js';
import { makeLavfiClip } from '../../bench/clips.js';
import { ebur128 as readEbur128, type Ebur128 } from '../../bench/ebur128.js';
import { rmsHops } from './audio.js';

const run = promisify(execFile);

let cached: MediaBinaries | undefined;
export function binaries(): MediaBinaries {
  cached ??= resolveMediaBinaries({ searchPath: process.env.PATH });
  return cached;
}

/**
 * ../shared/media beside the repository: real clips on our machines and in our CI, absent on
 * GitHub. FOLEY_TEST_SHARED_MEDIA moves it (a path that does not exist simulates GitHub); tests
 * that need a clip's look skip without it (HAS_SHARED_MEDIA), the others use test/helpers/stand-ins.ts.
 */
export const SHARED_MEDIA = process.env.FOLEY_TEST_SHARED_MEDIA || new URL('../../../shared/media/', import.meta.url).pathname;
export const HAS_SHARED_MEDIA = existsSync(join(SHARED_MEDIA, 'chaplin.mp4'));

export interface StreamFacts {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  duration?: string;
  nb_read_packets?: string;
  sample_rate?: string;
  channels?: number;
}

export async function probeStreams(file: string): Promise<StreamFacts[]> {
  const { stdout } = await run(binaries().ffprobe, ['-v', 'error', '-count_packets', '-print_format', 'json', '-show_streams', file], {
    maxBuffer: 64 << 20,
  });
  return (JSON.parse(stdout) as { streams: StreamFacts[] }).streams;
}

/** Number of video packets (= frames for these codecs) in the first video stream. */
export async function videoFrameCount(file: string): Promise<number> {
  const v = (await probeStreams(file)).find((s) => s.codec_type === 'video');
  return Number(v?.nb_read_packets);
}

/** Decode the first audio stream to mono float32 at `sampleRate`. */
export async function decodeAudioMono(file: string, sampleRate = 48_000): Promise<Float32Array> {
  const { stdout } = await run(
    binaries().ffmpeg,
    ['-v', 'error', '-i', file, '-map', '0:a:0', '-ac', '1', '-ar', String(sampleRate), '-f', 'f32le', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 1 << 30 },
  );
  const copy = Buffer.from(stdout);
  return new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
}

/** MD5 of the audio stream's packets, untouched (stream copy), for byte-identity checks. */
export async function audioPacketsMd5(file: string): Promise<string> {
  const { stdout } = await run(binaries().ffmpeg, ['-v', 'error', '-i', file, '-map', '0:a:0', '-c', 'copy', '-f', 'md5', 'pipe:1']);
  return stdout.trim();
}

/** Make a clip with ffmpeg's lavfi sources: `inputs` are lavfi graphs, `filter` joins them into [v]. */
export async function makeClip(out: string, inputs: string[], filter: string, extra: string[] = []): Promise<void> {
  await makeLavfiClip(binaries().ffmpeg, out, { inputs, filter }, extra);
}

/**
 * A plain onset detector for audio, independent of the engine's code: RMS in 5 ms hops, rise of
 * log energy over the previous 50 ms, local maxima at least `minGapS` apart. Returns the `count`
 * strongest onset times (s), in time order.
 */
export function audioOnsets(samples: Float32Array, sampleRate: number, count: number, minGapS = 0.15): number[] {
  const { hop, rms: energy } = rmsHops(samples, sampleRate);
  const frames = energy.length;
  const rise: Array<{ f: number; r: number }> = [];
  for (let f = 10; f < frames; f++) {
    let past = 0;
    for (let j = f - 10; j < f; j++) past += energy[j] as number;
    past /= 10;
    const r = Math.log((energy[f] as number) + 1e-6) - Math.log(past + 1e-6);
    rise.push({ f, r });
  }
  rise.sort((a, b) => b.r - a.r);
  const picked: number[] = [];
  for (const { f } of rise) {
    const t = (f * hop) / sampleRate;
    if (picked.every((p) => Math.abs(p - t) >= minGapS)) picked.push(t);
    if (picked.length === count) break;
  }
  return picked.sort((a, b) => a - b);
}

/** End of the video on its timeline: the largest packet pts + duration, and the median frame interval. */
export async function videoTiming(file: string): Promise<{ end: number; frameInterval: number }> {
  const { stdout } = await run(
    binaries().ffprobe,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', file],
    { maxBuffer: 64 << 20 },
  );
  const rows = stdout
    .trim()
    .split('\n')
    .map((l) => l.split(',').map(Number));
  const durations = rows
    .map((r) => r[1] ?? Number.NaN)
    .filter((d) => Number.isFinite(d) && d > 0)
    .sort((a, b) => a - b);
  const frameInterval = durations[durations.length >> 1] ?? 0;
  const end = Math.max(...rows.map((r) => (r[0] ?? 0) + (Number.isFinite(r[1]) ? (r[1] as number) : frameInterval)));
  return { end, frameInterval };
}

/** ffmpeg's own EBU R128 meter on the first audio stream of `file`. */
export async function ebur128(file: string): Promise<Ebur128> {
  return readEbur128(binaries().ffmpeg, file);
}

/** Decode the first audio stream to planar stereo float32 at 48 kHz. */
export async function decodeAudioStereo(file: string): Promise<[Float32Array, Float32Array]> {
  const { stdout } = await run(
    binaries().ffmpeg,
    ['-v', 'error', '-i', file, '-map', '0:a:0', '-ac', '2', '-ar', '48000', '-f', 'f32le', 'pipe:1'],
    {
      encoding: 'buffer',
      maxBuffer: 1 << 30,
    },
  );
  const copy = Buffer.from(stdout);
  const all = new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
  const n = all.length / 2;
  const l = new Float32Array(n);
  const r = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    l[i] = all[2 * i] as number;
    r[i] = all[2 * i + 1] as number;
  }
  return [l, r];
}

/** ffmpeg processes whose parent is this test process (from /proc: Linux). */
export function ffmpegChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const m = /^\d+ \((.*)\) \S (\d+)/.exec(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (m && Number(m[2]) === process.pid && (m[1] ?? '').includes('ffmpeg')) pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

/** Every frame of `file` as rgb24 at `width`×`height` (the worker's own decoder). */
export async function readRgbFrames(file: string, width: number, height: number): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  for await (const f of decodeRgbFrames({ ffmpeg: binaries().ffmpeg, file, width, height, timeoutMs: 30_000 })) frames.push(f);
  return frames;
}

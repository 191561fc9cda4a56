/**
 * @module Stand-ins for the clips of ../shared/media, made with ffmpeg from Debian opencv-doc's
 * real footage (vtest.avi: a street with pedestrians) and lavfi tones, so the tests that exercise
 * codecs, containers and time bases run on any machine (GitHub's runners have no ../shared). Each
 * stand-in has what its namesake is in the tests for (../shared/media/README.md): the codecs, the
 * frame rate, the odd time base, the missing container duration, the alpha plane, the audio that
 * fails part-way. Tests where the real clip's picture is the point skip without ../shared instead.
 *
 * Made once per machine into a temp folder keyed by the recipes' hash (written under a temporary
 * name, then renamed, so parallel test files never see half a clip).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaries } from './media.js';

const run = promisify(execFile);

/** Debian opencv-doc's sample data (installed by CI: apt install opencv-doc). */
export const OPENCV_DATA = '/usr/share/doc/opencv-doc/examples/data';
const VTEST = join(OPENCV_DATA, 'vtest.avi');

export type StandInName =
  | 'chaplin.mp4'
  | 'fire2.mp4'
  | 'no_duration.webm'
  | 'transparent.webm'
  | 'smpte-2997.mp4'
  | 'big_buck_bunny_0_30.webm'
  | 'video_with_failing_audio.mp4';

/** A recipe: ffmpeg arguments after `-v error -y` (the output path is appended), or a custom maker. */
type Recipe = { args: string[]; pipe?: boolean; after?: (file: string) => Promise<void> };

/** vtest.avi (768×576, 10 fps) for `d` seconds (input 0): real people walking. */
const street = (d: number): string[] => ['-t', String(d), '-i', VTEST];
/** Its picture scaled to `size` at `fps` (an output option: after every input). */
const look = (size: string, fps: string): string[] => ['-vf', `scale=${size},fps=${fps},setsar=1`];
const tone = (d: number, rate = 48_000): string[] => ['-f', 'lavfi', '-t', String(d), '-i', `sine=f=440:r=${rate}:d=${d}`];

const RECIPES: Record<StandInName, Recipe> = {
  // H.264 + MP3, 640×360, 25 fps, 9.6 s of film-like footage (people).
  'chaplin.mp4': {
    args: [
      ...street(9.6),
      ...tone(9.6, 44_100),
      ...look('640:360', '25'),
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '96k',
      '-shortest',
      '-f',
      'mp4',
    ],
  },
  // H.264 + AAC, 1280×720, a 90 kHz time base and variable frame times (every 7th
  // frame of 24 fps dropped, its neighbour shown twice as long), 2.38 s.
  'fire2.mp4': {
    args: [
      '-t',
      '2.375',
      '-i',
      VTEST,
      ...tone(2.38),
      '-vf',
      "scale=1280:720,fps=24,setsar=1,select='not(eq(mod(n,7),3))'",
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-vsync',
      'vfr',
      '-video_track_timescale',
      '90000',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-b:a',
      '96k',
      '-f',
      'mp4',
    ],
  },
  // VP9 + Opus at 15000/1001 fps in a WebM written to a pipe: no seeking back, so no duration.
  'no_duration.webm': {
    args: [
      ...street(3),
      ...tone(3),
      ...look('320:240', '15000/1001'),
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'libvpx-vp9',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-b:v',
      '300k',
      '-c:a',
      'libopus',
      '-f',
      'webm',
    ],
    pipe: true,
  },
  // VP9 with alpha, 200×200, 30 fps, 5 s: a translucent disc over a transparent field.
  'transparent.webm': {
    args: [
      '-f',
      'lavfi',
      '-i',
      'color=c=red@0.0:s=200x200:r=30:d=5,format=yuva420p,' +
        "geq=r='200*gt(100*100,(X-100-40*sin(T))^2+(Y-100)^2)':g='80':b='40':a='255*gt(100*100,(X-100-40*sin(T))^2+(Y-100)^2)'",
      '-c:v',
      'libvpx-vp9',
      '-pix_fmt',
      'yuva420p',
      '-auto-alt-ref',
      '0',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-b:v',
      '200k',
      '-f',
      'webm',
    ],
  },
  // H.264 + AAC, 1920×1080, 30000/1001 fps, a test pattern (3 s: the tests read its first frames).
  'smpte-2997.mp4': {
    args: [
      '-f',
      'lavfi',
      '-i',
      'smptehdbars=s=1920x1080:r=30000/1001:d=3',
      ...tone(3),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      '-f',
      'mp4',
    ],
  },
  // VP8 + Vorbis, 1280×720, 24 fps, 30 s of real footage (longer than the tests' 20 s limit).
  'big_buck_bunny_0_30.webm': {
    args: [
      ...street(30),
      ...tone(30, 44_100),
      ...look('1280:720', '24'),
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'libvpx',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-b:v',
      '800k',
      '-c:a',
      'libvorbis',
      '-shortest',
      '-f',
      'webm',
    ],
  },
  // H.264, 280 frames at 25 fps, and an MP3 track whose middle packets are overwritten with junk.
  'video_with_failing_audio.mp4': {
    args: [
      ...street(11.2),
      ...tone(11.2, 44_100),
      ...look('640:360', '25'),
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'libmp3lame',
      '-shortest',
      '-f',
      'mp4',
    ],
    after: breakAudioMiddle,
  },
};

/** Overwrites the audio packets of the middle third with a junk pattern, in place. */
async function breakAudioMiddle(file: string): Promise<void> {
  const { stdout } = await run(
    binaries().ffprobe,
    ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=pos,size', '-of', 'json', file],
    { maxBuffer: 16 << 20 },
  );
  const packets = (JSON.parse(stdout) as { packets: Array<{ pos: string; size: string }> }).packets.map(
    (p) => [Number(p.pos), Number(p.size)] as const,
  );
  const fh = await open(file, 'r+');
  try {
    for (const [pos, size] of packets.slice(Math.floor(packets.length / 3), Math.floor((2 * packets.length) / 3))) {
      await fh.write(Buffer.alloc(size, 0xa5), 0, size, pos);
    }
  } finally {
    await fh.close();
  }
}

const CACHE = join(
  tmpdir(),
  `foley-stand-ins-${createHash('sha256')
    .update(JSON.stringify(RECIPES) + breakAudioMiddle.toString())
    .digest('hex')
    .slice(0, 12)}`,
);

/** The stand-in for `name`, made on first use (and kept for the next test file). */
export async function standIn(name: StandInName): Promise<string> {
  const file = join(CACHE, name);
  if (existsSync(file)) return file;
  await mkdir(CACHE, { recursive: true });
  const part = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
  const recipe = RECIPES[name];
  try {
    if (recipe.pipe) {
      const { stdout } = await run(binaries().ffmpeg, ['-v', 'error', '-y', ...recipe.args, 'pipe:1'], {
        encoding: 'buffer',
        maxBuffer: 1 << 28,
      });
      const fh = await open(part, 'w');
      await fh.writeFile(stdout);
      await fh.close();
    } else {
      await run(binaries().ffmpeg, ['-v', 'error', '-y', ...recipe.args, part], { maxBuffer: 16 << 20 });
    }
    await recipe.after?.(part);
    await rename(part, file);
  } catch (e) {
    await rm(part, { force: true });
    throw e;
  }
  return file;
}

/** Every stand-in. */
export const STAND_IN_NAMES = Object.keys(RECIPES) as StandInName[];

/** Copies the stand-ins named into `dir` under their own names (a test worker's volume). */
export async function copyStandIns(dir: string, names: StandInName[]): Promise<void> {
  await Promise.all(names.map(async (n) => copyFile(await standIn(n), join(dir, n))));
}

/** The stand-in's bytes. */
export async function readStandIn(name: StandInName): Promise<Buffer> {
  return readFile(await standIn(name));
}

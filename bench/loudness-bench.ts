/**
 * @module Loudness of the engine's output, read by ffmpeg's own meter (ebur128=peak=true): every
 * preset on a generated "action" clip, on real film (chaplin.mp4, first 10 s) and on a still
 * video (the bed alone). Integrated LUFS / true peak dBTP, seed 8, WAV out. `bench/run.ts` calls it.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { createHandler } from '../src/dispatch/handler.js';
import { resolveMediaBinaries } from '../src/media/binaries.js';
import { PRESETS } from '../src/pipelines/foley/presets.js';
import { runJob } from '../src/runtime/run-job.js';
import { LOUDNESS_CLIPS, makeLavfiClip } from './clips.js';
import { ebur128 } from './ebur128.js';
import type { BenchTable } from './section.js';

const SHARED_MEDIA = new URL('../../../shared/media/', import.meta.url).pathname;

export async function runLoudnessBench(): Promise<BenchTable[]> {
  const { ffmpeg } = resolveMediaBinaries({ searchPath: process.env.PATH });
  const root = await mkdtemp(join(tmpdir(), 'loudness-bench-'));
  try {
    const volume = join(root, 'volume');
    await mkdir(volume);
    // The loudness test's clips.
    await makeLavfiClip(ffmpeg, join(volume, 'action.mp4'), LOUDNESS_CLIPS.action);
    await makeLavfiClip(ffmpeg, join(volume, 'still.mp4'), LOUDNESS_CLIPS.still);
    await copyFile(join(SHARED_MEDIA, 'chaplin.mp4'), join(volume, 'chaplin.mp4'));
    const config = loadConfig(
      { VOLUME_DIR: volume, OUTPUT_DIR: join(root, 'out'), WORK_DIR: root, PATH: process.env.PATH ?? '' },
      [],
      root,
    );
    const handler = createHandler({ config, binaries: () => resolveMediaBinaries({ searchPath: process.env.PATH }) });
    const ctx = {
      id: 'loudness',
      mode: 'test' as const,
      signal: new AbortController().signal,
      log: pino({ level: 'silent' }),
      progress: () => {},
    };
    const measure = async (input: Record<string, unknown>): Promise<string> => {
      const result = await runJob({ handler, job: { id: 'loudness', input: { seed: 8, output_format: 'wav', ...input } }, ctx });
      if ('error' in result) throw new Error(`loudness bench job failed: ${result.error}`);
      const m = await ebur128(ffmpeg, (result.output as { audio_path: string }).audio_path);
      return `${m.integrated.toFixed(1).replace('-', '−')} / ${m.truePeak.toFixed(1).replace('-', '−')}`;
    };
    const rows: string[][] = [];
    for (const preset of PRESETS) {
      const prompt = preset.name === 'neutral' ? '' : (preset.keywords[0] as string);
      rows.push([
        preset.name,
        await measure({ video_path: 'action.mp4', prompt }),
        await measure({ video_path: 'chaplin.mp4', prompt, duration: 10 }),
        await measure({ video_path: 'still.mp4', prompt }),
      ]);
    }
    return [
      {
        columns: ['Preset', 'generated "action" clip', 'chaplin.mp4 (real film, 10 s)', 'still video (bed only)'],
        rows,
        note: 'Integrated LUFS / true peak dBTP (ffmpeg `ebur128=peak=true`), seed 8, WAV out.',
      },
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

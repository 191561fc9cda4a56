/**
 * @module The MP4 a video task made, checked before delivery: probed (a file ffprobe cannot read
 * fails the job here, not on the user's side) and described for the frame as a TaskOutput.
 */
import { probeMedia } from '../media/probe.js';
import type { TaskJob, TaskOutput } from './task.js';

export async function verifiedMp4(file: string, job: TaskJob, ffprobe: string, fallbackDurationS = 0): Promise<Omit<TaskOutput, 'fields'>> {
  const started = performance.now();
  const done = await probeMedia(file, { ffprobe, signal: job.ctx.signal });
  job.mark('verify', started);
  return { file, ext: 'mp4', mime: 'video/mp4', kind: 'video', duration: done.duration ?? fallbackDurationS };
}

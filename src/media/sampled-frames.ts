/**
 * @module The sampled frames of a decode (frames.ts `sample`): pixels from one of ffmpeg's extra
 * pipes, their times from that output's `showinfo` lines on stderr (which arrive on their own
 * schedule), each frame handed on once both are there, at the consumer's pace.
 */
import type { Readable } from 'node:stream';
import { FrameSplitter } from './frame-splitter.js';

export interface FrameSize {
  width: number;
  height: number;
}

/** How long a frame waits for its time line when no later line came either (the line is then taken as lost). */
const LINE_WAIT_MS = 5_000;

/** showinfo's `s:WxH`: the size of the frames on the pipe. */
export const SHOWINFO_SIZE = /\bs:(\d+)x(\d+)\b/;

export interface SampledFramesOptions {
  /** Bytes per pixel: 3 for rgb24, 1 for gray. */
  channels: number;
  /** The spacing asked for (s): a frame whose time never came gets the last one's plus this. */
  everyS: number;
  onSize?: ((size: FrameSize) => void) | undefined;
  /** Each frame (the buffer is the caller's to keep) and its time; its promise holds the next back. */
  onFrame: (pixels: Uint8Array, time: number) => void | Promise<void>;
}

/** One sampled output of a decode. */
export class SampledFrames {
  private splitter: FrameSplitter | undefined;
  private size: FrameSize | undefined;
  private readonly times: number[] = [];
  private readonly frames: Uint8Array[] = [];
  private readonly early: Buffer[] = [];
  private delivered = 0;
  /** The highest frame number whose time line came (−1: none yet). */
  private lastKnown = -1;
  private wake: (() => void) | undefined;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;
  private failure: { error: unknown } | undefined;

  constructor(private readonly o: SampledFramesOptions) {}

  timeLine(line: string, n: number, time: number): void {
    if (!this.size) {
      const s = SHOWINFO_SIZE.exec(line);
      if (!s) return;
      this.size = { width: Number(s[1]), height: Number(s[2]) };
      this.splitter = new FrameSplitter(this.size.width * this.size.height * this.o.channels, true);
      this.o.onSize?.(this.size);
    }
    this.times[n] = time;
    this.lastKnown = Math.max(this.lastKnown, n);
    this.wake?.();
  }

  read(stream: Readable): void {
    this.reading = (async () => {
      // The stream is read to its end whatever happens: ffmpeg would block on a pipe left unread.
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (this.stopped) continue;
        this.early.push(chunk);
        // Pixels can come before the first showinfo line (which gives their size): they wait.
        if (!this.splitter) continue;
        this.split(this.splitter);
        await this.deliver(false);
      }
      if (this.splitter) this.split(this.splitter);
      await this.deliver(true);
    })();
    // Failures surface through finished(); none must be unhandled meanwhile.
    this.reading.catch(() => undefined);
  }

  private split(splitter: FrameSplitter): void {
    for (const c of this.early.splice(0)) for (const f of splitter.take(c)) this.frames.push(f);
  }

  /** Hands on every frame whose time is known; at the end (`all`), the rest get one interpolated. */
  private async deliver(all: boolean): Promise<void> {
    while (this.frames.length > 0 && !this.stopped) {
      // stderr runs behind the pixels at times (more so on a loaded machine): the frame waits for
      // its line, as long as it takes, so that its time never depends on the machine's pace. Lines
      // come in order: one still missing once a later frame's line came is lost, and only then (or
      // after LINE_WAIT_MS without any line, or at the end) is the time interpolated.
      const since = performance.now();
      while (
        this.times[this.delivered] === undefined &&
        !all &&
        this.lastKnown <= this.delivered &&
        performance.now() - since < LINE_WAIT_MS
      ) {
        await new Promise<void>((r) => {
          this.wake = r;
          setTimeout(r, 50).unref();
        });
        this.wake = undefined;
      }
      const t = this.times[this.delivered] ?? (this.times[this.delivered - 1] ?? -this.o.everyS) + this.o.everyS;
      this.times[this.delivered++] = t;
      try {
        await this.o.onFrame(this.frames.shift() as Uint8Array, t);
      } catch (error) {
        // The consumer's failure ends the sampling, not the decode: the job decides what it means.
        this.failure ??= { error };
        this.stopped = true;
      }
    }
  }

  /** Resolves when every sampled frame was handed on; rejects with the consumer's error. */
  async finished(): Promise<void> {
    await this.reading;
    if (this.failure) throw this.failure.error;
  }

  stop(): void {
    this.stopped = true;
  }
}

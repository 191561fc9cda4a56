/**
 * @module Cuts raw video read from a pipe into frames: the pipe hands out chunks of any length
 * (64 KiB, typically), a frame is `frameBytes` long, and a frame may straddle chunks.
 */
export class FrameSplitter {
  private frame: Uint8Array;
  private have = 0;

  /**
   * @param ownFrames true: every frame is a new buffer the consumer may keep. false: one buffer
   *   is reused, valid until the consumer asks for the next frame (copy it to keep it).
   */
  constructor(
    readonly frameBytes: number,
    private readonly ownFrames: boolean,
  ) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    this.frame = new Uint8Array(frameBytes);
  }

  /** Bytes of the frame in progress (not 0 at the end of the stream: the last frame is cut short). */
  get partial(): number {
    return this.have;
  }

  /** The frames `chunk` completes, in order. Stopping early drops the rest of the chunk. */
  *take(chunk: Uint8Array): Generator<Uint8Array> {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(this.frameBytes - this.have, chunk.length - offset);
      this.frame.set(chunk.subarray(offset, offset + n), this.have);
      this.have += n;
      offset += n;
      if (this.have === this.frameBytes) {
        const full = this.frame;
        this.have = 0;
        if (this.ownFrames) this.frame = new Uint8Array(this.frameBytes);
        yield full;
      }
    }
  }
}

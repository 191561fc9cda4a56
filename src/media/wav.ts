/**
 * @module PCM → WAV bytes: IEEE float 32-bit (no quantisation step before an AAC/FLAC encoder;
 * ffmpeg reads it natively) or 16-bit integer (the delivered WAV, written without a remux; the
 * engine converts the samples, dsp/wasm.ts).
 */

/** How samples are stored: 32-bit float or 16-bit integer PCM. */
export type WavSampleFormat = 'f32' | 's16';

/** Largest data size a RIFF/WAV header can describe (32-bit sizes): about 3.1 h of stereo float at 48 kHz. */
export const WAV_MAX_DATA_BYTES = 0xffffffff - 36;

/** The 44-byte header of a WAV holding `frames` frames, so a writer can stream the data after it. */
export function wavHeader(frames: number, numChannels: number, sampleRate: number, format: WavSampleFormat = 'f32'): Buffer {
  const bytesPerSample = format === 'f32' ? 4 : 2;
  const dataBytes = frames * numChannels * bytesPerSample;
  if (dataBytes > WAV_MAX_DATA_BYTES) throw new RangeError(`${frames} frames do not fit in a WAV file (4 GiB limit)`);
  const buf = Buffer.alloc(44);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(format === 'f32' ? 3 : 1, 20); // WAVE_FORMAT_IEEE_FLOAT or WAVE_FORMAT_PCM
  buf.writeUInt16LE(numChannels, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * numChannels * bytesPerSample, 28);
  buf.writeUInt16LE(numChannels * bytesPerSample, 32);
  buf.writeUInt16LE(8 * bytesPerSample, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  return buf;
}

/** Interleaved float samples as little-endian bytes (a view when the machine is little-endian). */
export function float32LeBytes(samples: Float32Array, count = samples.length): Uint8Array {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, count * 4);
  if (LITTLE_ENDIAN) return bytes;
  const out = Buffer.alloc(count * 4);
  for (let i = 0; i < count; i++) out.writeFloatLE(samples[i] as number, i * 4);
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Interleave planar channels into a 32-bit float WAV file image. */
export function encodeWavFloat32(channels: readonly Float32Array[], sampleRate: number): Buffer {
  const numChannels = channels.length;
  if (numChannels === 0) throw new RangeError('`channels` must hold at least one channel');
  const frames = channels[0]?.length ?? 0;
  for (const c of channels) if (c.length !== frames) throw new RangeError('all channels must have the same length');
  const buf = Buffer.alloc(44 + frames * numChannels * 4);
  wavHeader(frames, numChannels, sampleRate).copy(buf, 0);
  let o = 44;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < numChannels; c++) {
      buf.writeFloatLE((channels[c] as Float32Array)[i] as number, o);
      o += 4;
    }
  }
  return buf;
}

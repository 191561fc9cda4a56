/**
 * @module Float PCM → WAV bytes (IEEE float, 32-bit). Float avoids a quantisation step before the
 * AAC/FLAC encoder; ffmpeg reads it natively.
 */

/** Interleave planar channels into a 32-bit float WAV file image. */
export function encodeWavFloat32(channels: readonly Float32Array[], sampleRate: number): Buffer {
  const numChannels = channels.length;
  if (numChannels === 0) throw new RangeError('`channels` must hold at least one channel');
  const frames = channels[0]?.length ?? 0;
  for (const c of channels) if (c.length !== frames) throw new RangeError('all channels must have the same length');
  const dataBytes = frames * numChannels * 4;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(3, 20); // WAVE_FORMAT_IEEE_FLOAT
  buf.writeUInt16LE(numChannels, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * numChannels * 4, 28);
  buf.writeUInt16LE(numChannels * 4, 32);
  buf.writeUInt16LE(32, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  let o = 44;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < numChannels; c++) {
      buf.writeFloatLE((channels[c] as Float32Array)[i] as number, o);
      o += 4;
    }
  }
  return buf;
}

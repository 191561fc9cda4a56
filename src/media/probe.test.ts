import { describe, expect, it } from 'vitest';
import { parseProbe } from './probe.js';

const video = { index: 0, codec_type: 'video', codec_name: 'h264', width: 640, height: 360, avg_frame_rate: '25/1', r_frame_rate: '25/1' };
const audio = { index: 1, codec_type: 'audio', codec_name: 'aac', sample_rate: '48000', channels: 2 };

describe('parseProbe: where each stream starts', () => {
  it("reads each stream's start, and the container's", () => {
    const m = parseProbe({
      streams: [
        { ...video, start_time: '0.520000' },
        { ...audio, start_time: '0.000000' },
      ],
      format: { format_name: 'matroska,webm', start_time: '0.000000', duration: '6.0' },
    });
    expect([m.startTime, m.video.startTime, m.audio?.startTime]).toEqual([0, 0.52, 0]);
  });

  it(
    "without the container's start, counts from the earliest stream (as ffmpeg does); " + 'a stream without one starts with the container',
    () => {
      const m = parseProbe({
        streams: [
          { ...video, start_time: '1.400000' },
          { ...audio, start_time: '1.380000' },
        ],
        format: { format_name: 'mpegts' },
      });
      expect([m.startTime, m.video.startTime, m.audio?.startTime]).toEqual([1.38, 1.4, 1.38]);
      const bare = parseProbe({ streams: [video, audio], format: { format_name: 'avi', start_time: '0.5' } });
      expect([bare.video.startTime, bare.audio?.startTime]).toEqual([0.5, 0.5]);
    },
  );
});

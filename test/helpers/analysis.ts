/** What a Foley job's analysis sees of a file: the real decode at the analysis size, with colour, into the analyser. */
import { streamGrayFrames } from '../../src/media/frames.js';
import { MotionAnalyzer, type AnalysisResult } from '../../src/pipelines/foley/analysis.js';
import { binaries } from './media.js';

export async function analyseClip(file: string): Promise<AnalysisResult> {
  let a: MotionAnalyzer | undefined;
  const { times } = await streamGrayFrames({
    ffmpeg: binaries().ffmpeg,
    file,
    chroma: true,
    timeoutMs: 60_000,
    onSize: (s) => {
      a = new MotionAnalyzer(s.width, s.height);
    },
    onFrame: (f, _i, t) => (a as MotionAnalyzer).push(f, t),
  });
  return (a as MotionAnalyzer).finish(times);
}

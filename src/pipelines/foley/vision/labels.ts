/**
 * @module What is seen, and what it sounds like (pure). Detections on the sampled frames are
 * merged per label into time spans (the result's `seen`), and, when the prompt names no sound, the
 * spans choose the preset: the label table below (docs/tasks/foley.md, "What the worker sees and hears") says which
 * COCO label sounds like which preset; a label with no entry (a cat, a laptop) picks nothing.
 */
import type { Detection } from '../../../vision/types.js';
import type { PresetName } from '../presets.js';

/** COCO label → the preset that sounds like it. Keep the table in docs/tasks/foley.md in step. */
export const LABEL_SOUNDS: Readonly<Record<string, PresetName>> = {
  person: 'footsteps',
  car: 'engine',
  truck: 'engine',
  bus: 'engine',
  motorcycle: 'engine',
  train: 'engine',
  airplane: 'engine',
  boat: 'water',
  surfboard: 'water',
  bird: 'birds',
  dog: 'dogs',
  'wine glass': 'glass',
  cup: 'glass',
  bottle: 'glass',
  bowl: 'glass',
  fork: 'metal',
  knife: 'metal',
  spoon: 'metal',
  scissors: 'metal',
  'sports ball': 'impact',
  'baseball bat': 'impact',
  'tennis racket': 'impact',
  skateboard: 'impact',
  frisbee: 'wind',
  kite: 'wind',
  umbrella: 'rain',
  skis: 'rustle',
  snowboard: 'rustle',
  'potted plant': 'rustle',
  backpack: 'cloth',
  handbag: 'cloth',
  suitcase: 'cloth',
  tie: 'cloth',
  couch: 'cloth',
  bed: 'cloth',
};

/** This many people at once, on average over a span, is a crowd rather than footsteps. */
export const CROWD_PEOPLE = 5;

export interface SeenSpan {
  label: string;
  /** The best score of the label in the span. */
  score: number;
  /** Seconds. */
  start: number;
  end: number;
  /** Mean number of detections per sample in the span (people: how many walk at once). */
  count: number;
  /** Mean box area (fraction of the frame) × score: how much of the picture it is. */
  salience: number;
}

export interface DetectionSample {
  time: number;
  detections: readonly Detection[];
}

/**
 * Detections merged per label into spans: a label seen again within `maxGapS` continues its span;
 * a span ends one sample interval after its last sighting. Spans shorter than one sample stay.
 */
export function mergeSeen(samples: readonly DetectionSample[], o: { intervalS: number; maxGapS?: number; minScore?: number }): SeenSpan[] {
  const maxGap = o.maxGapS ?? 2.5 * o.intervalS;
  const minScore = o.minScore ?? 0.35;
  const open = new Map<string, SeenSpan & { last: number; samples: number; sumCount: number; sumSalience: number }>();
  const done: SeenSpan[] = [];
  const close = (s: SeenSpan & { last: number; samples: number; sumCount: number; sumSalience: number }): void => {
    done.push({
      label: s.label,
      score: s.score,
      start: s.start,
      end: s.last + o.intervalS,
      count: s.sumCount / s.samples,
      salience: s.sumSalience / s.samples,
    });
  };
  for (const { time, detections } of samples) {
    const here = new Map<string, { best: number; n: number; salience: number }>();
    for (const d of detections) {
      if (d.score < minScore) continue;
      const h = here.get(d.label) ?? { best: 0, n: 0, salience: 0 };
      h.best = Math.max(h.best, d.score);
      h.n++;
      h.salience += (d.box.x1 - d.box.x0) * (d.box.y1 - d.box.y0) * d.score;
      here.set(d.label, h);
    }
    for (const [label, span] of open) {
      if (!here.has(label) && time - span.last > maxGap) {
        close(span);
        open.delete(label);
      }
    }
    for (const [label, h] of here) {
      const span = open.get(label);
      if (span) {
        span.last = time;
        span.score = Math.max(span.score, h.best);
        span.samples++;
        span.sumCount += h.n;
        span.sumSalience += h.salience;
      } else {
        open.set(label, {
          label,
          score: h.best,
          start: time,
          end: time,
          count: 0,
          salience: 0,
          last: time,
          samples: 1,
          sumCount: h.n,
          sumSalience: h.salience,
        });
      }
    }
  }
  for (const span of open.values()) close(span);
  return done.sort((a, b) => a.start - b.start || a.label.localeCompare(b.label));
}

/** The sound of a span, or undefined for a label with none. People in numbers are a crowd. */
export function spanSound(span: SeenSpan): PresetName | undefined {
  if (span.label === 'person' && span.count >= CROWD_PEOPLE) return 'crowd';
  return LABEL_SOUNDS[span.label];
}

/**
 * The preset for the stretch [start, end) from what is seen in it: the sound whose spans weigh most
 * (salience × seconds on screen inside the stretch), among those not excluded. People walking
 * (`stepsSeen`) count double: a visible footstep is the clearest thing a Foley track can follow.
 */
export function soundFromSeen(
  spans: readonly SeenSpan[],
  start: number,
  end: number,
  o: { excluded?: ReadonlySet<PresetName>; stepsSeen?: boolean } = {},
): PresetName | undefined {
  const weight = new Map<PresetName, number>();
  for (const s of spans) {
    const sound = spanSound(s);
    if (!sound || o.excluded?.has(sound)) continue;
    const overlap = Math.min(end, s.end) - Math.max(start, s.start);
    if (overlap <= 0) continue;
    const w = Math.sqrt(s.salience) * overlap * (sound === 'footsteps' && o.stepsSeen ? 2 : 1);
    weight.set(sound, (weight.get(sound) ?? 0) + w);
  }
  let best: PresetName | undefined;
  let bestW = 0;
  for (const [sound, w] of weight) {
    if (w > bestW) {
      best = sound;
      bestW = w;
    }
  }
  return best;
}

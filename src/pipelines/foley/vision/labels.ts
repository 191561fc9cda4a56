/**
 * @module What is seen, and what it sounds like (pure). Detections on the sampled frames are
 * merged per label into time spans (the result's `seen`), and, when the prompt names no sound, the
 * spans choose the preset: the label table below (docs/tasks/foley.md, "What the worker sees and hears") says which
 * COCO label sounds like which preset; a label with no entry (a cat, a laptop) picks nothing.
 */
import type { Box, Detection } from '../../../vision/types.js';
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

/** This many people at once, on average over a span, is a crowd rather than footsteps, unless they walk (`WALKING`). */
export const CROWD_PEOPLE = 5;
/**
 * People in numbers are footsteps, not a crowd, when at least this share of them is seen walking:
 * footsteps are the sound of walking, crowd murmur the sound of people gathered or standing.
 */
export const WALKING = 0.5;
/**
 * A person walks when their box travels at least this many box heights a second between two
 * detections (a pedestrian covers 0.5–1 of their own heights a second; a standing one's box
 * jitters by a few hundredths of a height) …
 */
const WALK_SPEED = 0.2;
/** … and at least this many heights in all, so the box jitter of detections a quarter second apart is not a step. */
const WALK_SHIFT = 0.1;
/** A box is the same person one detection later when its centre is within this many heights and its height within 1.5×. */
const SAME_PERSON = 1.5;

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
  /**
   * People: the share of them seen again at the next detection whose box travelled (walking, not
   * standing); absent when nobody was seen twice in a row.
   */
  moving?: number | undefined;
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
  const open = new Map<string, Open>();
  const done: SeenSpan[] = [];
  const close = (s: Open): void => {
    done.push({
      label: s.label,
      score: s.score,
      start: s.start,
      end: s.last + o.intervalS,
      count: s.sumCount / s.samples,
      salience: s.sumSalience / s.samples,
      ...(s.matched > 0 ? { moving: s.walked / s.matched } : {}),
    });
  };
  let before: { time: number; people: Box[] } | undefined;
  for (const { time, detections } of samples) {
    const people = detections.filter((d) => d.label === 'person' && d.score >= minScore).map((d) => d.box);
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
          matched: 0,
          walked: 0,
        });
      }
    }
    const span = open.get('person');
    if (span && before && people.length > 0) {
      const w = walkers(before.people, people, time - before.time);
      span.matched += w.matched;
      span.walked += w.walked;
    }
    before = { time, people };
  }
  for (const span of open.values()) close(span);
  return done.sort((a, b) => a.start - b.start || a.label.localeCompare(b.label));
}

/** A span being merged: its sums so far. */
type Open = SeenSpan & { last: number; samples: number; sumCount: number; sumSalience: number; matched: number; walked: number };

/**
 * People of one detection found again at the next (`dt` s later): each box is matched to the
 * nearest earlier box of a similar height (greedy; pedestrians rarely swap places within a
 * second), and counts as walking when its centre travelled WALK_SPEED heights a second and
 * WALK_SHIFT heights in all. Boxes are in fractions of the frame, so a sideways step reads short
 * by the frame's aspect (1.78 at 16:9): the error only ever takes a walker for one standing,
 * never the other way, and pedestrians still clear WALK_SPEED by far.
 */
export function walkers(before: readonly Box[], now: readonly Box[], dt: number): { matched: number; walked: number } {
  if (dt <= 0) return { matched: 0, walked: 0 };
  const centre = (b: Box): { x: number; y: number; h: number } => ({ x: (b.x0 + b.x1) / 2, y: (b.y0 + b.y1) / 2, h: b.y1 - b.y0 });
  const pairs: Array<{ i: number; j: number; shift: number }> = [];
  now.forEach((b, j) => {
    const c = centre(b);
    before.forEach((a, i) => {
      const p = centre(a);
      const h = Math.max(1e-6, (c.h + p.h) / 2);
      if (c.h > 1.5 * p.h || p.h > 1.5 * c.h) return;
      const shift = Math.hypot(c.x - p.x, c.y - p.y) / h;
      if (shift <= SAME_PERSON) pairs.push({ i, j, shift });
    });
  });
  pairs.sort((a, b) => a.shift - b.shift);
  const usedBefore = new Set<number>();
  const usedNow = new Set<number>();
  let matched = 0;
  let walked = 0;
  for (const { i, j, shift } of pairs) {
    if (usedBefore.has(i) || usedNow.has(j)) continue;
    usedBefore.add(i);
    usedNow.add(j);
    matched++;
    if (shift >= WALK_SHIFT && shift / dt >= WALK_SPEED) walked++;
  }
  return { matched, walked };
}

/**
 * The sound of a span, or undefined for a label with none. People in numbers are a crowd when
 * they stand or gather; when most of them walk (`moving` ≥ WALKING) they are footsteps.
 */
export function spanSound(span: SeenSpan): PresetName | undefined {
  if (span.label === 'person' && span.count >= CROWD_PEOPLE && (span.moving ?? 0) < WALKING) return 'crowd';
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

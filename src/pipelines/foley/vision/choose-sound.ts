/**
 * @module Which preset plays when (pure). The prompt's words win; when it names no sound the
 * presets follow what is seen, scene by scene (a cut to a street of cars is engine even if the
 * first shot was people walking), with what the whole clip shows for a scene where nothing
 * telling is seen; excluded presets (negative prompt, "no …" in the prompt) are never chosen.
 */
import type { Scene } from '../scenes.js';
import { presetByName, type Preset, type PresetName } from '../presets.js';
import type { PromptReading } from '../prompt.js';
import { soundFromSeen, type SeenSpan } from './labels.js';

export interface SoundChoice {
  /** The clip's preset (the one most of it plays when the presets change by scene). */
  preset: Preset;
  from: 'prompt' | 'seen' | 'default';
  /** Where the preset changes, when it does by scene (two entries or more), else empty. */
  timeline: Array<{ start: number; preset: Preset }>;
}

export function chooseSound(
  reading: PromptReading,
  o: { seen?: readonly SeenSpan[] | undefined; scenes: readonly Scene[]; duration: number; stepsSeen: boolean },
): SoundChoice {
  const neutral = presetByName('neutral');
  if (reading.preset) return { preset: reading.preset, from: 'prompt', timeline: [] };
  if (!o.seen) return { preset: neutral, from: 'default', timeline: [] };
  const pick = { excluded: reading.excluded, stepsSeen: o.stepsSeen };
  const clip = soundFromSeen(o.seen, 0, o.duration, pick);
  if (!clip) return { preset: neutral, from: 'default', timeline: [] };
  const entries: Array<{ start: number; end: number; name: PresetName }> = [];
  for (const scene of o.scenes.length > 0 ? o.scenes : [{ start: 0, end: o.duration }]) {
    const name = soundFromSeen(o.seen, scene.start, scene.end, pick) ?? clip;
    const last = entries.at(-1);
    if (last && last.name === name) last.end = scene.end;
    else entries.push({ start: scene.start, end: scene.end, name });
  }
  // The clip's preset is the one heard longest.
  const heard = new Map<PresetName, number>();
  for (const e of entries) heard.set(e.name, (heard.get(e.name) ?? 0) + (e.end - e.start));
  const main = [...heard.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? clip;
  return {
    preset: presetByName(main),
    from: 'seen',
    timeline: entries.length > 1 ? entries.map((e, i) => ({ start: i === 0 ? 0 : e.start, preset: presetByName(e.name) })) : [],
  };
}

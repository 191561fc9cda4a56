/**
 * The preset per scene: the prompt's words win; a generic prompt lets what is seen choose, scene
 * by scene, with the clip's own choice where a scene shows nothing telling; excluded presets are
 * never chosen; nothing seen → neutral.
 */
import { describe, expect, it } from 'vitest';
import { readPrompt } from '../prompt.js';
import type { Scene } from '../scenes.js';
import { chooseSound } from './choose-sound.js';
import type { SeenSpan } from './labels.js';

const span = ({
  label,
  start,
  end,
  size = 0.3,
  count = 1,
}: {
  label: string;
  start: number;
  end: number;
  size?: number;
  count?: number;
}): SeenSpan => ({
  label,
  score: 0.8,
  start,
  end,
  count,
  salience: size * size * 0.8,
});
const scene = (start: number, end: number): Scene => ({ start, end, brightness: 0.5, cb: 0, cr: 0, motion: 0.1 });
const scenes = [scene(0, 4), scene(4, 9), scene(9, 12)];

describe('chooseSound', () => {
  it('follows what is seen scene by scene, the longest-heard preset naming the clip', () => {
    // People in the first shot, cars in the second, a laptop (no sound) in the third.
    const seen = [
      span({ label: 'person', start: 0, end: 4 }),
      span({ label: 'car', start: 4, end: 9 }),
      span({ label: 'laptop', start: 9, end: 12 }),
    ];
    const c = chooseSound(readPrompt('', ''), { seen, scenes, duration: 12, stepsSeen: false });
    expect(c.from).toBe('seen');
    expect(c.timeline.map((e) => [e.start, e.preset.name])).toEqual([
      [0, 'footsteps'],
      [4, 'engine'],
    ]);
    expect(c.preset.name).toBe('engine');
  });

  it('an explicit prompt wins; exclusions hold for what is seen too; nothing seen is neutral', () => {
    const seen = [span({ label: 'person', start: 0, end: 12 }), span({ label: 'dog', start: 0, end: 12, size: 0.1 })];
    expect(chooseSound(readPrompt('rain', ''), { seen, scenes, duration: 12, stepsSeen: false })).toMatchObject({
      from: 'prompt',
      timeline: [],
    });
    expect(chooseSound(readPrompt('rain', ''), { seen, scenes, duration: 12, stepsSeen: false }).preset.name).toBe('rain');
    expect(chooseSound(readPrompt('sound effects', 'footsteps'), { seen, scenes, duration: 12, stepsSeen: false }).preset.name).toBe(
      'dogs',
    );
    expect(chooseSound(readPrompt('no footsteps', ''), { seen, scenes, duration: 12, stepsSeen: false }).preset.name).toBe('dogs');
    expect(chooseSound(readPrompt('', ''), { seen: [], scenes, duration: 12, stepsSeen: false })).toMatchObject({
      from: 'default',
      timeline: [],
    });
    expect(chooseSound(readPrompt('', ''), { seen: undefined, scenes, duration: 12, stepsSeen: false }).preset.name).toBe('neutral');
  });

  it('one sound over every scene is one preset, no timeline', () => {
    const c = chooseSound(readPrompt('', ''), {
      seen: [span({ label: 'boat', start: 0, end: 12 })],
      scenes,
      duration: 12,
      stepsSeen: false,
    });
    expect(c).toMatchObject({ from: 'seen', timeline: [] });
    expect(c.preset.name).toBe('water');
  });
});

import { describe, expect, it } from 'vitest';
import { PRESETS } from './presets.js';
import { choosePreset } from './prompt.js';

describe('preset choice', () => {
  it.each([
    ['footsteps on gravel', 'footsteps'],
    ['A man WALKING down the stairs', 'footsteps'],
    ['rain on a car roof', 'rain'],
    ['car driving through rain', 'engine'],
    ['heavy punches in a boxing fight', 'impact'],
    ['waves crashing on the shore', 'water'],
    ['a gust of wind', 'wind'],
    ['', 'neutral'],
    ['a quiet library', 'neutral'],
  ])('%j → %s', (prompt, preset) => {
    expect(choosePreset(prompt).name).toBe(preset);
  });

  it('negative_prompt excludes a preset, leaving the next match', () => {
    expect(choosePreset('rain on a car roof', 'rain').name).toBe('engine');
    expect(choosePreset('footsteps', 'walking').name).toBe('neutral');
  });

  it('every preset but neutral has keywords, and names are unique', () => {
    expect(new Set(PRESETS.map((p) => p.name)).size).toBe(PRESETS.length);
    for (const p of PRESETS) expect(p.keywords.length > 0).toBe(p.name !== 'neutral');
  });
});

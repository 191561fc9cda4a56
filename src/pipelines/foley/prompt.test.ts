import { describe, expect, it } from 'vitest';
import { PRESETS, type PresetName } from './presets.js';
import { choosePreset } from './prompt.js';
import { baseForms, presetByName, readPrompt, UNSUPPORTED_SOUNDS } from './prompt.js';

const name = (prompt: string, negative = ''): PresetName | undefined => readPrompt(prompt, negative).preset?.name;

describe('keywords match whole words and their inflections, not prefixes', () => {
  it.each([
    // whole words, not prefixes
    ['an airplane taking off', 'engine'],
    ['a runway at night', undefined],
    ['carpet', undefined],
    ['a raincoat on a hook', undefined],
    ['gunfire in the distance', undefined],
    ['doorbell', undefined],
    ['a stepladder', undefined],
    ['the airport lounge', undefined],
    // inflections
    ['steps on a wooden floor', 'footsteps'],
    ['stepping carefully', 'footsteps'],
    ['he stepped out', 'footsteps'],
    ['a man running', 'footsteps'],
    ['runners on a track', 'footsteps'],
    ['she walked home', 'footsteps'],
    ['walkers', 'footsteps'],
    ['he ran away', 'footsteps'],
    ['A man WALKING down the stairs', 'footsteps'],
    ['foot steps in a hall', 'footsteps'],
    ['foot-steps', 'footsteps'],
    ['raindrops on a window', 'rain'],
    ['a rainy street', 'rain'],
    ['windy hilltop', 'wind'],
    ['a bird flying', 'birds'],
    ['flies over the lake', 'wind'],
    ['puppies playing', 'dogs'],
    ['dogs barking', 'dogs'],
    ["the dog's bark", 'dogs'],
    ['driving a truck', 'engine'],
    ['crackling fire', 'fire'],
    ['a crackling log', 'fire'],
    ['burning house', 'fire'],
    ['splashes', 'water'],
    ['glasses clinking', 'glass'],
    ['a creaky door', 'door'],
    ['doors slamming', 'door'],
    ['rustling leaves', 'rustle'],
    ['leaves', 'rustle'],
    ['fluttering clothes', 'cloth'],
    ['a crowd cheering', 'crowd'],
    ['people talking in a cafe', 'crowd'],
    ['chirping sparrows', 'birds'],
    ['shattered window', 'glass'],
    ['smashed bottles', 'impact'],
    // earliest word wins
    ['rain on a car roof', 'rain'],
    ['car driving through rain', 'engine'],
    ['heavy punches in a boxing fight', 'impact'],
    ['waves crashing on the shore', 'water'],
    ['a gust of wind', 'wind'],
    ['fire crackle', 'fire'],
    ['birds in a forest', 'birds'],
    ['walking through the forest', 'footsteps'],
    ['', undefined],
    ['a quiet library', undefined],
  ])('%j → %s', (prompt, preset) => {
    expect(name(prompt)).toBe(preset);
  });
});

describe('negation in the prompt excludes', () => {
  it.each([
    ['no footsteps, just rain', 'rain', ['footsteps']],
    ['without wind', undefined, ['wind']],
    ['rain without wind', 'rain', ['wind']],
    ['not a car, but birds', 'birds', ['engine']],
    ['no footsteps or wind; water', 'water', ['footsteps', 'wind']],
    ["don't add footsteps, only fire", 'fire', ['footsteps']],
    ['footsteps, no rain', 'footsteps', ['rain']],
    ['no music, dogs barking', 'dogs', []],
    ['rain and wind but no thunder', 'wind', ['rain']],
    ['never any dogs', undefined, ['dogs']],
    ['no dogs and cats', undefined, ['dogs']],
  ])('%j → %s, excluding %j', (prompt, preset, excluded) => {
    const r = readPrompt(prompt, '');
    expect(r.preset?.name).toBe(preset);
    expect([...r.excluded].sort()).toEqual([...excluded].sort());
  });

  it('a negated sound is not reported as unsupported', () => {
    expect(readPrompt('no music, just rain', '').unsupported).toEqual([]);
    expect(readPrompt('no music', '').generic).toBe(true);
  });
});

describe('negative_prompt excludes every preset it names', () => {
  it.each([
    ['rain on a car roof', 'rain', 'engine'],
    ['footsteps', 'walking', undefined],
    ['footsteps and dogs', 'steps', 'dogs'],
    ['crackling fire in the rain', 'fires', 'rain'],
    ['birds', 'music', 'birds'],
  ])('%j with negative %j → %s', (prompt, negative, preset) => {
    expect(name(prompt, negative)).toBe(preset);
  });

  it('says what it excluded', () => {
    expect([...readPrompt('rain', 'wind, dogs barking').excluded].sort()).toEqual(['dogs', 'wind']);
  });

  it('an unsupported sound in the negative prompt is not reported', () => {
    expect(readPrompt('music and rain', 'music').unsupported).toEqual([]);
  });
});

describe('sound words without a preset come back, never a silent neutral', () => {
  it.each([
    ['a siren wailing', undefined, ['siren']],
    ['music and rain', 'rain', ['music']],
    ['a cat meowing', undefined, ['cat', 'meow']],
    ['horses galloping', undefined, ['horse', 'gallop']],
    ['a phone ringing on the desk', undefined, ['phone']],
    ['typing on a keyboard', undefined, ['typing', 'keyboard']],
    ['applause', undefined, ['applause']],
    ['crowd applause', 'crowd', ['applause']],
    ['gunshots and explosions', 'impact', ['gunshot']],
    ['a helicopter overhead', undefined, ['helicopter']],
    ['laughter', undefined, ['laughter']],
    ['people laughing', undefined, ['laugh']],
    ['cows mooing in a field', undefined, ['cow', 'moo']],
  ])('%j → %s, unsupported %j', (prompt, preset, unsupported) => {
    const r = readPrompt(prompt, '');
    expect(r.preset?.name).toBe(preset);
    expect(r.unsupported).toEqual(unsupported);
    expect(r.generic).toBe(false);
  });
});

describe('generic prompts', () => {
  it.each(['', '   ', 'sound effects', 'foley', 'ambient', 'realistic audio', 'high quality, cinematic', 'a quiet library'])(
    '%j is generic',
    (prompt) => {
      const r = readPrompt(prompt, '');
      expect(r).toMatchObject({ preset: undefined, unsupported: [], generic: true });
    },
  );

  it.each(['rain', 'sound of a siren', 'footsteps, sound effects'])('%j is not', (prompt) => {
    expect(readPrompt(prompt, '').generic).toBe(false);
  });
});

describe('the tables', () => {
  it('choosePreset is the reading or neutral', () => {
    expect(choosePreset('no footsteps').name).toBe('neutral');
    expect(choosePreset('rain on a car roof', 'rain').name).toBe('engine');
    expect(choosePreset('a siren').name).toBe('neutral');
  });

  it('presetByName finds every preset, and throws for none', () => {
    for (const p of PRESETS) expect(presetByName(p.name)).toBe(p);
    expect(() => presetByName('nope' as PresetName)).toThrow(RangeError);
  });

  it('every keyword reads as its own preset (no keyword is shadowed by an earlier preset)', () => {
    for (const p of PRESETS) for (const k of p.keywords) expect([k, name(k)]).toEqual([k, p.name]);
  });

  it('no unsupported word is also a preset keyword', () => {
    for (const w of UNSUPPORTED_SOUNDS) expect([w, name(w)]).toEqual([w, undefined]);
  });

  it('base forms undo common suffixes', () => {
    expect(baseForms('stepping')).toContain('step');
    expect(baseForms('driving')).toContain('drive');
    expect(baseForms('puppies')).toContain('puppy');
    expect(baseForms('crashes')).toContain('crash');
    expect(baseForms('leaves')).toContain('leaf');
    expect(baseForms('carry')).not.toContain('car');
  });
});

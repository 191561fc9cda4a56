/**
 * @module How the engine reads a prompt: as words, not prefixes. A keyword matches a whole word
 * and its inflections ("steps", "stepping", "stepped" are `step`; "airplane" is not `air`, "runway"
 * is not `run`); a keyword may be a phrase ("foot steps"). A negation in the prompt ("no footsteps,
 * just rain", "without wind", "not a car") excludes what it names, as `negative_prompt` does. Sound
 * words the engine has no preset for (UNSUPPORTED_SOUNDS) come back so the caller can warn instead
 * of a silent `neutral`; a prompt that names no sound class at all is `generic`.
 */
import { PRESETS, presetByName, type Preset, type PresetName } from './presets.js';

export { presetByName } from './presets.js';

export interface PromptReading {
  /** The sound class the prompt names first and allows; undefined when it names none. */
  preset: Preset | undefined;
  /** Presets excluded by `negative_prompt` or by a negation in the prompt. */
  excluded: ReadonlySet<PresetName>;
  /** Sound words the prompt asks for that no preset makes (UNSUPPORTED_SOUNDS), in prompt order, once each. */
  unsupported: string[];
  /** Empty, or names no sound class (no preset keyword, no unsupported sound word): "foley", "ambient". */
  generic: boolean;
}

/**
 * Common sound classes the engine has no preset for, by base word (inflections match as for
 * keywords). A prompt naming one gets it back in `unsupported`. Documented in docs/tasks/foley.md ("Presets").
 */
export const UNSUPPORTED_SOUNDS: readonly string[] = [
  // music and voices
  'music',
  'song',
  'sing',
  'singer',
  'melody',
  'piano',
  'guitar',
  'violin',
  'drum',
  'orchestra',
  'choir',
  'speech',
  'voice',
  'dialogue',
  'narration',
  'talk',
  'whisper',
  'shout',
  'scream',
  'laugh',
  'laughter',
  'cry',
  'baby',
  'cough',
  'sneeze',
  'snore',
  'applause',
  'clap',
  // animals other than dogs and birds
  'cat',
  'meow',
  'purr',
  'horse',
  'hoof',
  'hooves',
  'gallop',
  'neigh',
  'cow',
  'moo',
  'sheep',
  'goat',
  'pig',
  'chicken',
  'rooster',
  'duck',
  'frog',
  'insect',
  'cricket',
  'bee',
  'buzz',
  'mosquito',
  'lion',
  'tiger',
  'wolf',
  'howl',
  'elephant',
  'monkey',
  'whale',
  // machines and signals
  'siren',
  'alarm',
  'phone',
  'telephone',
  'ringtone',
  'doorbell',
  'horn',
  'honk',
  'helicopter',
  'typing',
  'keyboard',
  'clock',
  'tick',
  'beep',
  'whistle',
  'gun',
  'gunshot',
  'gunfire',
  'firework',
  'laser',
  'robot',
  'computer',
  'radio',
  'television',
  'tv',
  'vacuum',
  'blender',
  'microwave',
  'heartbeat',
];

/** Words that open a negation: what follows, to the end of the clause, is excluded. */
const NEGATORS = new Set([
  'no',
  'not',
  'without',
  'never',
  'nor',
  'avoid',
  'except',
  'excluding',
  'exclude',
  'minus',
  'none',
  'nothing',
  'zero',
  'dont',
  'doesnt',
  'isnt',
  'arent',
  'wont',
  'cannot',
]);
/** Words that end a negation's clause ("no footsteps, just rain"; "not wind but rain"). Commas and stops end it too. */
const CLAUSE_ENDS = new Set([
  'just',
  'only',
  'but',
  'instead',
  'rather',
  'and',
  'with',
  'then',
  'plus',
  'while',
  'yet',
  'so',
  'though',
  'although',
]);

/** Past tenses and plurals that no suffix rule reaches. */
const IRREGULAR: Readonly<Record<string, string>> = {
  leaves: 'leaf',
  feet: 'foot',
  ran: 'run',
  flew: 'fly',
  flown: 'fly',
  fell: 'fall',
  fallen: 'fall',
  blew: 'blow',
  blown: 'blow',
  drove: 'drive',
  driven: 'drive',
  rode: 'ride',
  broke: 'break',
  broken: 'break',
  rang: 'ring',
  rung: 'ring',
  swam: 'swim',
  struck: 'strike',
  burnt: 'burn',
  knives: 'knife',
  wolves: 'wolf',
  sang: 'sing',
  sung: 'sing',
  fiery: 'fire',
  shook: 'shake',
  people: 'people',
  men: 'man',
  women: 'woman',
  children: 'child',
  mice: 'mouse',
  geese: 'goose',
  teeth: 'tooth',
};

/** One word of the prompt. */
interface Token {
  word: string;
  /** Base forms this word may be (itself first). */
  forms: readonly string[];
  /** True when the word is inside a negation's clause. */
  negated: boolean;
}

/**
 * The base forms a word may be an inflection of: itself, and what -s, -es, -ies, -ing, -ed, -er(s),
 * -y strip to (with a final e restored, or a doubled consonant undone: "stepping" → step,
 * "driving" → drive, "puppies" → puppy). Over-generating is harmless: only keywords are looked up.
 */
export function baseForms(word: string): string[] {
  const w = word;
  const out = new Set<string>([w]);
  const irregular = IRREGULAR[w];
  if (irregular) out.add(irregular);
  const stem = (s: string): void => {
    if (s.length < 2) return;
    out.add(s);
    out.add(`${s}e`);
    // A doubled final consonant ("stepp", "runn", "dropp") is undone; "ll"/"ss" words keep theirs too.
    if (s.length >= 3 && s.at(-1) === s.at(-2) && !'aeiou'.includes(s.at(-1) as string)) out.add(s.slice(0, -1));
  };
  if (w.endsWith('ies') && w.length > 4) out.add(`${w.slice(0, -3)}y`);
  if (w.endsWith('ied') && w.length > 4) out.add(`${w.slice(0, -3)}y`);
  if (/(s|x|z|ch|sh|o)es$/.test(w)) out.add(w.slice(0, -2));
  if (w.endsWith('s') && !w.endsWith('ss') && w.length > 3) out.add(w.slice(0, -1));
  for (const suffix of ['ing', 'ed', 'er', 'ers', 'ings']) {
    if (w.endsWith(suffix) && w.length > suffix.length + 2) stem(w.slice(0, -suffix.length));
  }
  // Adjectives: "windy", "rainy", "creaky", "breezy" (no consonant undoubling: "carry" is not car).
  if (w.endsWith('y') && w.length > 4) {
    out.add(w.slice(0, -1));
    out.add(`${w.slice(0, -1)}e`);
  }
  return [...out];
}

/** Lower-case words and the negation clause each is in. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let negated = false;
  // Words (apostrophes kept inside them) and the punctuation that ends a clause.
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*|[,.;:!?()[\]{}\n—–]/gu)) {
    const raw = m[0];
    if (!/[\p{L}\p{N}]/u.test(raw)) {
      negated = false;
      continue;
    }
    // "dog's" is dog; "don't", "isn't" are negators.
    let word = raw.replace(/['’]s$/, '');
    if (/n['’]t$/.test(word)) word = word.replace(/['’]/g, '');
    word = word.replace(/['’]/g, '');
    if (NEGATORS.has(word)) {
      negated = true;
      continue;
    }
    if (CLAUSE_ENDS.has(word)) negated = false;
    tokens.push({ word, forms: baseForms(word), negated });
  }
  return tokens;
}

/** A keyword (one word or a phrase) split into its words. */
function phrase(keyword: string): string[] {
  return keyword.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Token indices where `keyword` starts (each of its words matching one token's base forms). */
function* matchesOf(tokens: readonly Token[], keyword: string): Generator<number> {
  const parts = phrase(keyword);
  for (let i = 0; i + parts.length <= tokens.length; i++) {
    if (parts.every((p, k) => (tokens[i + k] as Token).forms.includes(p))) yield i;
  }
}

interface Found {
  at: number;
  negated: boolean;
}

function find(tokens: readonly Token[], keywords: readonly string[]): Found[] {
  const found: Found[] = [];
  for (const k of keywords) for (const at of matchesOf(tokens, k)) found.push({ at, negated: (tokens[at] as Token).negated });
  return found.sort((a, b) => a.at - b.at);
}

/**
 * Reads `prompt` (with `negativePrompt`): the preset it names earliest that is not excluded
 * ("rain on a car roof" is rain), the presets excluded (every preset `negativePrompt` names, and
 * those a negation in the prompt names), sound words with no preset, and whether it is generic.
 */
export function readPrompt(prompt: string, negativePrompt: string): PromptReading {
  const tokens = tokenize(prompt);
  const negative = tokenize(negativePrompt);
  const excluded = new Set<PresetName>();
  let preset: Preset | undefined;
  let presetAt = Number.POSITIVE_INFINITY;
  let named = false;
  for (const p of PRESETS) {
    if (p.keywords.length === 0) continue;
    if (find(negative, p.keywords).length > 0) excluded.add(p.name);
    const found = find(tokens, p.keywords);
    if (found.some((f) => f.negated)) excluded.add(p.name);
    const first = found.find((f) => !f.negated);
    if (first) named = true;
    if (first && !excluded.has(p.name) && first.at < presetAt) {
      preset = p;
      presetAt = first.at;
    }
  }
  const negativeWords = new Set(negative.flatMap((t) => t.forms));
  const unsupported = UNSUPPORTED_SOUNDS.map((w) => ({ w, first: find(tokens, [w]).find((f) => !f.negated) }))
    .filter((u): u is { w: string; first: Found } => u.first !== undefined && !phrase(u.w).every((p) => negativeWords.has(p)))
    .sort((a, b) => a.first.at - b.first.at)
    .map((u) => u.w);
  return { preset, excluded, unsupported, generic: !named && unsupported.length === 0 };
}

/**
 * The preset a prompt names (whole words and their inflections, earliest wins, negations
 * and `negativePrompt` exclude); `neutral` when it names none.
 */
export function choosePreset(prompt: string, negativePrompt = ''): Preset {
  return readPrompt(prompt, negativePrompt).preset ?? presetByName('neutral');
}

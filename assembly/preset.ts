// Where each preset parameter sits in the vector the host packs (src/pipelines/foley/dsp/wasm.ts,
// packPreset): the two sides of one layout.
export const BED_LEVEL = 0, BED_LOWPASS = 1, BED_HIGHPASS = 2, BED_GUST = 3;
export const TEX_LEVEL = 4, TEX_CENTER = 5, TEX_Q = 6, GRAINS_ON = 7, GRAINS_RATE = 8, GRAINS_LEVEL = 9, GRAINS_HZ = 10, GRAINS_DUR = 11;
export const HIT_LEVEL = 12, HIT_THUMP_HZ = 13, HIT_THUMP_DECAY = 14;
export const HIT_NOISE_HZ = 15, HIT_NOISE_Q = 16, HIT_NOISE_DECAY = 17, HIT_NOISE_MIX = 18;
export const MODES_LEVEL = 19, MODES_DECAY = 20, HIT_ALTERNATE = 21, MODES_COUNT = 22, MODES_RATIOS = 23;
export const MAX_MODES = 6;
export const HUM_LEVEL = 29, HUM_BASE = 30, HUM_RANGE = 31;
export const DROPS_RATE = 32, DROPS_LEVEL = 33, DROPS_PITCHED = 34;
// Voices added later: 0 in every field for presets that do not use them.
export const HIT_ATTACK = 35;
export const CALLS_KIND = 36, CALLS_LEVEL = 37, CALLS_RATE = 38, CALLS_MOTION_RATE = 39;
export const CALLS_MIN = 40, CALLS_MAX = 41, CALLS_GAP = 42, CALLS_DUR = 43;
export const CALLS_LO = 44, CALLS_HI = 45, CALLS_SWEEP = 46, CALLS_FORMANT = 47, CALLS_NOISE = 48;
export const BABBLE_VOICES = 49, BABBLE_LEVEL = 50, BABBLE_LO = 51, BABBLE_HI = 52, BABBLE_MOTION = 53;
export const CRACKLE_RATE = 54, CRACKLE_MOTION_RATE = 55, CRACKLE_LEVEL = 56;
export const CREAK_RATE = 57, CREAK_LEVEL = 58, CREAK_HZ = 59;
export const SHARDS_PER_HIT = 60, SHARDS_LEVEL = 61, SHARDS_SPREAD = 62;
export const ROAR_LEVEL = 63, ROAR_HZ = 64;
export const PRESET_SIZE = 65;

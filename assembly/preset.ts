// Where each preset parameter sits in the vector the host packs (src/pipelines/foley/dsp/wasm.ts,
// packPreset): the two sides of one layout.
export const BED_LEVEL = 0, BED_LOWPASS = 1, BED_HIGHPASS = 2, BED_GUST = 3;
export const TEX_LEVEL = 4, TEX_CENTER = 5, TEX_Q = 6, GRAINS_ON = 7, GRAINS_RATE = 8, GRAINS_LEVEL = 9, GRAINS_HZ = 10, GRAINS_DUR = 11;
export const HIT_LEVEL = 12, HIT_THUMP_HZ = 13, HIT_THUMP_DECAY = 14, HIT_NOISE_HZ = 15, HIT_NOISE_Q = 16, HIT_NOISE_DECAY = 17, HIT_NOISE_MIX = 18;
export const MODES_LEVEL = 19, MODES_DECAY = 20, HIT_ALTERNATE = 21, MODES_COUNT = 22, MODES_RATIOS = 23;
export const MAX_MODES = 6;
export const HUM_LEVEL = 29, HUM_BASE = 30, HUM_RANGE = 31;
export const DROPS_RATE = 32, DROPS_LEVEL = 33, DROPS_PITCHED = 34;
export const PRESET_SIZE = 35;

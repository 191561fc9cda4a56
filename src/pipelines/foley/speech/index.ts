/**
 * @module What the Foley engine hears: voice activity on the source's audio (Silero VAD), and
 * what the Foley does about it (events thinned under speech; the ducking itself is in the mix
 * graph, src/media/mux.ts).
 */
export { detectSpeech, type DetectSpeechOptions, type SpeechResult } from './detect.js';
export { openVadSession, sileroVadModelPath, type OpenVadOptions } from './model.js';
export { VAD_PARAMS, type VadParams } from './spans.js';
export { thinEventsInSpeech, THIN_DEFAULTS, type ThinOptions } from './thin.js';

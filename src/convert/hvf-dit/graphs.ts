/**
 * @module The two graphs of `HunyuanVideoFoley.forward` (`hunyuanvideo_foley/models/hifi_foley.py`)
 * as `utils/model_utils.denoise_process` calls it, split where the work stops depending on the step:
 * - conditions (once per window per CFG side): `visual_proj` (SwiGLU) on the SigLIP2 features,
 *   `sync_in` on the Synchformer features plus `sync_pos_emb`, upsampled to the latent length
 *   (`nearest-exact`), and `cond_in` on the CLAP text states. None of them sees t or the latent.
 * - flow (every step): the latent's patch embedding, the t-embedding, the triple blocks (whose
 *   visual stream is modulated by t, so it cannot be precomputed), the single blocks, the final layer.
 * fp32 (the flow graph's weights optionally stored in fp16), opset 17, batch dynamic, the text
 * length dynamic (≤ 77: upstream pads the two prompts to the longer one and attends without a
 * mask, so the graph takes whatever length the text encoder gave).
 */
import { context } from '../mmaudio-dit/graphs.js';
import { gatedMlp, linear, silu } from '../mmaudio-dit/layers.js';
import { nearestExactIndices, pairSwap } from '../mmaudio-dit/tables.js';
import { attr, createOnnxGraph, type Dim, type OnnxGraph, type WeightPrecision } from '../onnx-graph.js';
import { finalLayer, type HvfCtx, type Rotation, type Rotations, singleBlock, tripleBlock } from './blocks.js';
import { HVF_CONFIG, type HvfSequenceLengths } from './config.js';
import { interleavedRope, range, ropeRows, timestepFrequencies } from './tables.js';
import type { HvfDitWeights } from './weights.js';

/** The conditions graph's inputs: SigLIP2 [B, clip, 768], Synchformer [B, sync, 768], CLAP text [B, T, 768] features. */
export const HVF_CONDITION_INPUTS = { clip: 'clip_features', sync: 'sync_features', text: 'text_features' } as const;
/** The conditions graph's outputs and the flow graph's inputs: visual [B, clip, H], sync [B, latent, H], text [B, T, H]. */
export const HVF_CONDITION_NAMES = ['visual', 'sync', 'text'] as const;
export type HvfConditionName = (typeof HVF_CONDITION_NAMES)[number];
/** latent [B, 128, latent] (channel-first, as upstream's x), t [B] on upstream's 0 … 1000 scale (σ · 1000). */
export const HVF_FLOW_INPUTS = { latent: 'latent', t: 't' } as const;
/** The velocity [B, 128, latent]. */
export const HVF_FLOW_OUTPUT = 'velocity';
/**
 * What a length-dynamic pair of graphs takes per window besides the features (`hvfWindowTables`):
 * the sync → latent upsampling's source indices (conditions), the triple blocks' visual-token
 * gather (flow), and the RoPE tables `rope.{interleaved.audio,interleaved.visual,audio,visual}.{cos,sin}`.
 */
export const HVF_WINDOW_INPUTS = { syncIndex: 'sync_index', visualSource: 'visual_source' } as const;

/** The conditions: everything of `forward` that depends on the features alone. */
export function buildConditionsGraph(w: HvfDitWeights, seq: HvfSequenceLengths | 'dynamic'): OnnxGraph {
  const d = w.dims;
  const h = d.hidden;
  const g = createOnnxGraph('hvf_conditions');
  const c: HvfCtx = context(g, w);
  const I = HVF_CONDITION_INPUTS;
  const n = lengthsOf(seq);
  g.addInput(I.clip, ['batch', n.clip, d.clipDim]);
  g.addInput(I.sync, ['batch', n.sync, d.syncDim]);
  g.addInput(I.text, ['batch', 'text', d.textDim]);

  // SwiGLU(clip_dim, hidden, hidden): w2(silu(w1 x) · w3 x), bias-free.
  const a = silu(c, linear(c, I.clip, { name: 'visual_proj.w1', inOut: [d.clipDim, h], bias: false }), 'visual_proj.w1');
  const b = linear(c, I.clip, { name: 'visual_proj.w3', inOut: [d.clipDim, h], bias: false });
  const visual = linear(c, c.op('Mul', [a, b], 'visual_proj.gated'), { name: 'visual_proj.w2', inOut: [h, h], bias: false });

  // view(B, S/8, 8, D) + sync_pos_emb [1, 1, 8, D] is the 8 rows tiled over the sequence; then
  // sync_in = Linear → SiLU → ConvMLP(k=1), and F.interpolate(size=latent, 'nearest-exact') as a gather.
  const pos = w.take('sync_pos_emb');
  const seg = HVF_CONFIG.syncSegment;
  let sync: string;
  if (seq === 'dynamic') {
    // Any whole number of segments: [B, S, D] → [B, S/8, 8, D] + the 8 rows → [B, S, D], as upstream's view does.
    const segments = c.op('Reshape', [I.sync, c.ints('shape.sync_segments', [0, -1, seg, d.syncDim])], 'sync.segments');
    const added = c.op('Add', [segments, g.addInitializer('sync_pos_emb', [seg, d.syncDim], pos)], 'sync.segments_pos');
    sync = c.op('Reshape', [added, c.ints('shape.sync_tokens', [0, -1, d.syncDim])], 'sync.pos');
  } else {
    const tiled = new Float32Array(seq.sync * d.syncDim);
    for (let i = 0; i < seq.sync; i++) tiled.set(pos.subarray((i % seg) * d.syncDim, ((i % seg) + 1) * d.syncDim), i * d.syncDim);
    sync = c.op('Add', [I.sync, g.addInitializer('sync_pos_emb.tiled', [seq.sync, d.syncDim], tiled)], 'sync.pos');
  }
  sync = silu(c, linear(c, sync, { name: 'sync_in.0', inOut: [d.syncDim, h] }), 'sync_in.1');
  sync = gatedMlp(c, sync, { name: 'sync_in.2', dim: h, hidden: d.syncMlpHidden, k: 1 });
  let upsample: string;
  if (seq === 'dynamic') {
    upsample = HVF_WINDOW_INPUTS.syncIndex;
    g.addInput(upsample, ['latent'], 'int64');
  } else {
    upsample = c.ints('sync.upsample', nearestExactIndices({ from: seq.sync, to: seq.latent }));
  }
  c.op('Gather', [sync, upsample], 'sync', [attr.int('axis', 1)]);

  // ConditionProjection: Linear → SiLU → Linear.
  const t1 = silu(c, linear(c, I.text, { name: 'cond_in.linear_1', inOut: [d.textDim, h] }), 'cond_in.act_1');
  c.op('Identity', [linear(c, t1, { name: 'cond_in.linear_2', inOut: [h, h] })], 'text');
  c.op('Identity', [visual], 'visual');
  g.addOutput('visual', ['batch', n.clip, h]);
  g.addOutput('sync', ['batch', n.latent, h]);
  g.addOutput('text', ['batch', 'text', h]);
  return g;
}

/** A window's lengths as graph dimensions: numbers, or named (dynamic) dimensions. */
function lengthsOf(seq: HvfSequenceLengths | 'dynamic'): { latent: Dim; clip: Dim; sync: Dim } {
  return seq === 'dynamic' ? { latent: 'latent', clip: 'clip', sync: 'sync' } : seq;
}

/** A RoPE table pair as initializers, or (`positions` a dimension name) as inputs fed per window. */
function rotation(c: HvfCtx, o: { name: string; positions: readonly number[] | string }): Rotation {
  const { headSize } = c.w.dims;
  if (typeof o.positions === 'string') {
    for (const part of ['cos', 'sin']) c.g.addInput(`${o.name}.${part}`, [o.positions, headSize]);
    return { cos: `${o.name}.cos`, sin: `${o.name}.sin`, swap: c.ints('rope.swap', pairSwap(headSize)) };
  }
  const rows = ropeRows({ positions: o.positions, dim: headSize });
  return {
    cos: c.g.addInitializer(`${o.name}.cos`, [rows.length, headSize], rows.cos, { exact: true }),
    sin: c.g.addInitializer(`${o.name}.sin`, [rows.length, headSize], rows.sin, { exact: true }),
    swap: c.ints('rope.swap', pairSwap(headSize)),
  };
}

/** Every attention's tables: the interleaved ones of the triple self-attention, and positions from 0 for the rest. */
function rotations(c: HvfCtx, seq: HvfSequenceLengths | 'dynamic'): Rotations {
  const text = rotation(c, { name: 'rope.text.full', positions: range(HVF_CONFIG.textLength) });
  // The text keys' table cut to the text's length T (Shape(text)[1]) at run time.
  const length = c.op('Shape', ['text'], 'text.length', [attr.int('start', 1), attr.int('end', 2)]);
  const cut = (table: string, name: string) => c.op('Slice', [table, c.ints('ints.0', [0]), length, c.ints('ints.0', [0])], name);
  const textRot = { cos: cut(text.cos, 'rope.text.cos'), sin: cut(text.sin, 'rope.text.sin'), swap: text.swap };
  if (seq === 'dynamic') {
    c.g.addInput(HVF_WINDOW_INPUTS.visualSource, ['clip'], 'int64');
    return {
      audioInterleaved: rotation(c, { name: 'rope.interleaved.audio', positions: 'latent' }),
      visualInterleaved: rotation(c, { name: 'rope.interleaved.visual', positions: 'clip' }),
      visualSource: HVF_WINDOW_INPUTS.visualSource,
      audio: rotation(c, { name: 'rope.audio', positions: 'latent' }),
      visual: rotation(c, { name: 'rope.visual', positions: 'clip' }),
      text: textRot,
    };
  }
  const inter = interleavedRope({ latent: seq.latent, clip: seq.clip });
  const identity = inter.visualSource.every((s, i) => s === i) && inter.visualSource.length === seq.clip;
  return {
    audioInterleaved: rotation(c, { name: 'rope.interleaved.audio', positions: inter.audio }),
    visualInterleaved: rotation(c, { name: 'rope.interleaved.visual', positions: inter.visual }),
    ...(identity ? {} : { visualSource: c.ints('rope.interleaved.visual_source', inter.visualSource) }),
    audio: rotation(c, { name: 'rope.audio', positions: range(seq.latent) }),
    visual: rotation(c, { name: 'rope.visual', positions: range(seq.clip) }),
    text: textRot,
  };
}

/**
 * One velocity: `forward(x, t, clip_feat, cond, sync_feat)` after its input projections. audio =
 * PatchEmbed1D(x) + sync (added before triple block 0); vec = TimestepEmbedder(t); the triple blocks
 * modulated by vec; the single blocks and the final layer modulated per token by sync + vec;
 * unpatchify1d back to [B, 128, L].
 */
export function buildFlowGraph(w: HvfDitWeights, seq: HvfSequenceLengths | 'dynamic', weights: WeightPrecision = 'fp32'): OnnxGraph {
  const d = w.dims;
  const h = d.hidden;
  const g = createOnnxGraph('hvf_flow', { weights });
  const c: HvfCtx = context(g, w);
  const n = lengthsOf(seq);
  g.addInput(HVF_FLOW_INPUTS.latent, ['batch', d.latentDim, n.latent]);
  g.addInput(HVF_FLOW_INPUTS.t, ['batch']);
  g.addInput('visual', ['batch', n.clip, h]);
  g.addInput('sync', ['batch', n.latent, h]);
  g.addInput('text', ['batch', 'text', h]);

  // PatchEmbed1D (patch 1): a k=1 Conv1d on [B, C, L], i.e. a Linear on [B, L, C].
  const cl = c.op('Transpose', [HVF_FLOW_INPUTS.latent], 'latent.cl', [attr.ints('perm', [0, 2, 1])]);
  const audio0 = linear(c, cl, { name: 'audio_embedder.proj', inOut: [d.latentDim, h] });

  // TimestepEmbedder: [cos(t·freqs), sin(t·freqs)] → Linear → SiLU → Linear.
  const freqs = timestepFrequencies({ size: d.frequencies, maxPeriod: HVF_CONFIG.timestepMaxPeriod });
  const tCol = c.op('Unsqueeze', [HVF_FLOW_INPUTS.t, c.ints('axes.1', [1])], 't.col');
  const args = c.op('Mul', [tCol, g.addInitializer('time_in.freqs', [freqs.length], freqs)], 't.args');
  const tFreq = c.op('Concat', [c.op('Cos', [args], 't.cos'), c.op('Sin', [args], 't.sin')], 't.freq', [attr.int('axis', -1)]);
  const t1 = silu(c, linear(c, tFreq, { name: 'time_in.mlp.0', inOut: [d.frequencies, h] }), 'time_in.mlp.1');
  const vec = c.op('Unsqueeze', [linear(c, t1, { name: 'time_in.mlp.2', inOut: [h, h] }), c.ints('axes.1', [1])], 'vec');
  // Every ModulateDiT of the triple blocks starts with SiLU(vec): computed once.
  const vecAct = silu(c, vec, 'vec.act');

  const rot = rotations(c, seq);
  // The joint self-attention's output split back into its visual and audio tokens.
  const split =
    seq === 'dynamic'
      ? c.op(
          'Concat',
          [
            c.op('Shape', ['visual'], 'visual.length', [attr.int('start', 1), attr.int('end', 2)]),
            c.op('Shape', [HVF_FLOW_INPUTS.latent], 'latent.length', [attr.int('start', 2), attr.int('end', 3)]),
          ],
          'split.streams',
          [attr.int('axis', 0)],
        )
      : c.ints(`split.${seq.clip}x${seq.latent}`, [seq.clip, seq.latent]);
  let streams = { audio: c.op('Add', [audio0, 'sync'], 'audio.sync'), visual: 'visual' };
  for (let i = 0; i < d.triple; i++) streams = tripleBlock(c, streams, { index: i, vecAct, text: 'text', rot, split });
  // The single blocks are modulated by add_sync_feat_to_audio + vec, per token (the final layer's modulation is a no-op upstream).
  const condAct = silu(c, c.op('Add', ['sync', vec], 'single.cond'), 'single.cond');
  let x = streams.audio;
  for (let i = 0; i < d.single; i++) x = singleBlock(c, x, { index: i, condAct, rot: rot.audio });
  const out = finalLayer(c, x);
  c.op('Transpose', [out], HVF_FLOW_OUTPUT, [attr.ints('perm', [0, 2, 1])]);
  g.addOutput(HVF_FLOW_OUTPUT, ['batch', d.latentDim, n.latent]);
  return g;
}

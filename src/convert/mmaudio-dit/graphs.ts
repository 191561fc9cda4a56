/**
 * @module The two graphs of `MMAudio` (`mmaudio/model/networks.py`) as the sampler calls it:
 * the conditions (`preprocess_conditions`: run once per window for the conditional side and once
 * for the empty one) and one flow step (`predict_flow`: latent + t + the conditions → velocity),
 * the split the trial export measured (learned-foley.md §3). fp32, opset 17, batch dynamic.
 */
import { attr, createOnnxGraph, type OnnxGraph, type WeightPrecision } from '../onnx-graph.js';
import { finalBlock, fusedBlock, jointBlock, type Rotation } from './blocks.js';
import { MMAUDIO_HEAD_SIZE, type MmaudioSequenceLengths, SYNC_SEGMENT } from './config.js';
import { type Ctx, channelLastConv, gatedMlp, linear, selu, silu, type TensorSource } from './layers.js';
import { nearestExactIndices, pairSwap, ropeTables, timestepFrequencies } from './tables.js';
import type { MmaudioDitWeights } from './weights.js';

/** The conditions graph's inputs: CLIP [B, clip, 1024], Synchformer [B, sync, 768], CLIP text [B, 77, 1024] features. */
export const CONDITION_INPUTS = { clip: 'clip_features', sync: 'sync_features', text: 'text_features' } as const;
/** `PreprocessedConditions`' fields: the conditions graph's outputs and the flow graph's inputs. */
export const CONDITION_NAMES = ['clip_f', 'sync_f', 'text_f', 'clip_f_c', 'text_f_c'] as const;
export type ConditionName = (typeof CONDITION_NAMES)[number];
export const FLOW_INPUTS = { latent: 'latent', t: 't' } as const;
export const FLOW_OUTPUT = 'velocity';

/** A builder context over graph `g` taking tensors from `w` (shared with the HVF converter). */
export function context<W extends TensorSource>(g: OnnxGraph, w: W): Ctx<W> {
  const shared = new Map<string, string>();
  const once = (key: string, make: () => string): string => {
    let name = shared.get(key);
    if (name === undefined) {
      name = make();
      shared.set(key, name);
    }
    return name;
  };
  return {
    g,
    w,
    scalar: (value) => once(`scalar:${value}`, () => g.addInitializer(`const.${shared.size}`, [], new Float32Array([value]))),
    constant: (name, dims, data) => once(`const:${name}`, () => g.addInitializer(name, dims, data(), { exact: true })),
    ints: (name, values) =>
      once(`ints:${name}`, () => {
        const data = values instanceof BigInt64Array ? values : BigInt64Array.from(values, (v) => BigInt(v));
        return g.addInitializer(name, [data.length], data);
      }),
    op(type, inputs, out, attributes) {
      g.addNode(type, inputs, [out], attributes === undefined ? {} : { attributes });
      return out;
    },
  };
}

/**
 * `preprocess_conditions`: sync features plus `sync_pos_emb` (per frame of each 8-frame segment),
 * the three input projections (v1: Linear → ConvMLP k3 / conv k7 → SELU → ConvMLP k3 / Linear → MLP;
 * v2: a SiLU after each first layer), the sync stream upsampled to the latent length
 * (`nearest-exact`), and the pooled clip and text conditions (mean over the sequence → Linear).
 */
export function buildConditionsGraph(w: MmaudioDitWeights, seq: MmaudioSequenceLengths): OnnxGraph {
  const d = w.dims;
  const g = createOnnxGraph('mmaudio_conditions');
  const c = context(g, w);
  const h = d.hidden;
  g.addInput(CONDITION_INPUTS.clip, ['batch', seq.clip, d.clipDim]);
  g.addInput(CONDITION_INPUTS.sync, ['batch', seq.sync, d.syncDim]);
  g.addInput(CONDITION_INPUTS.text, ['batch', d.textLength, d.textDim]);
  const act = (x: string, name: string): string => (d.v2 ? silu(c, x, name) : selu(c, x, name));
  const after = d.v2 ? 2 : 1;

  let clip = linear(c, CONDITION_INPUTS.clip, { name: 'clip_input_proj.0', inOut: [d.clipDim, h] });
  if (d.v2) clip = silu(c, clip, 'clip_input_proj.1');
  clip = gatedMlp(c, clip, { name: `clip_input_proj.${after}`, dim: h, hidden: d.mlpHidden, k: 3 });

  // view(B, sync/8, 8, D) + sync_pos_emb [1, 1, 8, D], flattened back: the same as adding the 8 rows tiled over the sequence.
  const pos = w.take('sync_pos_emb');
  const tiled = new Float32Array(seq.sync * d.syncDim);
  for (let i = 0; i < seq.sync; i++)
    tiled.set(pos.subarray((i % SYNC_SEGMENT) * d.syncDim, ((i % SYNC_SEGMENT) + 1) * d.syncDim), i * d.syncDim);
  let sync = c.op('Add', [CONDITION_INPUTS.sync, g.addInitializer('sync_pos_emb.tiled', [seq.sync, d.syncDim], tiled)], 'sync.pos');
  sync = act(channelLastConv(c, sync, { name: 'sync_input_proj.0', dims: [h, d.syncDim, 7] }), 'sync_input_proj.1');
  sync = gatedMlp(c, sync, { name: 'sync_input_proj.2', dim: h, hidden: d.mlpHidden, k: 3 });
  const upsample = c.ints('sync.upsample', nearestExactIndices({ from: seq.sync, to: seq.latent }));
  c.op('Gather', [sync, upsample], 'sync_f', [attr.int('axis', 1)]);

  let text = linear(c, CONDITION_INPUTS.text, { name: 'text_input_proj.0', inOut: [d.textDim, h] });
  if (d.v2) text = silu(c, text, 'text_input_proj.1');
  text = gatedMlp(c, text, { name: `text_input_proj.${after}`, dim: h, hidden: d.mlpHidden, k: 1 });

  c.op('Identity', [clip], 'clip_f');
  c.op('Identity', [text], 'text_f');
  const pooled = (x: string, name: string): string => {
    const mean = c.op('ReduceMean', [x], `${name}.mean`, [attr.ints('axes', [1]), attr.int('keepdims', 0)]);
    return linear(c, mean, { name, inOut: [h, h] });
  };
  c.op('Identity', [pooled(clip, 'clip_cond_proj')], 'clip_f_c');
  c.op('Identity', [pooled(text, 'text_cond_proj')], 'text_f_c');
  g.addOutput('clip_f', ['batch', seq.clip, h]);
  g.addOutput('sync_f', ['batch', seq.latent, h]);
  g.addOutput('text_f', ['batch', d.textLength, h]);
  g.addOutput('clip_f_c', ['batch', h]);
  g.addOutput('text_f_c', ['batch', h]);
  return g;
}

/** A stream's RoPE tables as initializers: `compute_rope_rotations(length, 64, 10000, freq_scaling)`. */
function rotation(c: Ctx, o: { name: string; length: number; scaling: number }): Rotation {
  const { cos, sin } = ropeTables({ length: o.length, dim: MMAUDIO_HEAD_SIZE, scaling: o.scaling });
  return {
    cos: c.g.addInitializer(`${o.name}.cos`, [o.length, MMAUDIO_HEAD_SIZE], cos, { exact: true }),
    sin: c.g.addInitializer(`${o.name}.sin`, [o.length, MMAUDIO_HEAD_SIZE], sin, { exact: true }),
    swap: c.ints('rope.swap', pairSwap(MMAUDIO_HEAD_SIZE)),
  };
}

/**
 * `predict_flow`: audio_input_proj (conv k7 → SELU/SiLU → ConvMLP k7), global_c = t_embed(t) +
 * global_cond_mlp(clip_f_c + text_f_c), extended_c = global_c + sync_f, the joint blocks, the
 * fused blocks, the final block → velocity [B, latent, C]. RoPE: latent_rot over the latent length,
 * clip_rot over the clip length with its frequencies scaled by latent / clip (`initialize_rotations`).
 */
export function buildFlowGraph(w: MmaudioDitWeights, seq: MmaudioSequenceLengths, weights: WeightPrecision = 'fp32'): OnnxGraph {
  const d = w.dims;
  const g = createOnnxGraph('mmaudio_flow', { weights });
  const c = context(g, w);
  const h = d.hidden;
  g.addInput(FLOW_INPUTS.latent, ['batch', seq.latent, d.latentDim]);
  g.addInput(FLOW_INPUTS.t, ['batch']);
  g.addInput('clip_f', ['batch', seq.clip, h]);
  g.addInput('sync_f', ['batch', seq.latent, h]);
  g.addInput('text_f', ['batch', d.textLength, h]);
  g.addInput('clip_f_c', ['batch', h]);
  g.addInput('text_f_c', ['batch', h]);

  let latent = channelLastConv(c, FLOW_INPUTS.latent, { name: 'audio_input_proj.0', dims: [h, d.latentDim, 7] });
  latent = d.v2 ? silu(c, latent, 'audio_input_proj.1') : selu(c, latent, 'audio_input_proj.1');
  latent = gatedMlp(c, latent, { name: 'audio_input_proj.2', dim: h, hidden: d.mlpHidden, k: 7 });

  const pooled = c.op('Add', ['clip_f_c', 'text_f_c'], 'pooled_c');
  const globalMlp = gatedMlp(c, pooled, { name: 'global_cond_mlp', dim: h, hidden: d.mlpHidden, k: 1 });
  // TimestepEmbedder: args = t[:, None] · freqs; [cos, sin]; Linear → SiLU → Linear.
  const freqs = timestepFrequencies({ size: d.frequencies, maxPeriod: d.v2 ? 1 : 10000 });
  const tCol = c.op('Unsqueeze', [FLOW_INPUTS.t, c.ints('axes.1', [1])], 't.col');
  const args = c.op('Mul', [tCol, g.addInitializer('t_embed.freqs', [freqs.length], freqs)], 't.args');
  const tFreq = c.op('Concat', [c.op('Cos', [args], 't.cos'), c.op('Sin', [args], 't.sin')], 't.freq', [attr.int('axis', -1)]);
  const t1 = silu(c, linear(c, tFreq, { name: 't_embed.mlp.0', inOut: [d.frequencies, h] }), 't_embed.mlp.1');
  const tEmb = linear(c, t1, { name: 't_embed.mlp.2', inOut: [h, h] });
  // (t_embed(t) + global_cond_mlp(…)) unsqueezed to [B, 1, H]; extended_c = global_c + sync_f [B, latent, H].
  const globalC = c.op('Unsqueeze', [c.op('Add', [tEmb, globalMlp], 'global_c.flat'), c.ints('axes.1', [1])], 'global_c');
  const extendedC = c.op('Add', [globalC, 'sync_f'], 'extended_c');

  const latentRot = rotation(c, { name: 'latent_rot', length: seq.latent, scaling: 1 });
  const clipRot = rotation(c, { name: 'clip_rot', length: seq.clip, scaling: seq.latent / seq.clip });
  let streams = { latent, clip: 'clip_f', text: 'text_f' };
  for (let i = 0; i < d.joint; i++) {
    streams = jointBlock(c, streams, { index: i, globalC, extendedC, latentRot, clipRot, lengths: [seq.latent, seq.clip, d.textLength] });
  }
  let x = streams.latent;
  for (let i = 0; i < d.fused; i++) x = fusedBlock(c, x, { index: i, extendedC, latentRot });
  c.op('Identity', [finalBlock(c, x, { globalC })], FLOW_OUTPUT);
  g.addOutput(FLOW_OUTPUT, ['batch', seq.latent, d.latentDim]);
  return g;
}

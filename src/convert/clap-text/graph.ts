/**
 * @module The CLAP text tower as an ONNX graph (fp32, opset 17, batch and length dynamic): int64 token
 * ids [B, L] → `ClapTextModelWithProjection(...).last_hidden_state` [B, L, width], which is what
 * HunyuanVideo-Foley keeps (`encode_text_feat`). Each step names the HF `modeling_clap.py` module it
 * follows (`ClapTextEmbeddings` = RoBERTa's embeddings, `ClapTextLayer` = BERT's post-LN layer,
 * `get_extended_attention_mask`); the blocks and the attention are clip-transformer.ts's.
 *
 * The attention mask is not an input: it is derived from the ids (`ids != <pad>`), which is exactly the
 * `attention_mask` the RoBERTa tokenizer returns with `padding=True` unless a prompt spells the
 * literal text `<pad>` (the tokenizer would turn it into id 1 with mask 1; we would mask it). RoBERTa's
 * position ids come from the same comparison, so both stay consistent.
 */
import { clipGraph, clipTransformer, layerNorm } from '../clip-transformer.js';
import { attr, createOnnxGraph, onnxDataType, type OnnxGraph } from '../onnx-graph.js';
import type { ClapTextWeights } from './weights.js';

export const CLAP_TEXT_INPUT = 'input_ids';
export const CLAP_TEXT_OUTPUT = 'last_hidden_state';

/** `ClapTextConfig.layer_norm_eps` (BERT's 1e-12, which larger_clap_general keeps): every LayerNorm of the tower. */
export const CLAP_LAYER_NORM_EPS = 1e-12;
/** torch.finfo(float32).min: what `get_extended_attention_mask` puts on masked keys ((1 − mask) · min). */
const FLOAT32_MIN = -3.4028234663852886e38;

/** The whole graph; `encode` is left to the caller (convert.ts). */
export function buildClapTextGraph(weights: ClapTextWeights): OnnxGraph {
  const { vocab, width, positions, heads, mlpWidth, padTokenId } = weights.dims;
  const eps = CLAP_LAYER_NORM_EPS;
  const g = createOnnxGraph('clap_text');
  const c = clipGraph(g);
  const ids = CLAP_TEXT_INPUT;
  g.addInput(ids, ['batch', 'tokens'], 'int64');

  // create_position_ids_from_input_ids: mask = ids != padding_idx; (cumsum(mask, 1) · mask) + padding_idx.
  const pad = g.addInitializer('pad_token_id', [], new BigInt64Array([BigInt(padTokenId)]));
  g.addNode('Equal', [ids, pad], ['is_pad']);
  g.addNode('Not', ['is_pad'], ['is_token']);
  g.addNode('Cast', ['is_token'], ['mask.i64'], { attributes: [attr.int('to', onnxDataType('int64'))] });
  g.addNode('CumSum', ['mask.i64', g.addInitializer('axis.tokens', [], new BigInt64Array([1n]))], ['mask.cumsum']);
  g.addNode('Mul', ['mask.cumsum', 'mask.i64'], ['positions.counted']);
  g.addNode('Add', ['positions.counted', pad], ['position_ids']);

  // word_embeddings(ids) + token_type_embeddings(0) + position_embeddings(position_ids), in that order, then LayerNorm.
  g.addInitializer('word_embeddings.weight', [vocab, width], weights.wordEmbeddings);
  g.addInitializer('token_type_embeddings.0', [width], weights.tokenType);
  g.addInitializer('position_embeddings.weight', [positions, width], weights.positionEmbeddings);
  g.addNode('Gather', ['word_embeddings.weight', ids], ['words'], { attributes: [attr.int('axis', 0)] });
  g.addNode('Add', ['words', 'token_type_embeddings.0'], ['words.typed']);
  g.addNode('Gather', ['position_embeddings.weight', 'position_ids'], ['positions'], { attributes: [attr.int('axis', 0)] });
  g.addNode('Add', ['words.typed', 'positions'], ['embedded']);
  const x0 = layerNorm(c, 'embedded', { name: 'embeddings.LayerNorm', w: weights.embeddingsLayerNorm, width, eps });

  // get_extended_attention_mask: (1 − mask)[:, None, None, :] · finfo.min, added to every layer's scores
  // (a padded query row still attends to the real tokens, and HVF keeps those rows).
  g.addNode('Cast', ['is_pad'], ['pad.f32'], { attributes: [attr.int('to', onnxDataType('float32'))] });
  g.addNode('Mul', ['pad.f32', c.scalar('float32.min', FLOAT32_MIN)], ['mask.additive']);
  g.addNode('Unsqueeze', ['mask.additive', c.ints('axes.mask', [1, 2])], ['mask.heads']);

  // ClapTextEncoder: post-LN BERT layers, exact GELU (hidden_act "gelu"); the last one's output is
  // last_hidden_state (no final LayerNorm).
  const x = clipTransformer(c, x0, {
    blocks: weights.blocks,
    width,
    heads,
    mlpWidth,
    activation: 'gelu',
    mask: 'mask.heads',
    eps,
    placement: 'post',
  });
  g.addNode('Identity', [x], [CLAP_TEXT_OUTPUT]);
  g.addOutput(CLAP_TEXT_OUTPUT, ['batch', 'tokens', width]);
  return g;
}

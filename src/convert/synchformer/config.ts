/**
 * @module What Synchformer's visual encoder weights do not say, from upstream's config: MMAudio
 * builds it as `MotionFormer(extract_features=True, factorize_space_time=True,
 * agg_space_module='TransformerEncoderLayer', agg_time_module='torch.nn.Identity',
 * add_global_repr=False)` (`mmaudio/ext/synchformer/synchformer.py`) over Motionformer's
 * `divided_224_16x4.yaml`, patched in `motionformer.py`. Every size the tensors carry (width, patch
 * and tubelet sizes, the spatial grid and so the image size, temporal tokens and so frames per segment,
 * depth, MLP widths) is read off them instead (weights.ts).
 *
 * | upstream | value | where | used for |
 * |---|---|---|---|
 * | VIT.NUM_HEADS | 12 | divided_224_16x4.yaml | heads of every DividedAttention and of the spatial aggregator (768 / 12 = 64 wide) |
 * | VIT.ATTN_LAYER | divided | yaml | DividedSpaceTimeBlock: time attention, then space attention, then MLP |
 * | VIT.POS_EMBED | separate | motionformer.py (patched for this yaml) | pos_embed per spatial patch + temp_embed per temporal token |
 * | norm_layer eps | 1e-6 | video_model_builder.py `partial(nn.LayerNorm, eps=1e-6)` | norm1..3 of the blocks, `norm` |
 * | layer_norm_eps | 1e-6 | motionformer.py `transf_enc_layer_kwargs` | the aggregator's norm1, norm2 |
 * | activation | GELU (exact, erf) | vit_helper `Mlp(act_layer=nn.GELU)`, `activation=nn.GELU()` | both MLPs |
 * | norm_first | true | `transf_enc_layer_kwargs` | the aggregator is pre-norm |
 * | QKV_BIAS | true | yaml | qkv has a bias (checked: the tensor must be there) |
 * | dropouts, drop path | inactive | eval | none |
 *
 * The 2-D `patch_embed` is built but never used by the forward pass (`PATCH_SIZE_TEMP` 2 > 1 selects
 * `patch_embed_3d`); its tensors are not read.
 */

export interface SynchformerConfig {
  /** Attention heads (VIT.NUM_HEADS); the width must divide by it. */
  heads: number;
  /** LayerNorm epsilon of the ViT (`norm_layer`) and of the aggregator (`layer_norm_eps`). */
  layerNormEps: number;
}

/** MMAudio's (and HunyuanVideo-Foley's) Synchformer: `divided_224_16x4.yaml` as MotionFormer patches it. */
export const SYNCHFORMER_CONFIG: Readonly<SynchformerConfig> = Object.freeze({ heads: 12, layerNormEps: 1e-6 });

/** The parameter prefix of the visual encoder in `synchformer_state_dict.pth` (upstream loads only these). */
export const VFEAT_PREFIX = 'vfeat_extractor.';

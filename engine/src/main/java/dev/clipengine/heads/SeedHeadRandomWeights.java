package dev.clipengine.heads;

import dev.clipengine.kernels.Backend;
import dev.clipengine.text.ClipTokenizer;
import dev.clipengine.weights.DType;
import dev.clipengine.weights.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seed heads with random weights of the released ViT-B/16 shapes, for benchmarks: speed depends on the shapes only.
 * The tensors live on the heap under the checkpoints' key names and go through the same loading code as a file.
 */
public final class SeedHeadRandomWeights {

    private static final int WIDTH = 768, LAYERS = 12, MLP = 3072, EMBED = 512, PATCH = 16;

    private SeedHeadRandomWeights() {
    }

    /** ReCLIP++ for {@code classes} classes (VOC: 20), 12 visual and 8 text heads. */
    public static ReclipHead reclip(int classes, long seed, Backend backend) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        SplittableRandom r = new SplittableRandom(seed);
        put(t, r, "vit.cls_token", 0.02f, 1, 1, WIDTH);
        put(t, r, "vit.conv1.weight", 0.02f, WIDTH, 3, PATCH, PATCH);
        put(t, r, "vit.positional_embedding", 0.02f, 197, WIDTH);
        norm(t, "vit.ln_pre", WIDTH);
        for (int i = 0; i < LAYERS; i++) block(t, r, "vit.transformer.resblocks." + i + ".", WIDTH, MLP);
        norm(t, "vit.ln_post", WIDTH);
        put(t, r, "proj.weight", 0.02f, EMBED, WIDTH, 1, 1);
        put(t, r, "text_encoder.prompt_token", 0.02f, 1, 73, EMBED);
        put(t, r, "text_encoder.token_embedding.weight", 0.02f, ClipTokenizer.VOCAB_SIZE, EMBED);
        put(t, r, "text_encoder.positional_embedding", 0.01f, 77, EMBED);
        for (int i = 0; i < LAYERS; i++) block(t, r, "text_encoder.transformer.resblocks." + i + ".", EMBED, 4 * EMBED);
        norm(t, "text_encoder.ln_final", EMBED);
        put(t, r, "clip.text_projection", 0.02f, EMBED, EMBED);
        put(t, r, "pe_proj.weight", 0.02f, EMBED, WIDTH, 1, 1);
        put(t, r, "pe_proj.bias", 0.02f, EMBED);
        put(t, r, "decoder_conv2.weight", 0.01f, classes, EMBED + classes, 5, 5);
        put(t, r, "decoder_conv2.bias", 0.01f, classes);
        norm(t, "decoder_norm2", classes);
        fill(t, "decoder_norm2.running_mean", 0f, classes);
        fill(t, "decoder_norm2.running_var", 1f, classes);
        return ReclipHead.of(SeedCheckpoint.of(Path.of("random-reclip-vit-b-16"), t, ""), backend, new ReclipHead.Heads(12, 8));
    }

    /** ZegCLIP (or TagCLIP with its trusty token) at 512×512 crops with 10 deep prompts, as the VOC release. */
    public static ZegclipHead zegclip(boolean tagclip, long seed, Backend backend) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        SplittableRandom r = new SplittableRandom(seed);
        int prompts = 10;
        put(t, r, "backbone.conv1.weight", 0.02f, WIDTH, 3, PATCH, PATCH);
        put(t, r, "backbone.class_embedding", 0.02f, WIDTH);
        put(t, r, "backbone.positional_embedding", 0.02f, 1025, WIDTH);
        norm(t, "backbone.ln_pre", WIDTH);
        for (int i = 0; i < LAYERS; i++) block(t, r, "backbone.transformer.resblocks." + i + ".", WIDTH, MLP);
        norm(t, "backbone.ln_post", WIDTH);
        put(t, r, "backbone.proj", 0.02f, WIDTH, EMBED);
        put(t, r, "backbone.prompt_embeddings", 0.02f, 1, prompts, WIDTH);
        put(t, r, "backbone.deep_prompt_embeddings", 0.02f, LAYERS - 1, prompts, WIDTH);
        put(t, r, "backbone.prompt_proj.weight", 0.02f, WIDTH, WIDTH);
        put(t, r, "backbone.prompt_proj.bias", 0.02f, WIDTH);
        norm(t, "backbone.prompt_norm", WIDTH);
        String head = tagclip ? "decode_head.relationship_discriptor.q_proj." : "decode_head.q_proj.";
        put(t, r, head + "weight", 0.02f, EMBED, 2 * EMBED);
        put(t, r, head + "bias", 0.02f, EMBED);
        if (tagclip) put(t, r, "decode_head.disc_token", 0.02f, 1, EMBED);
        String layers = tagclip ? "decode_head.decoder.layers." : "decode_head.decoder_1.layers.";
        for (int l = 0; l < 3; l++) {
            String p = layers + l + ".";
            if (tagclip && l == 0) {
                put(t, r, p + "self_attn.in_proj_weight", 0.02f, 3 * EMBED, EMBED);
                put(t, r, p + "self_attn.in_proj_bias", 0.02f, 3 * EMBED);
                put(t, r, p + "self_attn.out_proj.weight", 0.02f, EMBED, EMBED);
                put(t, r, p + "self_attn.out_proj.bias", 0.02f, EMBED);
                norm(t, p + "norm1", EMBED);
            }
            for (String x : new String[] {"q", "k", "v", "proj"}) {
                put(t, r, p + "multihead_attn." + x + ".weight", 0.02f, EMBED, EMBED);
                put(t, r, p + "multihead_attn." + x + ".bias", 0.02f, EMBED);
            }
            put(t, r, p + "linear1.weight", 0.02f, 2048, EMBED);
            put(t, r, p + "linear1.bias", 0.02f, 2048);
            put(t, r, p + "linear2.weight", 0.02f, EMBED, 2048);
            put(t, r, p + "linear2.bias", 0.02f, EMBED);
            norm(t, p + "norm2", EMBED);
            norm(t, p + "norm3", EMBED);
        }
        String config = "base_class = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]\n"
                + "backbone=dict(type='VPTCLIPVisionTransformer', heads=12)\ndecode_head=dict(num_heads=8)\n"
                + "test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(426, 426))\n";
        return ZegclipHead.of(SeedCheckpoint.of(Path.of(tagclip ? "random-tagclip-vit-b-16" : "random-zegclip-vit-b-16"), t, config),
                backend, 0, 0);
    }

    /** Random unit rows [classes, 512] widened from fp16, as the repositories' {@code .npy} files. */
    public static float[] textRows(int classes, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[classes * EMBED];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        HostMath.l2Rows(v, classes, EMBED);
        for (int i = 0; i < v.length; i++) v[i] = Float.float16ToFloat(Float.floatToFloat16(v[i]));
        return v;
    }

    private static void put(Map<String, Tensor> t, SplittableRandom r, String name, float scale, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * scale * 1.7320508);
        t.put(name, new Tensor(name, DType.F32, shape, MemorySegment.ofArray(v)));
    }

    private static void fill(Map<String, Tensor> t, String name, float value, long n) {
        float[] v = new float[Math.toIntExact(n)];
        java.util.Arrays.fill(v, value);
        t.put(name, new Tensor(name, DType.F32, new long[] {n}, MemorySegment.ofArray(v)));
    }

    private static void norm(Map<String, Tensor> t, String prefix, int width) {
        fill(t, prefix + ".weight", 1f, width);
        fill(t, prefix + ".bias", 0f, width);
    }

    private static void block(Map<String, Tensor> t, SplittableRandom r, String p, int d, int hidden) {
        norm(t, p + "ln_1", d);
        put(t, r, p + "attn.in_proj_weight", 0.02f, 3L * d, d);
        put(t, r, p + "attn.in_proj_bias", 0.01f, 3L * d);
        put(t, r, p + "attn.out_proj.weight", 0.02f, d, d);
        put(t, r, p + "attn.out_proj.bias", 0.01f, d);
        norm(t, p + "ln_2", d);
        put(t, r, p + "mlp.c_fc.weight", 0.02f, hidden, d);
        put(t, r, p + "mlp.c_fc.bias", 0.01f, hidden);
        put(t, r, p + "mlp.c_proj.weight", 0.02f, d, hidden);
        put(t, r, p + "mlp.c_proj.bias", 0.01f, d);
    }
}

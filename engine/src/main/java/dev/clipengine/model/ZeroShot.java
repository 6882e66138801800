package dev.clipengine.model;

/** CLIP's zero-shot scoring: scaled cosine similarities and their softmax. */
public final class ZeroShot {

    private ZeroShot() {
    }

    /** {@code scale · cos(image, text_i)} for every text, as CLIP's {@code logits_per_image}. */
    public static float[] logits(float[] image, float[][] texts, float scale) {
        float[] img = normalized(image);
        float[] out = new float[texts.length];
        for (int i = 0; i < texts.length; i++) {
            float[] t = normalized(texts[i]);
            double dot = 0;
            for (int c = 0; c < t.length; c++) dot += (double) img[c] * t[c];
            out[i] = (float) (scale * dot);
        }
        return out;
    }

    /** A copy of {@code v} scaled to unit L2 norm (left as is when it is all zeros). */
    public static float[] normalized(float[] v) {
        double s = 0;
        for (float f : v) s += (double) f * f;
        float n = (float) Math.sqrt(s);
        float[] out = v.clone();
        if (n > 0) for (int i = 0; i < out.length; i++) out[i] /= n;
        return out;
    }

    public static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        double[] e = new double[logits.length];
        for (int i = 0; i < logits.length; i++) sum += e[i] = Math.exp(logits[i] - max);
        float[] p = new float[logits.length];
        for (int i = 0; i < p.length; i++) p[i] = (float) (e[i] / sum);
        return p;
    }
}

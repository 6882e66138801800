package dev.clipengine.midlayer;

/**
 * ResCLIP's per-dataset constants (docs/mid-layer-methods.md, "ResCLIP profiles"). Serializable: the Spark job ships
 * the slide options, these included, to its executors.
 *
 * @param tempThd   pass-1 pixels whose top query probability is below this get label 0
 * @param rcsTau    τ_r: gain of the post-softmax RCS mix (2.0 everywhere; rows of the attention then sum to τ_r)
 * @param rcsLambda λ_r: share of the mid-layer attention in that mix
 * @param sfrTau    τ_s: gain of the pre-softmax SFR mix
 * @param sfrLambda λ_s: share of the SFR matrix in that mix
 * @param sigma     the Gaussian σ in patches of NACLIP's neighbourhood and of the SFR blur (5)
 */
public record ResClipSettings(float tempThd, float rcsTau, float rcsLambda, float sfrTau, float sfrLambda, double sigma)
        implements java.io.Serializable {

    public ResClipSettings {
        if (!(tempThd >= 0 && tempThd <= 1)) throw new IllegalArgumentException("ResCLIP's temp_thd must be in [0, 1], got " + tempThd);
        if (!(rcsLambda >= 0 && rcsLambda <= 1)) throw new IllegalArgumentException("ResCLIP's RCS lambda must be in [0, 1], got " + rcsLambda);
        if (!(sfrLambda >= 0 && sfrLambda <= 1)) throw new IllegalArgumentException("ResCLIP's SFR lambda must be in [0, 1], got " + sfrLambda);
        if (!(rcsTau > 0 && sfrTau > 0 && Float.isFinite(rcsTau) && Float.isFinite(sfrTau))) {
            throw new IllegalArgumentException("ResCLIP's tau values must be positive");
        }
        if (!(sigma > 0 && Double.isFinite(sigma))) throw new IllegalArgumentException("--sigma must be positive, got " + sigma);
    }

    /** The repository's demo settings, used when no dataset profile is named. */
    public static ResClipSettings defaults() {
        return new ResClipSettings(0.10f, 2.0f, 0.6f, 2.1f, 0.6f, 5.0);
    }

    public ResClipSettings withSigma(double s) {
        return new ResClipSettings(tempThd, rcsTau, rcsLambda, sfrTau, sfrLambda, s);
    }
}

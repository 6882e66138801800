// CUDA kernels of the clip-engine GPU backend: everything that is not a GEMM (cuBLAS does those).
//
// Built to PTX by build-ptx.sh (nvcc -arch=compute_80 -fmad=false); the PTX is committed under
// src/main/resources/dev/clipengine/kernels/cuda/ so the Java build never needs nvcc. The driver JIT-compiles it for
// the device at hand (Ampere, Ada, Hopper, Blackwell).
//
// STATUS: compiled and checked by ptxas here; NEVER EXECUTED on a GPU (no device was available while writing it).
// native-bindings/GPU-TODO.md lists what must be run first.
//
// Conventions, shared with dev.clipengine.kernels.cuda.Kernels (which launches these):
//  - every matrix is row-major fp32 with an explicit leading dimension (row stride, in elements);
//  - row kernels use one block per row and ROW_THREADS threads; elementwise kernels use a grid-stride loop;
//  - -fmad=false: no implicit multiply-add contraction, so fmaf() appears exactly where the Java reference uses
//    Math.fma and resampling/median results can be bit-identical to dev.clipengine.kernels.Resample / MedianFilter.
//  - all entry points are extern "C" so their PTX names are the plain names below.

#include <stdint.h>

#define ROW_THREADS 256
#define WARP 32

// ---------------------------------------------------------------------------------------------------------------
// Block reductions (blockDim.x == ROW_THREADS, a multiple of 32)

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = WARP / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = WARP / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the block; every thread gets the result. `scratch` holds ROW_THREADS/32 floats.
__device__ float block_sum(float v, float *scratch) {
    int lane = threadIdx.x & (WARP - 1), warp = threadIdx.x / WARP;
    v = warp_sum(v);
    __syncthreads();                       // scratch may still be read by a previous reduction
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = lane < blockDim.x / WARP ? scratch[lane] : 0.f;
    return warp_sum(t);
}

__device__ float block_max(float v, float *scratch) {
    int lane = threadIdx.x & (WARP - 1), warp = threadIdx.x / WARP;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = lane < blockDim.x / WARP ? scratch[lane] : -INFINITY;
    return warp_max(t);
}

// ---------------------------------------------------------------------------------------------------------------
// LayerNorm: y = (x - mean) / sqrt(var + eps) * gamma + beta per row, biased variance (PyTorch). Two passes over the
// row (mean, then centred sum of squares) as the CPU kernel; the CPU accumulates in double, here float partial sums
// reduced as a tree, which keeps the error at a few ulps for CLIP's widths. x and y may alias: each thread writes only
// the elements it read, and only after both reductions are complete.
extern "C" __global__ void layer_norm_f32(const float *x, int ldx, float *y, int ldy, const float *gamma,
                                          const float *beta, int rows, int cols, float eps) {
    __shared__ float scratch[ROW_THREADS / WARP];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float *xr = x + (size_t) r * ldx;
    float *yr = y + (size_t) r * ldy;
    float s = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c];
    float mean = block_sum(s, scratch) / cols;
    float q = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        float d = xr[c] - mean;
        q += d * d;
    }
    float var = block_sum(q, scratch) / cols;
    float rstd = 1.f / sqrtf(var + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        yr[c] = fmaf((xr[c] - mean) * rstd, gamma[c], beta[c]);   // the CPU kernel's vector fma
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Softmax of each row in place (max-subtracted). With `causal`, row r keeps columns 0..(r % rows_per_matrix) +
// causal_offset and the others become exactly 0; a row with no kept column becomes zeros (as the CPU kernel, not
// PyTorch's NaN). rows_per_matrix lets one launch cover [heads, n, n] score stacks.
extern "C" __global__ void softmax_rows_f32(float *x, int ld, int rows, int cols, int causal, int causal_offset,
                                            int rows_per_matrix) {
    __shared__ float scratch[ROW_THREADS / WARP];
    int r = blockIdx.x;
    if (r >= rows) return;
    float *xr = x + (size_t) r * ld;
    int kept = cols;
    if (causal) {
        long long k = (long long) (r % rows_per_matrix) + causal_offset + 1;
        kept = (int) (k < 0 ? 0 : (k > cols ? cols : k));
    }
    for (int c = kept + threadIdx.x; c < cols; c += blockDim.x) xr[c] = 0.f;
    if (kept == 0) return;
    float m = -INFINITY;
    for (int c = threadIdx.x; c < kept; c += blockDim.x) m = fmaxf(m, xr[c]);
    m = block_max(m, scratch);
    float s = 0.f;
    for (int c = threadIdx.x; c < kept; c += blockDim.x) {
        float e = expf(xr[c] - m);
        xr[c] = e;
        s += e;
    }
    float inv = 1.f / block_sum(s, scratch);
    for (int c = threadIdx.x; c < kept; c += blockDim.x) xr[c] *= inv;
}

// ---------------------------------------------------------------------------------------------------------------
// Elementwise

__device__ __forceinline__ float quick_gelu(float v) {
    return v / (1.f + expf(-1.702f * v));
}

// x = QuickGELU(x) = x * sigmoid(1.702 x), in place.
extern "C" __global__ void quick_gelu_f32(float *x, long long n) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x)
        x[i] = quick_gelu(x[i]);
}

// dst += src (residual adds, positional embedding, CLIPtrase's sum of three softmaxes).
extern "C" __global__ void add_f32(float *dst, const float *src, long long n) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x)
        dst[i] += src[i];
}

// x[r][c] += bias[c] for a rows x cols matrix with leading dimension ld (the bias of a Linear after its GEMM).
extern "C" __global__ void bias_add_f32(float *x, int ld, const float *bias, int rows, int cols) {
    long long n = (long long) rows * cols;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int r = (int) (i / cols), c = (int) (i % cols);
        x[(size_t) r * ld + c] += bias[c];
    }
}

// x[r][c] = QuickGELU(x[r][c] + bias[c]): the MLP's c_fc bias and activation in one pass.
extern "C" __global__ void bias_quick_gelu_f32(float *x, int ld, const float *bias, int rows, int cols) {
    long long n = (long long) rows * cols;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int r = (int) (i / cols), c = (int) (i % cols);
        size_t o = (size_t) r * ld + c;
        x[o] = quick_gelu(x[o] + bias[c]);
    }
}

// dst[r][c] = src[r][c] for a rows x cols block of two strided matrices (the identity attention: each row keeps its
// own v, the V columns of the packed q|k|v rows copied into the output).
extern "C" __global__ void copy_rows_f32(const float *src, int lds, float *dst, int ldd, int rows, int cols) {
    long long n = (long long) rows * cols;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int r = (int) (i / cols), c = (int) (i % cols);
        dst[(size_t) r * ldd + c] = src[(size_t) r * lds + c];
    }
}

// fp32 -> bf16 with round-to-nearest-even (NaN kept quiet), for the BF16 GEMM mode's activations.
extern "C" __global__ void f32_to_bf16(const float *src, uint16_t *dst, long long n) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        uint32_t b = __float_as_uint(src[i]);
        if ((b & 0x7fffffffu) > 0x7f800000u) {
            dst[i] = (uint16_t) ((b >> 16) | 0x40u);
        } else {
            dst[i] = (uint16_t) ((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Cosine self-correlation (cliptrase.md 2.1). `gram` holds `batch` Gram matrices n x n (one per head and branch q/k/v,
// each G = A A^T from cuBLAS). out[i][j] = scale * sum_b G_b[i][j] / max(|a_i||a_j|, 1e-8) with |a_i| = sqrt(G_b[i][i]);
// scale = 1 / (3 * heads) gives the mean over branches and heads. The CPU sums branch by branch then head by head;
// this sums in b order, which differs only by rounding.
extern "C" __global__ void cosine_normalize_f32(const float *gram, int batch, int n, float scale, float *out) {
    long long nn = (long long) n * n;
    for (long long t = blockIdx.x * (long long) blockDim.x + threadIdx.x; t < nn; t += (long long) gridDim.x * blockDim.x) {
        int i = (int) (t / n), j = (int) (t % n);
        float acc = 0.f;
        for (int b = 0; b < batch; b++) {
            const float *g = gram + b * nn;
            float ni = sqrtf(g[(size_t) i * n + i]), nj = sqrtf(g[(size_t) j * n + j]);
            acc += g[t] / fmaxf(ni * nj, 1e-8f);
        }
        out[t] = acc * scale;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Bilinear resize, PyTorch F.interpolate(mode='bilinear', align_corners=False), planar CHW. A port of
// dev.clipengine.kernels.Resample.bilinear including its two summation orders (ATen picks its kernel by
// outH + outW <= 128) and the fma placement, so that with -fmad=false the results match the Java code bit for bit.

struct Tap {
    int i0, i1;
    float w0, w1;
};

__device__ Tap linear_tap(int in, int out, int d) {
    Tap t;
    if (in == out) {                       // ATen special-cases equal sizes as a copy
        t.i0 = t.i1 = d;
        t.w0 = 1.f;
        t.w1 = 0.f;
        return t;
    }
    float scale = (float) in / (float) out;
    float real = fmaf(scale, (float) d + 0.5f, -0.5f);
    if (real < 0.f) real = 0.f;
    int idx = (int) floorf(real);
    if (idx > in - 1) idx = in - 1;
    float lambda = fminf(fmaxf(real - (float) idx, 0.f), 1.f);
    t.i0 = idx;
    t.i1 = idx + (idx < in - 1 ? 1 : 0);
    t.w1 = lambda;
    t.w0 = 1.f - lambda;
    return t;
}

extern "C" __global__ void bilinear_f32(const float *src, int channels, int in_h, int in_w, float *dst, int out_h,
                                        int out_w) {
    long long total = (long long) channels * out_h * out_w;
    int small_output = out_h + out_w <= 128;
    for (long long t = blockIdx.x * (long long) blockDim.x + threadIdx.x; t < total; t += (long long) gridDim.x * blockDim.x) {
        int ox = (int) (t % out_w);
        int oy = (int) ((t / out_w) % out_h);
        int c = (int) (t / ((long long) out_w * out_h));
        Tap ty = linear_tap(in_h, out_h, oy), tx = linear_tap(in_w, out_w, ox);
        const float *plane = src + (size_t) c * in_h * in_w;
        const float *row0 = plane + (size_t) ty.i0 * in_w, *row1 = plane + (size_t) ty.i1 * in_w;
        float v00 = row0[tx.i0], v01 = row0[tx.i1], v10 = row1[tx.i0], v11 = row1[tx.i1];
        float v;
        if (small_output) {
            v = fmaf(v00, ty.w0 * tx.w0, v01 * (ty.w0 * tx.w1));
            v = fmaf(v10, ty.w1 * tx.w0, v);
            v = fmaf(v11, ty.w1 * tx.w1, v);
        } else {
            float top = fmaf(v00, tx.w0, v01 * tx.w1);
            float bottom = fmaf(v10, tx.w0, v11 * tx.w1);
            v = fmaf(top, ty.w0, bottom * ty.w1);
        }
        dst[t] = v;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Median filter, scipy.ndimage.median_filter(size=k, mode='reflect') on each of `planes` h x w planes: the element of
// rank k*k/2 of the window [y - k/2, y - k/2 + k - 1] x [...], out-of-range indices reflected including the edge
// sample (d c b a | a b c d | d c b a). One thread per output pixel; the rank is found by counting (for each window
// element, how many are smaller and how many are not larger), which picks the same value as a sort for any input
// without NaN. k <= MEDIAN_MAX_K.

#define MEDIAN_MAX_K 15

__device__ __forceinline__ int reflect_index(int i, int size) {
    int period = 2 * size;
    int m = i % period;
    if (m < 0) m += period;
    return m < size ? m : period - 1 - m;
}

extern "C" __global__ void median_filter_f32(const float *src, int planes, int h, int w, int k, float *dst) {
    float win[MEDIAN_MAX_K * MEDIAN_MAX_K];
    long long total = (long long) planes * h * w;
    int half = k / 2, count = k * k, rank = count / 2;
    for (long long t = blockIdx.x * (long long) blockDim.x + threadIdx.x; t < total; t += (long long) gridDim.x * blockDim.x) {
        int x = (int) (t % w), y = (int) ((t / w) % h);
        const float *plane = src + (t / ((long long) w * h)) * (long long) w * h;
        int n = 0;
        for (int dy = 0; dy < k; dy++) {
            const float *row = plane + (size_t) reflect_index(y - half + dy, h) * w;
            for (int dx = 0; dx < k; dx++) win[n++] = row[reflect_index(x - half + dx, w)];
        }
        float result = win[0];
        for (int a = 0; a < count; a++) {
            int less = 0, less_or_equal = 0;
            for (int b = 0; b < count; b++) {
                less += win[b] < win[a];
                less_or_equal += win[b] <= win[a];
            }
            if (less <= rank && rank < less_or_equal) {
                result = win[a];
                break;
            }
        }
        dst[t] = result;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// DBSCAN on the device, the formulation of dev.clipengine.segmentation.Dbscan (read its javadoc first). Adjacency is a
// bit matrix of n rows x `words` 32-bit words (bit j%32 of word j/32 of row i: j is a neighbour of i). The same
// kernels are emulated in Java by dev.clipengine.segmentation.DeviceDbscan.Emulation and checked against Dbscan.fit.

// sq[i] = sum_t x[i][t]^2 in double.
extern "C" __global__ void dbscan_sq_norms(const float *x, int n, int dim, double *sq) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    double s = 0;
    for (int t = 0; t < dim; t++) {
        double v = x[(size_t) i * dim + t];
        s += v * v;
    }
    sq[i] = s;
}

// Neighbour bits from the fp32 Gram matrix G = X X^T (cuBLAS, true fp32: never TF32/BF16 here, the safety band
// assumes fp32 rounding). Grid: x over columns in warps, y over rows. Pair (i, j) is decided from G[min][max] so the
// matrix is symmetric even when cuBLAS's G is not exactly; pairs inside the band, or with a non-finite G, are decided
// by the double distance (counted in *recomputed). Each warp's 32 decisions become one word via __ballot_sync, so no
// atomics are needed on the bits.
extern "C" __global__ void dbscan_neighbours(const float *x, const float *gram, const double *sq, int n, int dim,
                                             double eps2, double rel, double abs_band, uint32_t *adj, int words,
                                             int *recomputed) {
    int i = blockIdx.y;
    int j = blockIdx.x * blockDim.x + threadIdx.x;     // blockDim.x is a multiple of 32
    bool near = false;
    if (i < n && j < n) {
        if (i == j) {
            near = true;
        } else {
            int a = i < j ? i : j, b = i < j ? j : i;
            float g = gram[(size_t) a * n + b];
            double d2 = sq[a] + sq[b] - 2.0 * (double) g;
            double band = rel * (sq[a] + sq[b]) + abs_band;
            if (isfinite(g) && fabs(d2 - eps2) > band) {
                near = d2 <= eps2;
            } else {
                double s = 0;
                for (int t = 0; t < dim; t++) {
                    double d = (double) x[(size_t) a * dim + t] - (double) x[(size_t) b * dim + t];
                    s += d * d;
                }
                near = s <= eps2;
                if (i < j) atomicAdd(recomputed, 1);   // count each unordered pair once, as the CPU does
            }
        }
    }
    uint32_t bits = __ballot_sync(0xffffffffu, near);
    if ((threadIdx.x & (WARP - 1)) == 0 && i < n) {
        int word = j / WARP;
        if (word < words) adj[(size_t) i * words + word] = bits;
    }
}

// core[i] = (popcount of row i) >= min_samples; core_bits is the same as a bit row; lab[i] = i (initial labels).
extern "C" __global__ void dbscan_core(const uint32_t *adj, int n, int words, int min_samples, int *core,
                                       uint32_t *core_bits, int *lab) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    bool is_core = false;
    if (i < n) {
        int cnt = 0;
        for (int w = 0; w < words; w++) cnt += __popc(adj[(size_t) i * words + w]);
        is_core = cnt >= min_samples;
        core[i] = is_core;
        lab[i] = i;
    }
    uint32_t bits = __ballot_sync(0xffffffffu, is_core);
    if ((threadIdx.x & (WARP - 1)) == 0) {
        int word = i / WARP;
        if (word < words) core_bits[word] = bits;
    }
}

// One min-label sweep: each core point takes the minimum label over itself and its core neighbours. Threads read
// labels other threads may be lowering at the same time; any mix of old and new values is fine because labels only
// decrease and always name a core point of the same component, so the fixed point is the same (the component's
// smallest core index). *changed is set when any label moved.
extern "C" __global__ void dbscan_propagate(const uint32_t *adj, const uint32_t *core_bits, const int *core, int n,
                                            int words, int *lab, int *changed) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || !core[i]) return;
    int m = lab[i];
    for (int w = 0; w < words; w++) {
        uint32_t bits = adj[(size_t) i * words + w] & core_bits[w];
        while (bits) {
            int j = w * WARP + __ffs(bits) - 1;
            bits &= bits - 1;
            int l = ((volatile int *) lab)[j];
            if (l < m) m = l;
        }
    }
    if (m < lab[i]) {
        atomicMin(&lab[i], m);
        *changed = 1;
    }
}

// Pointer jumping: lab[i] = lab[lab[...]] down to a label that names itself (lab[lab[i]] <= lab[i] always holds).
extern "C" __global__ void dbscan_jump(const int *core, int n, int *lab, int *changed) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || !core[i]) return;
    volatile int *vl = lab;
    int l = vl[i];
    int next = vl[l];
    while (next < l) {
        l = next;
        next = vl[l];
    }
    if (l < vl[i]) {
        atomicMin(&lab[i], l);
        *changed = 1;
    }
}

// Components numbered 0, 1, ... in increasing order of their smallest core index (cluster_of[i] for i with
// lab[i] == i), written serially by one thread: n is at most a few thousand patches, and a serial scan is exact and
// simpler than a block scan. Returns the count in *clusters.
extern "C" __global__ void dbscan_number(const int *core, const int *lab, int n, int *cluster_of, int *clusters) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    int k = 0;
    for (int i = 0; i < n; i++) cluster_of[i] = core[i] && lab[i] == i ? k++ : -1;
    *clusters = k;
}

// Final labels: a core point takes its component's number; a border point the lowest number among its core
// neighbours; the rest are noise (-1).
extern "C" __global__ void dbscan_labels(const uint32_t *adj, const uint32_t *core_bits, const int *core,
                                         const int *lab, const int *cluster_of, int n, int words, int *labels) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    if (core[i]) {
        labels[i] = cluster_of[lab[i]];
        return;
    }
    int best = -1;
    for (int w = 0; w < words; w++) {
        uint32_t bits = adj[(size_t) i * words + w] & core_bits[w];
        while (bits) {
            int j = w * WARP + __ffs(bits) - 1;
            bits &= bits - 1;
            int c = cluster_of[lab[j]];
            if (best < 0 || c < best) best = c;
        }
    }
    labels[i] = best;
}

// CKernels: the float micro-kernels whose speed decides hand tracking and prediction, in C so
// that one binary carries two builds of each and picks one at run time (as XNNPACK, OpenBLAS and
// onnxruntime do): a portable build for any x86-64 CPU (SSE2) and an AVX build (256-bit lanes).
//
// Both builds compute every output element with the same operations in the same order (no fused
// multiply-add, no reassociation: see kernels_impl.h), so they return bit-identical results and
// hand tracking does not depend on the CPU it runs on.
#ifndef ASLSH_CKERNELS_H
#define ASLSH_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Kernel families. `CK_ISA_PORTABLE` is the reference every other path must equal bit for bit.
/// AVX-512 (F, CD, BW, DQ, VL and the OS saving the ZMM state) has a 512-bit copy of the GEMM;
/// its other kernels are the AVX ones.
typedef enum { CK_ISA_PORTABLE = 0, CK_ISA_AVX = 1, CK_ISA_AVX512 = 2 } ck_isa;

/// The family that runs: the best the CPU supports (CPUID, and the OS saves the YMM state),
/// unless the environment variable ASLSH_KERNELS is `portable` or `avx` (a lower family than the
/// CPU's; a higher one falls back to what the CPU runs). Resolved once, on first use.
int ck_active_isa(void);
/// Forces a family (tests and benchmarks); returns 0 when the CPU cannot run it (nothing changes).
int ck_force_isa(int isa);
/// The best family this CPU supports, ignoring ASLSH_KERNELS and ck_force_isa.
int ck_supported_isa(void);
/// "portable (SSE2)", "avx (256-bit)" or "avx512 (512-bit)".
const char *ck_isa_name(int isa);
/// The CPU's vector features as CPUID reports them, e.g. "sse2 sse4.2 avx avx2 fma avx512f".
const char *ck_cpu_features(void);
/// 1 when this CPU, and the operating system's saved register state, can run `feature`: "sse4.2",
/// "avx", "avx2", "fma", "fma4", "avx512" (F, CD, BW, DQ and VL together) or "avx512bf16";
/// 0 otherwise and for unknown names.
int ck_cpu_has(const char *feature);

/// Panel width of packed B: every packed panel holds 16 consecutive output columns.
enum { CK_PANEL = 16 };

/// Floats needed to pack a [k, n] right-hand matrix (n rounded up to whole panels).
size_t ck_packed_size(int k, int n);

/// Packs B for `ck_gemm`: panels of 16 columns, each k rows of 16 floats, the last panel padded
/// with zeros. `transposed` = 0: B is [k, n] row-major (leading dimension ldb);
/// `transposed` = 1: B is stored [n, k] (an output's k weights contiguous, ldb between outputs).
void ck_pack_b(int k, int n, const float *b, int ldb, int transposed, float *packed);

/// C[m, n] (ldc) = epilogue(A[m, k] (lda) · B), B packed by `ck_pack_b`.
/// Each element is Σ_{p=0}^{k-1} a[i,p]·b[p,j] summed in order of p (a product rounded, then
/// added), started from 0 — or from C's old value when `accumulate` is 1 — then, when `bias` is
/// not NULL, plus bias[j], and finally clamped to [lo, hi] (pass ±INFINITY for none).
void ck_gemm(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc,
             const float *bias, float lo, float hi, int accumulate);

/// Depthwise 2-D convolution with depth multiplier 1 over NHWC data, output rows
/// [row_begin, row_end) of the N·OH rows: x [N,H,W,C], w [KH,KW,C], bias [C] → y [N,OH,OW,C],
/// zero padding. Each output is bias + Σ over (ky, kx) in row-major window order, then clamped.
typedef struct {
    int batch, in_h, in_w, channels, out_h, out_w;
    int k_h, k_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
} ck_conv_geometry;

void ck_depthwise_conv(const ck_conv_geometry *g, int row_begin, int row_end, const float *x, const float *w,
                       const float *bias, float *y, float lo, float hi);

/// im2col of one NHWC image x [H, W, C] (C = g->channels) for output rows [row_begin, row_end):
/// cols [(oy − row_begin)·OW + ox][KH·KW·C] holds each output pixel's window in (ky, kx, c)
/// order, zero where the window leaves the image. A window row inside the image is KW·C
/// contiguous input floats, copied with a size known at compile time for the stems of
/// MediaPipe's models (3×3×3 and 5×5×3): a library call per 36 bytes was most of their cost.
void ck_im2col(const ck_conv_geometry *g, const float *x, int row_begin, int row_end, float *cols);

/// C [rows, n] (ldc) = C + R [rows, n] (ldr), then, when `alpha` is not NULL, a per-column PReLU
/// y < 0 ? alpha[j]·y : y (the epilogue of ck_gemm_residual_threads).
void ck_residual(int rows, int n, float *c, int ldc, const float *r, int ldr, const float *alpha);

/// LSTM cell over the first H − H mod 8 units of one row (gate order i, f, g, o, as PyTorch):
/// row [4H] pre-activations (overwritten with the activated gates), c [H] in/out, tanh_c [H] =
/// tanh(c_t), hidden [H] = out [H] = σ(o)·tanh(c_t). The caller does the H mod 8 tail.
void ck_lstm_cell(float *row, int h, float *c, float *tanh_c, float *hidden, float *out);

/// One LSTM step of one sequence, the recurrent product fused into the cell: for each block of
/// eight units, gates = pre [4H] + W_hh·h_in over k from `packed` ([H/8][H][4][8]), then c [H] and
/// h_out [H] updated as ck_lstm_cell does. H % 8 == 0; h_in and h_out must not alias.
void ck_lstm_step(const float *pre, const float *packed, int h, const float *h_in, float *c, float *h_out);

/// y[i] = e^x[i] (Cephes expf polynomial, ≈ 2 ulp; the function the LSTM's sigmoid and tanh use).
void ck_exp(const float *x, float *y, int count);

/// ReLU then dropout in one pass over n floats, in place: f = x > 0 ? (dropping ? m : 1) : 0,
/// m ← f (the gradient factor of both), x ← x > 0 ? x·f : 0 (NaN → 0, as ReLU). Compare-and-
/// select lanes, no branch on the data (a random sign mispredicted half the time).
void ck_relu_drop(float *x, float *m, long n, int dropping);

/// Dropout masks for blocks [first, first + count) of `block` floats each (the last block of the
/// whole mask may be shorter: n floats in all). Block b is drawn from its own xoshiro256** state,
/// states[4b … 4b+3] (advanced in place): each 64-bit output gives two 32-bit draws, low half
/// first; a value is dropped (m = 0) when its draw < threshold, else m = keep. Four blocks are
/// drawn interleaved — independent chains — so the bits are those of one block after another.
void ck_dropout_mask(uint64_t *states, long first, long count, long block, long n, uint64_t threshold, float keep,
                     float *m);

/// One Adam/AdamW step over elements [begin, end) of the flat parameters p, gradients g and
/// moments m, v (the constants of this step in `a`; see kernels_impl.h for the rule).
typedef struct {
    float decay, l2, beta1, beta2, step_size, bc2_sqrt, eps;
    int decoupled;
} ck_adam_params;

void ck_adam(float *p, const float *g, float *m, float *v, int begin, int end, const ck_adam_params *a);

// --- Threads ------------------------------------------------------------------------------------

/// Runs fn(ctx, 0) … fn(ctx, tasks − 1) on up to `threads` threads: the caller and threads − 1
/// workers of one process-wide pool, started on first use and kept (they spin briefly after a
/// job, then sleep), so a parallel operator costs no thread start-up and, on an idle machine,
/// little wake-up latency (as XNNPACK's pthreadpool). Tasks are handed out one by one from a
/// shared counter, so a late or slow thread takes fewer. Returns when every task has finished.
/// Only one job runs on the pool at a time: a call made while it is busy (another interpreter on
/// another thread, or from inside a task) runs its tasks on the calling thread, in order.
void ck_parallel(int tasks, void (*fn)(void *ctx, int task), void *ctx, int threads);

/// `ck_gemm` split over up to `threads` threads: blocks of rows, and of 16-column panels when
/// there are too few rows to share out. Every element is computed exactly as `ck_gemm` computes
/// it, so the result does not depend on the thread count.
void ck_gemm_threads(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc,
                     const float *bias, float lo, float hi, int accumulate, int threads);

/// `ck_gemm_threads` followed, on each block of rows while it is still in cache, by a residual
/// add and optionally a per-column PReLU: C = prelu(gemm(A·B, bias, lo, hi) + R) with R [m, n]
/// (ldr) and prelu(y) = y < 0 ? alpha[j]·y : y (alpha NULL: no PReLU). The same operations in the
/// same order as a GEMM, an ADD and a PRELU run one after the other, so the same bits; but C is
/// written once instead of three times (MediaPipe's palm: conv 1×1 → ADD → PRELU, 14 times).
void ck_gemm_residual_threads(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc,
                              const float *bias, float lo, float hi, const float *residual, int ldr,
                              const float *alpha, int threads);

/// `ck_depthwise_conv` over output rows [0, rows) split over up to `threads` threads (results
/// identical for any thread count).
void ck_depthwise_conv_threads(const ck_conv_geometry *g, int rows, const float *x, const float *w,
                               const float *bias, float *y, float lo, float hi, int threads);

/// glibc's allocator: blocks up to `mmap_max` bytes from the heap (not fresh mappings), and up to
/// `keep` bytes of free heap kept rather than given back (TensorCore's ProcessMemory says why).
/// Does nothing with another C library.
void ck_keep_freed_memory(long mmap_max, long keep);

/// What a tap outside the image reads in `ck_affine_crop_rgb8`.
enum { CK_BORDER_ZERO = 0, CK_BORDER_REPLICATE = 1 };

/// out [size, size, 3] floats in [0, 1] = the RGB8 image `src` [height, width, 3] sampled at
/// (x, y) = (m0·u + m1·v + m2, m3·u + m4·v + m5) with OpenCV's fixed-point bilinear warp
/// (1/32-pixel grid, 15-bit weights), as Hands' `ImageToTensor.cropReference`, bit for bit.
void ck_affine_crop_rgb8(const uint8_t *src, int width, int height, const double m[6], int size, int border, float *out);

#ifdef __cplusplus
}
#endif
#endif

// Run-time dispatch between the two builds of kernels_impl.h. No build-time CPU detection: the
// portable copy is compiled for baseline x86-64 and the AVX copy for AVX via a function attribute,
// so one binary runs on any x86-64 CPU and takes the AVX path only where CPUID says it may.
#include "ckernels.h"
#include "transcendentals.h"
#include "depthwise_tiles.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#pragma STDC FP_CONTRACT OFF
// v8 arguments of the always_inline helpers in the portable copy never cross a real call.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v8 __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
typedef unsigned v8u __attribute__((vector_size(32)));

#define ck_load(p) ({ v8 _v; __builtin_memcpy(&_v, (p), sizeof(v8)); _v; })
#define ck_store(p, v) do { v8 _v = (v); __builtin_memcpy((p), &_v, sizeof(v8)); } while (0)
#define ck_splat(x) ({ float _s = (x); (v8){_s, _s, _s, _s, _s, _s, _s, _s}; })
// Lane-wise clamp by compare-and-select, NaN passes through (as the Swift kernels do).
#define ck_select(m, a, b) ((v8)(((m) & (v8i)(a)) | (~(m) & (v8i)(b))))
#define ck_clamp(v, vlo, vhi) ({ v8 _x = (v); _x = ck_select(_x < (vlo), (vlo), _x); ck_select(_x > (vhi), (vhi), _x); })
#define ck_clamp1(v, lo, hi) ({ float _y = (v); _y = _y < (lo) ? (lo) : _y; _y > (hi) ? (hi) : _y; })

/// Rows of A per chunk of a GEMM (a multiple of `block`, at least one block): as many as fill a
/// quarter of this CPU's L2 (k floats a row), so that a chunk of A stays in L2 while every panel
/// of B is streamed past it once. Read once from the C library (CPUID's cache leaves; 256 KB when
/// it does not say). Only the loop order depends on it, never a sum.
static int ck_gemm_chunk_rows(int k, int block) {
    static _Atomic long l2_bytes;
    long l2 = atomic_load_explicit(&l2_bytes, memory_order_relaxed);
    if (l2 == 0) {
        l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
        if (l2 < 64 * 1024 || l2 > 64L * 1024 * 1024) l2 = 256 * 1024;
        atomic_store_explicit(&l2_bytes, l2, memory_order_relaxed);
    }
    const long row_bytes = (long)sizeof(float) * (k > 0 ? k : 1);
    const long rows = l2 / 4 / row_bytes / block * block;
    return rows < block ? block : rows > (1 << 30) ? (1 << 30) : (int)rows;
}

#define CK_SUFFIX _portable
#define CK_ROWS 3
#include "kernels_impl.h"
#undef CK_SUFFIX
#undef CK_ROWS

#if defined(__x86_64__) || defined(__i386__)
#define CK_HAVE_AVX_COPY 1
#pragma clang attribute push(__attribute__((target("avx"))), apply_to = function)
#define CK_SUFFIX _avx
#define CK_ROWS 6
#include "kernels_impl.h"
#undef CK_SUFFIX
#undef CK_ROWS
#pragma clang attribute pop
// A third copy for AVX-512: 512-bit versions of what tracking, prediction and LSTM training spend
// their time in — the packed GEMM, the fused LSTM step and cell, and the depthwise tiles
// (gemm_avx512.h). kernels_impl.h is compiled once more only for its depthwise rows, which take
// those tiles under CK_WIDE; the rest of this copy is not dispatched to (the AVX copy's residual,
// exp and Adam give the same bits and gain nothing from it), hence the unused-function silence.
#define CK_HAVE_AVX512_COPY 1
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunused-function"
#include "gemm_avx512.h"
#define CK_SUFFIX _avx512
#define CK_ROWS 6
#define CK_WIDE 1
#include "kernels_impl.h"
#undef CK_SUFFIX
#undef CK_ROWS
#undef CK_WIDE
#pragma clang diagnostic pop
#pragma clang attribute pop
#else
#define CK_HAVE_AVX_COPY 0
#define CK_HAVE_AVX512_COPY 0
#endif

// --- CPU features -----------------------------------------------------------------------------

// avx512: F, CD, BW, DQ and VL with the OS saving the ZMM state (what OpenBLAS's SkylakeX kernels
// use); fma4 and avx512bf16 only matter for which OpenBLAS kernels may run (ck_cpu_has).
typedef struct { int sse42, avx, avx2, fma, fma4, avx512f, avx512, avx512bf16, os_ymm, os_zmm; } ck_features;

static void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
#else
    r[0] = r[1] = r[2] = r[3] = 0; (void)leaf; (void)sub;
#endif
}

static ck_features detect(void) {
    ck_features f = {0};
#if defined(__x86_64__) || defined(__i386__)
    unsigned r[4];
    cpuid(0, 0, r);
    const unsigned max_leaf = r[0];
    if (max_leaf < 1) return f;
    cpuid(1, 0, r);
    f.sse42 = (r[2] >> 20) & 1;
    f.fma = (r[2] >> 12) & 1;
    const int osxsave = (r[2] >> 27) & 1, avx = (r[2] >> 28) & 1;
    if (osxsave) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        f.os_ymm = (lo & 6) == 6;   // the OS saves XMM and YMM state
        f.os_zmm = (lo & 0xE6) == 0xE6;   // ... and the opmask and ZMM state
    }
    f.avx = avx && f.os_ymm;
    f.fma = f.fma && f.avx;
    if (max_leaf >= 7) {
        cpuid(7, 0, r);
        f.avx2 = ((r[1] >> 5) & 1) && f.avx;
        f.avx512f = ((r[1] >> 16) & 1) && f.avx;
        // EBX bits: 16 F, 17 DQ, 28 CD, 30 BW, 31 VL (Intel SDM vol. 2A, CPUID leaf 07H).
        const unsigned need = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
        f.avx512 = (r[1] & need) == need && f.os_zmm;
        const unsigned subleaves = r[0];
        if (subleaves >= 1) {
            cpuid(7, 1, r);
            f.avx512bf16 = ((r[0] >> 5) & 1) && f.avx512;
        }
    }
    cpuid(0x80000000u, 0, r);
    if (r[0] >= 0x80000001u) {
        cpuid(0x80000001u, 0, r);
        f.fma4 = ((r[2] >> 16) & 1) && f.avx;   // AMD Bulldozer's four-operand FMA
    }
#endif
    return f;
}

static const ck_features *features(void) {
    static ck_features cached;
    static atomic_int done = 0;
    if (!atomic_load_explicit(&done, memory_order_acquire)) {
        cached = detect();   // idempotent: a race computes the same value twice
        atomic_store_explicit(&done, 1, memory_order_release);
    }
    return &cached;
}

int ck_supported_isa(void) {
    if (CK_HAVE_AVX512_COPY && features()->avx512) return CK_ISA_AVX512;
    return CK_HAVE_AVX_COPY && features()->avx ? CK_ISA_AVX : CK_ISA_PORTABLE;
}

static atomic_int active = -1;

int ck_active_isa(void) {
    int isa = atomic_load_explicit(&active, memory_order_relaxed);
    if (isa >= 0) return isa;
    isa = ck_supported_isa();
    const char *want = getenv("ASLSH_KERNELS");
    // Unknown values and `avx` on a CPU without it fall back to what the CPU can run, never crash.
    if (want && strcmp(want, "portable") == 0) isa = CK_ISA_PORTABLE;
    if (want && strcmp(want, "avx") == 0 && isa > CK_ISA_AVX) isa = CK_ISA_AVX;
    atomic_store_explicit(&active, isa, memory_order_relaxed);
    return isa;
}

int ck_force_isa(int isa) {
    if (isa != CK_ISA_PORTABLE && isa != CK_ISA_AVX && isa != CK_ISA_AVX512) return 0;
    if (isa > ck_supported_isa()) return 0;
    atomic_store_explicit(&active, isa, memory_order_relaxed);
    return 1;
}

const char *ck_isa_name(int isa) {
    return isa == CK_ISA_AVX512 ? "avx512 (512-bit)" : isa == CK_ISA_AVX ? "avx (256-bit)" : "portable (SSE2)";
}

const char *ck_cpu_features(void) {
    static char text[64];
    const ck_features *f = features();
    snprintf(text, sizeof text, "sse2%s%s%s%s%s", f->sse42 ? " sse4.2" : "", f->avx ? " avx" : "",
             f->avx2 ? " avx2" : "", f->fma ? " fma" : "", f->avx512f ? " avx512f" : "");
    return text;
}

int ck_cpu_has(const char *feature) {
    const ck_features *f = features();
    if (!feature) return 0;
    if (strcmp(feature, "sse4.2") == 0) return f->sse42;
    if (strcmp(feature, "avx") == 0) return f->avx;
    if (strcmp(feature, "avx2") == 0) return f->avx2;
    if (strcmp(feature, "fma") == 0) return f->fma;
    if (strcmp(feature, "fma4") == 0) return f->fma4;
    if (strcmp(feature, "avx512") == 0) return f->avx512;
    if (strcmp(feature, "avx512bf16") == 0) return f->avx512bf16;
    return 0;
}

// --- Entry points --------------------------------------------------------------------------------

size_t ck_packed_size(int k, int n) {
    return (size_t)((n + CK_PANEL - 1) / CK_PANEL) * CK_PANEL * (size_t)(k > 0 ? k : 0);
}

void ck_pack_b(int k, int n, const float *b, int ldb, int transposed, float *packed) {
    const int panels = (n + CK_PANEL - 1) / CK_PANEL;
    for (int jp = 0; jp < panels; jp++) {
        float *panel = packed + (size_t)jp * CK_PANEL * k;
        for (int p = 0; p < k; p++) {
            for (int jj = 0; jj < CK_PANEL; jj++) {
                const int j = jp * CK_PANEL + jj;
                panel[(size_t)p * CK_PANEL + jj] =
                    j >= n ? 0.0f : transposed ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
            }
        }
    }
}

void ck_gemm(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc,
             const float *bias, float lo, float hi, int accumulate) {
    if (m <= 0 || n <= 0) return;
#if CK_HAVE_AVX512_COPY
    if (ck_active_isa() == CK_ISA_AVX512) {
        ck_gemm_wide_avx512(m, n, k, a, lda, packed, c, ldc, bias, lo, hi, accumulate);
        return;
    }
#endif
#if CK_HAVE_AVX_COPY
    if (ck_active_isa() == CK_ISA_AVX) {
        ck_gemm_impl_avx(m, n, k, a, lda, packed, c, ldc, bias, lo, hi, accumulate);
        return;
    }
#endif
    ck_gemm_impl_portable(m, n, k, a, lda, packed, c, ldc, bias, lo, hi, accumulate);
}

void ck_depthwise_conv(const ck_conv_geometry *g, int row_begin, int row_end, const float *x, const float *w,
                       const float *bias, float *y, float lo, float hi) {
#if CK_HAVE_AVX512_COPY
    if (ck_active_isa() == CK_ISA_AVX512) {
        ck_depthwise_impl_avx512(g, row_begin, row_end, x, w, bias, y, lo, hi);
        return;
    }
#endif
#if CK_HAVE_AVX_COPY
    if (ck_active_isa() >= CK_ISA_AVX) {
        ck_depthwise_impl_avx(g, row_begin, row_end, x, w, bias, y, lo, hi);
        return;
    }
#endif
    ck_depthwise_impl_portable(g, row_begin, row_end, x, w, bias, y, lo, hi);
}

void ck_residual(int rows, int n, float *c, int ldc, const float *r, int ldr, const float *alpha) {
#if CK_HAVE_AVX_COPY
    if (ck_active_isa() >= CK_ISA_AVX) { ck_residual_impl_avx(rows, n, c, ldc, r, ldr, alpha); return; }
#endif
    ck_residual_impl_portable(rows, n, c, ldc, r, ldr, alpha);
}

void ck_lstm_cell(float *row, int h, float *c, float *tanh_c, float *hidden, float *out) {
#if CK_HAVE_AVX_COPY
#if CK_HAVE_AVX512_COPY
    if (ck_active_isa() == CK_ISA_AVX512) { ck_lstm_cell_wide_avx512(row, h, c, tanh_c, hidden, out); return; }
#endif
    if (ck_active_isa() >= CK_ISA_AVX) { ck_lstm_cell_impl_avx(row, h, 0, c, tanh_c, hidden, out); return; }
#endif
    ck_lstm_cell_impl_portable(row, h, 0, c, tanh_c, hidden, out);
}

void ck_lstm_step(const float *pre, const float *packed, int h, const float *h_in, float *c, float *h_out) {
#if CK_HAVE_AVX_COPY
#if CK_HAVE_AVX512_COPY
    if (ck_active_isa() == CK_ISA_AVX512) { ck_lstm_step_wide_avx512(pre, packed, h, h_in, c, h_out); return; }
#endif
    if (ck_active_isa() >= CK_ISA_AVX) { ck_lstm_step_impl_avx(pre, packed, h, h_in, c, h_out); return; }
#endif
    ck_lstm_step_impl_portable(pre, packed, h, h_in, c, h_out);
}

void ck_relu_drop(float *x, float *m, long n, int dropping) {
#if CK_HAVE_AVX_COPY
    if (ck_active_isa() >= CK_ISA_AVX) { ck_relu_drop_impl_avx(x, m, n, dropping); return; }
#endif
    ck_relu_drop_impl_portable(x, m, n, dropping);
}

// --- im2col ----------------------------------------------------------------------------------------

/// Window row copies of the interior pixels of one output row: `count` pixels, each `span`
/// floats from src + i·step to dst + i·pitch. A loop per span size known at compile time (the
/// stems' 3×3×3 and 5×5×3 windows: 9 and 15 floats), so each copy is a few vector moves.
#define CK_COPY_RUN(N) for (int i = 0; i < count; i++) __builtin_memcpy(dst + (size_t)i * pitch, src + (size_t)i * step, (N) * sizeof(float))
static void ck_copy_spans(float *dst, size_t pitch, const float *src, size_t step, int count, int span) {
    switch (span) {
    case 9: CK_COPY_RUN(9); break;
    case 15: CK_COPY_RUN(15); break;
    case 6: CK_COPY_RUN(6); break;
    default: CK_COPY_RUN(span); break;
    }
}
#undef CK_COPY_RUN

/// The window row `dst` (KW·C floats) of output column ox from input row `src_row`, tap by tap,
/// zeros where a tap leaves the image (columns over an edge, or any column when dilated).
static void ck_im2col_tap_by_tap(const ck_conv_geometry *g, const float *src_row, int ox, float *d) {
    const int c = g->channels, ix0 = ox * g->stride_w - g->pad_left;
    for (int kx = 0; kx < g->k_w; kx++, d += c) {
        const int ix = ix0 + kx * g->dilation_w;
        if (ix >= 0 && ix < g->in_w) __builtin_memcpy(d, src_row + (size_t)ix * c, (size_t)c * sizeof(float));
        else __builtin_memset(d, 0, (size_t)c * sizeof(float));
    }
}

void ck_im2col(const ck_conv_geometry *g, const float *x, int row_begin, int row_end, float *cols) {
    const int c = g->channels, span = g->k_w * c, row_length = g->k_h * span;
    // Output columns whose window lies inside the image across (dilation 1): [lead, end).
    int lead = 0, end = 0;
    if (g->dilation_w == 1) {
        lead = (g->pad_left + g->stride_w - 1) / g->stride_w;
        const int reach = g->in_w - g->k_w + g->pad_left;   // ox·s ≤ reach
        end = reach >= 0 ? reach / g->stride_w + 1 : 0;
        if (end > g->out_w) end = g->out_w;
        if (lead > end) lead = end;
    }
    // Window row by window row, so the checks on iy and the span's size are made once per row.
    for (int oy = row_begin; oy < row_end; oy++) {
        float *out_row = cols + (size_t)(oy - row_begin) * g->out_w * row_length;
        for (int ky = 0; ky < g->k_h; ky++) {
            const int iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
            float *dst = out_row + (size_t)ky * span;
            if (iy < 0 || iy >= g->in_h) {
                for (int ox = 0; ox < g->out_w; ox++) __builtin_memset(dst + (size_t)ox * row_length, 0, (size_t)span * sizeof(float));
                continue;
            }
            const float *src_row = x + (size_t)iy * g->in_w * c;
            for (int ox = 0; ox < lead; ox++) ck_im2col_tap_by_tap(g, src_row, ox, dst + (size_t)ox * row_length);
            if (end > lead)   // the interior run
                ck_copy_spans(dst + (size_t)lead * row_length, (size_t)row_length,
                              src_row + (ptrdiff_t)(lead * g->stride_w - g->pad_left) * c, (size_t)g->stride_w * c, end - lead, span);
            for (int ox = end; ox < g->out_w; ox++) ck_im2col_tap_by_tap(g, src_row, ox, dst + (size_t)ox * row_length);
        }
    }
}

// --- Dropout masks -----------------------------------------------------------------------------------

/// xoshiro256** (Blackman & Vigna, prng.di.unimi.it): the next output of state s, advanced.
static inline uint64_t ck_xoshiro_next(uint64_t *s) {
    const uint64_t x = s[1] * 5;
    const uint64_t result = ((x << 7) | (x >> 57)) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

typedef uint64_t u64x4 __attribute__((vector_size(32)));

void ck_dropout_mask(uint64_t *states, long first, long count, long block, long n, uint64_t threshold, float keep,
                     float *m) {
    long b = first;
    const long end = first + count;
    // Groups of four whole blocks of even length: lane j of each state vector is block b + j's
    // state word, stepped by xoshiro256** on 64-bit lanes (×5 and ×9 as shift-and-adds), so the
    // four chains advance together in one register each.
    for (; b + 4 <= end && (b + 4) * block <= n && block % 2 == 0; b += 4) {
        uint64_t *s = states + 4 * b;
        u64x4 s0 = {s[0], s[4], s[8], s[12]}, s1 = {s[1], s[5], s[9], s[13]};
        u64x4 s2 = {s[2], s[6], s[10], s[14]}, s3 = {s[3], s[7], s[11], s[15]};
        float *m0 = m + b * block, *m1 = m0 + block, *m2 = m1 + block, *m3 = m2 + block;
        const uint32_t t32 = (uint32_t)threshold;   // < 2³² (p < 1)
        const v8u thr32 = {t32, t32, t32, t32, t32, t32, t32, t32};
        const v8 zero = ck_splat(0.0f), keep8 = ck_splat(keep);
        for (long i = 0; i < block; i += 2) {
            const u64x4 x = (s1 << 2) + s1;                 // s1·5
            const u64x4 rot = (x << 7) | (x >> 57);
            const u64x4 r = (rot << 3) + rot;               // ·9
            const u64x4 t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
            s2 ^= t;
            s3 = (s3 << 45) | (s3 >> 19);
            // As 32-bit lanes r is (low, high) of each block's output: the draws for elements i and
            // i + 1 of that block, compared and selected in place, then stored as pairs.
            const v8 pairs = ck_select((v8i)((v8u)r < thr32), zero, keep8);
            __builtin_memcpy(m0 + i, (const float *)&pairs, 8);
            __builtin_memcpy(m1 + i, (const float *)&pairs + 2, 8);
            __builtin_memcpy(m2 + i, (const float *)&pairs + 4, 8);
            __builtin_memcpy(m3 + i, (const float *)&pairs + 6, 8);
        }
        for (int j = 0; j < 4; j++) {
            s[4 * j] = s0[j]; s[4 * j + 1] = s1[j]; s[4 * j + 2] = s2[j]; s[4 * j + 3] = s3[j];
        }
    }
    // The rest one block at a time (an odd last block leaves its last draw's high half unused).
    for (; b < end; b++) {
        uint64_t *s = states + 4 * b;
        const long start = b * block, stop = start + block < n ? start + block : n;
        for (long i = start; i < stop; i += 2) {
            const uint64_t r = ck_xoshiro_next(s);
            m[i] = (r & 0xFFFFFFFFu) < threshold ? 0.0f : keep;
            if (i + 1 < stop) m[i + 1] = (r >> 32) < threshold ? 0.0f : keep;
        }
    }
}

void ck_exp(const float *x, float *y, int count) {
#if CK_HAVE_AVX_COPY
    if (ck_active_isa() >= CK_ISA_AVX) { ck_exp_impl_avx(x, y, count); return; }
#endif
    ck_exp_impl_portable(x, y, count);
}

void ck_adam(float *p, const float *g, float *m, float *v, int begin, int end, const ck_adam_params *a) {
#if CK_HAVE_AVX_COPY
    if (ck_active_isa() >= CK_ISA_AVX) { ck_adam_impl_avx(p, g, m, v, begin, end, a); return; }
#endif
    ck_adam_impl_portable(p, g, m, v, begin, end, a);
}

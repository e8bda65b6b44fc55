// The 512-bit kernels of the AVX-512 copy (included by kernels.c inside
// `#pragma clang attribute push(target("avx512f"))`, before kernels_impl.h's own AVX-512 copy,
// whose depthwise rows use ck_dw_slide16 below): the packed GEMM, the fused LSTM step and the
// sliding depthwise filter, each on 16-float vectors, and the LSTM cell's exp, sigmoid and tanh. The GEMM: one 16-column panel is one 512-bit vector,
// and a register block is 6 rows × 2 panels (12 accumulators of 32 zmm). On CPUs with full-width
// AVX-512 units (AMD Zen 5, Intel Xeon) this doubles the multiply-adds per instruction of the AVX
// copy; on Zen 4, which splits each 512-bit operation in two, it runs at the AVX copy's speed.
//
// Determinism: the same arithmetic as kernels_impl.h's ck_block: each output lane starts at 0 (or
// C), adds a[r,p]·b[p,j] (product rounded, then the sum) in order of p, then adds the bias and
// clamps. Only the lane width and the blocking differ, neither of which changes any element's
// sum, so this copy is bit-identical to the portable and AVX ones (tests compare all three).

typedef float v16 __attribute__((vector_size(64)));
typedef int v16i __attribute__((vector_size(64)));

#define ck_load16(p) ({ v16 _v; __builtin_memcpy(&_v, (p), sizeof(v16)); _v; })
#define ck_store16(p, v) do { v16 _v = (v); __builtin_memcpy((p), &_v, sizeof(v16)); } while (0)
#define ck_splat16(x) ({ float _s = (x); (v16){_s, _s, _s, _s, _s, _s, _s, _s, _s, _s, _s, _s, _s, _s, _s, _s}; })
#define ck_select16(m, a, b) ((v16)(((m) & (v16i)(a)) | (~(m) & (v16i)(b))))
#define ck_clamp16(v, vlo, vhi) ({ v16 _x = (v); _x = ck_select16(_x < (vlo), (vlo), _x); ck_select16(_x > (vhi), (vhi), _x); })

enum { CK_ROWS_AVX512 = 6 };

/// `count` (≤ 16) floats from `p` into a vector, the rest 0: a panel's columns past n. A masked
/// load, which reads (and faults on) only the `count` floats.
static inline __attribute__((always_inline)) v16 ck_load16_partial(const float *p, int count) {
    return (v16)__builtin_ia32_loadups512_mask(p, (v16){0}, (unsigned short)((1u << count) - 1u));
}

/// The first `count` (< 16) lanes of v to p, a masked store: nothing past them is written.
static inline __attribute__((always_inline)) void ck_store16_partial(float *p, v16 v, int count) {
    __builtin_ia32_storeups512_mask(p, v, (unsigned short)((1u << count) - 1u));
}

/// Rows [0, rows) × panels [0, np) (np 1 or 2, `cols` of their 16·np columns real):
/// acc = start + Σ_p a[r,p]·panel[p,:], then bias and clamp. `rows` and `np` are compile-time
/// constants in every call, so the loops unroll and the accumulators stay in registers.
static inline __attribute__((always_inline))
void ck_block_wide(const int rows, const int np, int k, const float *a, int lda, const float *panel,
                     size_t panel_stride, float *c, int ldc, int cols, const float *bias, float lo, float hi,
                     int accumulate) {
    v16 acc[CK_ROWS_AVX512][2];
    for (int r = 0; r < rows; r++) {
        for (int q = 0; q < np; q++) {
            const int valid = cols - 16 * q;
            if (!accumulate) acc[r][q] = (v16){0};
            else if (valid >= 16) acc[r][q] = ck_load16(c + r * ldc + 16 * q);
            else acc[r][q] = ck_load16_partial(c + r * ldc + 16 * q, valid);
        }
    }
    for (int p = 0; p < k; p++) {
        v16 b[2];
        for (int q = 0; q < np; q++) b[q] = ck_load16(panel + q * panel_stride + (size_t)p * CK_PANEL);
        for (int r = 0; r < rows; r++) {
            const v16 s = ck_splat16(a[r * lda + p]);
            for (int q = 0; q < np; q++) acc[r][q] = acc[r][q] + s * b[q];
        }
    }
    const v16 vlo = ck_splat16(lo), vhi = ck_splat16(hi);
    for (int q = 0; q < np; q++) {
        const int valid = cols - 16 * q;
        v16 vb = (v16){0};
        if (bias) vb = valid >= 16 ? ck_load16(bias + 16 * q) : ck_load16_partial(bias + 16 * q, valid);
        for (int r = 0; r < rows; r++) {
            v16 y = acc[r][q];
            if (bias) y = y + vb;
            y = ck_clamp16(y, vlo, vhi);
            if (valid >= 16) ck_store16(c + r * ldc + 16 * q, y);
            else ck_store16_partial(c + r * ldc + 16 * q, y, valid);
        }
    }
}

#define CK_BLOCK512(R, NP) ck_block_wide(R, NP, k, ai, lda, panel, stride, ci, ldc, cols, pb, lo, hi, accumulate)
// Each block height its own unrolled copy (rows and NP are constants in every call).
#define CK_BLOCK512_ROWS(NP) do { switch (rows) {                                  \
    case 6: CK_BLOCK512(6, NP); break; case 5: CK_BLOCK512(5, NP); break;              \
    case 4: CK_BLOCK512(4, NP); break; case 3: CK_BLOCK512(3, NP); break;              \
    case 2: CK_BLOCK512(2, NP); break; default: CK_BLOCK512(1, NP); break; } } while (0)

/// As kernels_impl.h's ck_gemm_impl: chunks of rows that fit in a quarter of L2, and in each,
/// panels in pairs outer (a last odd panel alone), row blocks inner.
static void ck_gemm_wide_avx512(int m, int n, int k, const float *a, int lda, const float *packed, float *c,
                                int ldc, const float *bias, float lo, float hi, int accumulate) {
    const int panels = (n + CK_PANEL - 1) / CK_PANEL;
    const size_t stride = (size_t)CK_PANEL * (size_t)(k > 0 ? k : 0);
    const int chunk = ck_gemm_chunk_rows(k, CK_ROWS_AVX512);
    for (int i0 = 0; i0 < m; i0 += chunk) {
        const int i1 = m - i0 < chunk ? m : i0 + chunk;
        for (int jp = 0; jp < panels; jp += 2) {
            const int np = jp + 1 < panels ? 2 : 1;
            const int j0 = jp * CK_PANEL;
            const int cols = n - j0 < np * CK_PANEL ? n - j0 : np * CK_PANEL;
            const float *panel = packed + (size_t)jp * stride;
            const float *pb = bias ? bias + j0 : NULL;
            for (int i = i0; i < i1; i += CK_ROWS_AVX512) {
                const int rows = i1 - i < CK_ROWS_AVX512 ? i1 - i : CK_ROWS_AVX512;
                const float *ai = a + (size_t)i * lda;
                float *ci = c + (size_t)i * ldc + j0;
                if (np == 2) CK_BLOCK512_ROWS(2); else CK_BLOCK512_ROWS(1);
            }
        }
    }
}
#undef CK_BLOCK512
#undef CK_BLOCK512_ROWS

/// e^x, σ and tanh on 16 lanes (transcendentals.h): lane for lane the 8-lane copies' bits.
typedef unsigned v16u __attribute__((vector_size(64)));
CK_DEFINE_TRANSCENDENTALS(ck_exp16, ck_sigmoid16, ck_tanh16, v16, v16u, ck_splat16, ck_clamp16)

/// kernels_impl.h's fused LSTM step (one sequence, prediction) with 512-bit loads: the packed
/// gate weights of one k are [i f g o] × 8 lanes, i.e. two 512-bit vectors, so each k takes half
/// the loads and multiply-adds of the AVX copy. Lane for lane the same operations in the same
/// order (the even/odd-k accumulators, then their sum), and the gates' functions are the same
/// code on 16 lanes (i and f together) or 8 (g and o, the cell), so the result is bit-identical
/// to the other paths.
static void ck_lstm_step_wide_avx512(const float *pre, const float *packed, int h, const float *h_in, float *c, float *h_out) {
    for (int block = 0; block < h / 8; block++) {
        const int j = block * 8;
        const float *p = packed + (size_t)block * h * 32;
        v16 if0 = __builtin_shufflevector(ck_load(pre + j), ck_load(pre + h + j), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        v16 go0 = __builtin_shufflevector(ck_load(pre + 2 * h + j), ck_load(pre + 3 * h + j), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        v16 if1 = {0}, go1 = {0};
        int k = 0;
        for (; k + 2 <= h; k += 2, p += 64) {
            const v16 h0 = ck_splat16(h_in[k]), h1 = ck_splat16(h_in[k + 1]);
            if0 = if0 + ck_load16(p) * h0;      go0 = go0 + ck_load16(p + 16) * h0;
            if1 = if1 + ck_load16(p + 32) * h1; go1 = go1 + ck_load16(p + 48) * h1;
        }
        if (k < h) {
            const v16 h0 = ck_splat16(h_in[k]);
            if0 = if0 + ck_load16(p) * h0; go0 = go0 + ck_load16(p + 16) * h0;
        }
        const v16 ifs = if0 + if1, gos = go0 + go1;
        const v16 ifg = ck_sigmoid16(ifs);   // both gates in one 16-lane sigmoid
        const v8 ig = __builtin_shufflevector(ifg, ifg, 0, 1, 2, 3, 4, 5, 6, 7);
        const v8 fg = __builtin_shufflevector(ifg, ifg, 8, 9, 10, 11, 12, 13, 14, 15);
        const v8 g = __builtin_shufflevector(gos, gos, 0, 1, 2, 3, 4, 5, 6, 7);
        const v8 o = __builtin_shufflevector(gos, gos, 8, 9, 10, 11, 12, 13, 14, 15);
        const v8 gg = ck_tanh_avx(g), og = ck_sigmoid_avx(o);
        const v8 cn = fg * ck_load(c + j) + ig * gg;
        ck_store(c + j, cn);
        ck_store(h_out + j, og * ck_tanh_avx(cn));
    }
}

/// kernels_impl.h's ck_lstm_cell_impl (the batch and training cell) 16 units at a time; a last
/// block of 8 goes to the AVX copy. Lane for lane the same operations, so the same bits.
static void ck_lstm_cell_wide_avx512(float *row, int h, float *c, float *tanh_c, float *hidden, float *out) {
    int j = 0;
    for (; j + 16 <= h; j += 16) {
        const v16 ig = ck_sigmoid16(ck_load16(row + j));
        const v16 fg = ck_sigmoid16(ck_load16(row + h + j));
        const v16 gg = ck_tanh16(ck_load16(row + 2 * h + j));
        const v16 og = ck_sigmoid16(ck_load16(row + 3 * h + j));
        ck_store16(row + j, ig); ck_store16(row + h + j, fg); ck_store16(row + 2 * h + j, gg); ck_store16(row + 3 * h + j, og);
        const v16 cn = fg * ck_load16(c + j) + ig * gg;
        const v16 th = ck_tanh16(cn);
        const v16 hn = og * th;
        ck_store16(c + j, cn); ck_store16(tanh_c + j, th); ck_store16(hidden + j, hn); ck_store16(out + j, hn);
    }
    ck_lstm_cell_impl_avx(row, h, j, c, tanh_c, hidden, out);   // a last block of 8
}

// The depthwise tiles on 16 channels a vector (depthwise_tiles.h): kernels_impl.h's AVX-512
// copy uses them where the channels allow, lane for lane the 8-channel tiles' sums.
CK_DEFINE_DW_SLIDE(ck_dw_slide16, v16, ck_load16, ck_store16, ck_clamp16)
CK_DEFINE_DW_TILE(ck_dw_tile16, v16, 16, 2, ck_load16, ck_store16, ck_clamp16)

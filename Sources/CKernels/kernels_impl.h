// The kernels, written once and compiled three times by kernels.c: for the portable target, and
// inside `#pragma clang attribute push(target("avx"))` and `target("avx512f")` (with CK_WIDE,
// whose depthwise rows take gemm_avx512.h's 16-channel sliding filter). CK_SUFFIX names the copy and
// CK_ROWS is the register block's height (the AVX copy has 16 ymm registers: 6 rows × 2 vectors of
// accumulators + 2 for a B row + 1 broadcast + 1 product; SSE has half the width, so 3 rows).
//
// Determinism: every output is accumulated lane by lane as acc = acc + (a·b), in order of k, with
// the same start value and the same epilogue in both copies. A v8 in the portable copy is two SSE
// halves doing the same IEEE operations as one ymm, so both copies agree bit for bit. kernels.c is
// compiled with -ffp-contract=off so no a·b + c becomes a fused multiply-add (which would round
// once instead of twice and differ between CPUs with and without FMA).

#define CK_CAT2(a, b) a##b
#define CK_CAT(a, b) CK_CAT2(a, b)
#define CK_FN(name) CK_CAT(name, CK_SUFFIX)

/// Rows [0, rows) × one 16-column panel: acc[r] = start + Σ_p a[r,p]·panel[p,:], then epilogue.
/// `rows` is a compile-time constant in every call (always_inline), so the loops unroll and the
/// accumulators live in registers.
static inline __attribute__((always_inline))
void CK_FN(ck_block)(const int rows, int k, const float *a, int lda, const float *panel,
                     float *c, int ldc, int cols, const float *bias, float lo, float hi, int accumulate) {
    v8 acc0[CK_ROWS], acc1[CK_ROWS];
    for (int r = 0; r < rows; r++) {
        if (accumulate) {
            if (cols == CK_PANEL) {
                acc0[r] = ck_load(c + r * ldc);
                acc1[r] = ck_load(c + r * ldc + 8);
            } else {
                float t[CK_PANEL] = {0};
                for (int j = 0; j < cols; j++) t[j] = c[r * ldc + j];
                acc0[r] = ck_load(t);
                acc1[r] = ck_load(t + 8);
            }
        } else {
            acc0[r] = (v8){0};
            acc1[r] = (v8){0};
        }
    }
    for (int p = 0; p < k; p++) {
        const v8 b0 = ck_load(panel + p * CK_PANEL), b1 = ck_load(panel + p * CK_PANEL + 8);
        for (int r = 0; r < rows; r++) {
            const v8 s = ck_splat(a[r * lda + p]);
            acc0[r] = acc0[r] + s * b0;
            acc1[r] = acc1[r] + s * b1;
        }
    }
    v8 bias0 = (v8){0}, bias1 = (v8){0};
    if (bias && cols == CK_PANEL) {
        bias0 = ck_load(bias);
        bias1 = ck_load(bias + 8);
    } else if (bias) {   // the last panel: only `cols` biases exist
        float t[CK_PANEL] = {0};
        for (int j = 0; j < cols; j++) t[j] = bias[j];
        bias0 = ck_load(t);
        bias1 = ck_load(t + 8);
    }
    const v8 vlo = ck_splat(lo), vhi = ck_splat(hi);
    for (int r = 0; r < rows; r++) {
        v8 y0 = acc0[r], y1 = acc1[r];
        if (bias) { y0 = y0 + bias0; y1 = y1 + bias1; }
        y0 = ck_clamp(y0, vlo, vhi);
        y1 = ck_clamp(y1, vlo, vhi);
        if (cols == CK_PANEL) {
            ck_store(c + r * ldc, y0);
            ck_store(c + r * ldc + 8, y1);
        } else {
            float t[CK_PANEL];
            ck_store(t, y0);
            ck_store(t + 8, y1);
            for (int j = 0; j < cols; j++) c[r * ldc + j] = t[j];
        }
    }
}

/// Loop order: chunks of A's rows that fit in a quarter of L2 (`ck_gemm_chunk_rows`); inside a
/// chunk, panels outer and row blocks inner, so each panel of B is read from memory once per
/// chunk and then from L1 for every row block, while the next is prefetched — in a model the
/// weights are cold on every run (the landmark model's 7×7 layers: 49 rows, B ~0.9 MB). The order
/// of the loops changes nothing in any element's sum.
static void CK_FN(ck_gemm_impl)(int m, int n, int k, const float *a, int lda, const float *packed, float *c,
                                 int ldc, const float *bias, float lo, float hi, int accumulate) {
    const int panels = (n + CK_PANEL - 1) / CK_PANEL;
    const int chunk = ck_gemm_chunk_rows(k, CK_ROWS);
    for (int i0 = 0; i0 < m; i0 += chunk) {
        const int i1 = m - i0 < chunk ? m : i0 + chunk;
        for (int jp = 0; jp < panels; jp++) {
            const int j0 = jp * CK_PANEL;
            const int cols = n - j0 < CK_PANEL ? n - j0 : CK_PANEL;
            const float *panel = packed + (size_t)jp * CK_PANEL * k;
            const float *pb = bias ? bias + j0 : NULL;
            for (int i = i0; i < i1; i += CK_ROWS) {
                const int rows = i1 - i < CK_ROWS ? i1 - i : CK_ROWS;
                const float *ai = a + (size_t)i * lda;
                float *ci = c + (size_t)i * ldc + j0;
                switch (rows) {   // each height its own unrolled copy
                case CK_ROWS: CK_FN(ck_block)(CK_ROWS, k, ai, lda, panel, ci, ldc, cols, pb, lo, hi, accumulate); break;
                case 1: CK_FN(ck_block)(1, k, ai, lda, panel, ci, ldc, cols, pb, lo, hi, accumulate); break;
                case 2: CK_FN(ck_block)(2, k, ai, lda, panel, ci, ldc, cols, pb, lo, hi, accumulate); break;
#if CK_ROWS > 3
                case 3: CK_FN(ck_block)(3, k, ai, lda, panel, ci, ldc, cols, pb, lo, hi, accumulate); break;
                case 4: CK_FN(ck_block)(4, k, ai, lda, panel, ci, ldc, cols, pb, lo, hi, accumulate); break;
                case 5: CK_FN(ck_block)(5, k, ai, lda, panel, ci, ldc, cols, pb, lo, hi, accumulate); break;
#endif
                default: break;
                }
            }
        }
    }
}

/// Depthwise, a tile of P horizontally adjacent output pixels × G groups of 8 channels from `ch`:
/// P·G independent accumulators, so the adds are not one long dependency chain and each weight
/// vector loaded serves P pixels. Taps kx0..<kx1 of every window row ky0..<ky1 (an interior tile
/// passes the full 0..<KW; an edge pixel its clipped range). `kw` is the filter's row length;
/// P, G and, for 3×3 and 5×5 filters, kw are compile-time constants in every call, so the loops
/// unroll. Each output is bias, plus x·w over ky then kx in order, then clamped — the same sum
/// in the same order whatever the tile shape, hence bit-identical between tile shapes and paths.
CK_DEFINE_DW_TILE(CK_FN(ck_dw_tile), v8, 8, 4, ck_load, ck_store, ck_clamp)

/// The channels [c0, c1) of one output pixel whose window spans taps kx0..<kx1, one at a time
/// (the last channels when C is not a multiple of 8), in the same order as ck_dw_tile.
static inline __attribute__((always_inline))
void CK_FN(ck_dw_scalar)(const ck_conv_geometry *g, const float *image, int iy0, int ix0, int ky0, int ky1,
                         int kx0, int kx1, int c0, int c1, const float *w, const float *bias, float *out,
                         float lo, float hi) {
    const int c = g->channels;
    for (int ch = c0; ch < c1; ch++) {
        float acc = bias[ch];
        for (int ky = ky0; ky < ky1; ky++)
            for (int kx = kx0; kx < kx1; kx++)
                acc = acc + image[((ptrdiff_t)(iy0 + ky * g->dilation_h) * g->in_w + ix0 + kx * g->dilation_w) * c + ch]
                                * w[((ptrdiff_t)ky * g->k_w + kx) * c + ch];
        out[ch] = ck_clamp1(acc, lo, hi);
    }
}

// Depthwise, stride 1 and no dilation: eight adjacent interior pixels × 8 channels, sliding
// along the input row (depthwise_tiles.h).
CK_DEFINE_DW_SLIDE(CK_FN(ck_dw_slide8), v8, ck_load, ck_store, ck_clamp)

/// Channels [c0, c1) of P interior pixels (full windows): 16 channels at a time, then 8, then one.
static inline __attribute__((always_inline))
void CK_FN(ck_dw_interior)(const int P, const int kw, const ck_conv_geometry *g, const float *image, int iy0, int ix0,
                           int ky0, int ky1, int c0, int c1, const float *w, const float *bias, float *out,
                           float lo, float hi, v8 vlo, v8 vhi) {
    int ch = c0;
#ifdef CK_WIDE
    for (; ch + 32 <= c1; ch += 32) ck_dw_tile16(P, 2, 0, kw, kw, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, ck_splat16(lo), ck_splat16(hi));
    for (; ch + 16 <= c1; ch += 16) ck_dw_tile16(P, 1, 0, kw, kw, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, ck_splat16(lo), ck_splat16(hi));
#endif
    for (; ch + 16 <= c1; ch += 16) CK_FN(ck_dw_tile)(P, 2, 0, kw, kw, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, vlo, vhi);
    for (; ch + 8 <= c1; ch += 8) CK_FN(ck_dw_tile)(P, 1, 0, kw, kw, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, vlo, vhi);
    if (ch < c1)
        for (int p = 0; p < P; p++)
            CK_FN(ck_dw_scalar)(g, image, iy0, ix0 + p * g->stride_w, ky0, ky1, 0, kw, ch, c1, w, bias,
                                out + (ptrdiff_t)p * g->channels, lo, hi);
}

/// Channels [c0, c1) of one pixel whose window is clipped at the left or right border:
/// 32 channels at a time (four independent accumulators), then 8, then one.
static inline __attribute__((always_inline))
void CK_FN(ck_dw_edge)(const int kw, const ck_conv_geometry *g, const float *image, int iy0, int ix0, int ky0, int ky1,
                       int c0, int c1, const float *w, const float *bias, float *out, float lo, float hi, v8 vlo, v8 vhi) {
    int kx0 = 0, kx1 = kw;
    while (kx0 < kx1 && ix0 + kx0 * g->dilation_w < 0) kx0++;
    while (kx1 > kx0 && ix0 + (kx1 - 1) * g->dilation_w >= g->in_w) kx1--;
    int ch = c0;
#ifdef CK_WIDE
    for (; ch + 32 <= c1; ch += 32) ck_dw_tile16(1, 2, kx0, kx1, kw, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, ck_splat16(lo), ck_splat16(hi));
#endif
    for (; ch + 32 <= c1; ch += 32) CK_FN(ck_dw_tile)(1, 4, kx0, kx1, kw, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, vlo, vhi);
    for (; ch + 8 <= c1; ch += 8) CK_FN(ck_dw_tile)(1, 1, kx0, kx1, kw, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, vlo, vhi);
    if (ch < c1) CK_FN(ck_dw_scalar)(g, image, iy0, ix0, ky0, ky1, kx0, kx1, ch, c1, w, bias, out, lo, hi);
}

/// One output row's channels [c0, c1) (a multiple of 8) in sliding 8-pixel strips of stride S
/// (a constant): interior strips whole, strips over the left or right edge clipped.
static inline __attribute__((always_inline))
void CK_FN(ck_dw_row_slides)(const int kw, const int S, const ck_conv_geometry *g, const float *image, int iy0,
                             int ky0, int ky1, int c0, int c1, const float *w, const float *bias, float *out_row,
                             float lo, float hi, v8 vlo, v8 vhi) {
    const int c = g->channels, span = S * 7 + kw;
    for (int ox = 0; ox < g->out_w; ox += 8) {
        const int count = g->out_w - ox < 8 ? g->out_w - ox : 8, ix0 = ox * S - g->pad_left;
        const int jlo = ix0 < 0 ? -ix0 : 0, jhi = g->in_w - ix0 < span ? g->in_w - ix0 : span;
        const int clipped = jlo > 0 || jhi < span || count < 8;
        float *out = out_row + (ptrdiff_t)ox * c;
#ifdef CK_WIDE
        if ((c1 - c0) % 16 == 0) {
            for (int ch = c0; ch < c1; ch += 16) {
                if (clipped) ck_dw_slide16(kw, S, 1, jlo, jhi, count, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, ck_splat16(lo), ck_splat16(hi));
                else ck_dw_slide16(kw, S, 0, 0, 0, 8, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, ck_splat16(lo), ck_splat16(hi));
            }
            continue;
        }
#endif
        for (int ch = c0; ch < c1; ch += 8) {
            if (clipped) CK_FN(ck_dw_slide8)(kw, S, 1, jlo, jhi, count, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, vlo, vhi);
            else CK_FN(ck_dw_slide8)(kw, S, 0, 0, 0, 8, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, vlo, vhi);
        }
    }
}

/// Output rows [row_begin, row_end), filter width `kw` (a constant for 3 and 5, which also get the
/// sliding kernel: `slide`, a constant, since its loops must unroll to keep the window in registers). Channels go in
/// chunks whose filter slice (KH·KW·chunk floats, ≤ ~8 KB) and input rows stay in L1 while the
/// whole output row is swept. Inside a chunk (whole vectors of channels, stride 1, or stride 2 on
/// maps of at most 16 pixels) the row goes in sliding 8-pixel strips, clipped at the edges;
/// otherwise interior pixels go four at a time (then 3, 2, 1) and the clipped pixels at both ends
/// one at a time.
static inline __attribute__((always_inline))
void CK_FN(ck_dw_rows)(const int kw, const int slide, const ck_conv_geometry *g, int row_begin, int row_end, const float *x,
                       const float *w, const float *bias, float *y, float lo, float hi) {
    const int c = g->channels;
    const int first_interior = (g->pad_left + g->stride_w - 1) / g->stride_w;
    const int last_reach = g->in_w - 1 - (kw - 1) * g->dilation_w + g->pad_left;   // ox·s ≤ last_reach
    int end_interior = last_reach >= 0 ? last_reach / g->stride_w + 1 : 0;
    if (end_interior > g->out_w) end_interior = g->out_w;
    const int lead = first_interior < g->out_w ? first_interior : g->out_w;
    if (end_interior < lead) end_interior = lead;
    int chunk = (2048 / (g->k_h * kw)) & ~15;
    if (chunk < 16) chunk = 16;
    const v8 vlo = ck_splat(lo), vhi = ck_splat(hi);
    for (int row = row_begin; row < row_end; row++) {
        const int n = row / g->out_h, oy = row % g->out_h;
        const float *image = x + (ptrdiff_t)n * g->in_h * g->in_w * c;
        const int iy0 = oy * g->stride_h - g->pad_top;
        int ky0 = 0, ky1 = g->k_h;   // window rows inside the image
        while (ky0 < ky1 && iy0 + ky0 * g->dilation_h < 0) ky0++;
        while (ky1 > ky0 && iy0 + (ky1 - 1) * g->dilation_h >= g->in_h) ky1--;
        float *out_row = y + (ptrdiff_t)row * g->out_w * c;
        for (int c0 = 0; c0 < c; c0 += chunk) {
            const int c1 = c - c0 < chunk ? c : c0 + chunk;
            // Stride 2 slides only on narrow maps (≤ 16 pixels, in cache, mostly edge): on the wide
            // ones, whose input comes cold from the op before, the 4-pixel tiles measured faster.
            if (slide && (g->stride_w == 1 || (g->stride_w == 2 && g->out_w <= 16)) && g->dilation_w == 1 && (c1 - c0) % 8 == 0) {
                // The whole row in slides of eight pixels, those over an edge clipped (skipping
                // the taps outside, as the edge kernel does): a 7-pixel row is one slide, where
                // it was four clipped pixels one at a time and three in a tile.
                if (g->stride_w == 1) CK_FN(ck_dw_row_slides)(kw, 1, g, image, iy0, ky0, ky1, c0, c1, w, bias, out_row, lo, hi, vlo, vhi);
                else CK_FN(ck_dw_row_slides)(kw, 2, g, image, iy0, ky0, ky1, c0, c1, w, bias, out_row, lo, hi, vlo, vhi);
                continue;
            }
            int ox = 0;
            for (; ox < lead; ox++)
                CK_FN(ck_dw_edge)(kw, g, image, iy0, ox * g->stride_w - g->pad_left, ky0, ky1, c0, c1, w, bias,
                                  out_row + (ptrdiff_t)ox * c, lo, hi, vlo, vhi);
            for (; ox + 4 <= end_interior; ox += 4)
                CK_FN(ck_dw_interior)(4, kw, g, image, iy0, ox * g->stride_w - g->pad_left, ky0, ky1, c0, c1, w, bias,
                                      out_row + (ptrdiff_t)ox * c, lo, hi, vlo, vhi);
            switch (end_interior - ox) {
            case 3: CK_FN(ck_dw_interior)(3, kw, g, image, iy0, ox * g->stride_w - g->pad_left, ky0, ky1, c0, c1, w, bias,
                                          out_row + (ptrdiff_t)ox * c, lo, hi, vlo, vhi); break;
            case 2: CK_FN(ck_dw_interior)(2, kw, g, image, iy0, ox * g->stride_w - g->pad_left, ky0, ky1, c0, c1, w, bias,
                                          out_row + (ptrdiff_t)ox * c, lo, hi, vlo, vhi); break;
            case 1: CK_FN(ck_dw_interior)(1, kw, g, image, iy0, ox * g->stride_w - g->pad_left, ky0, ky1, c0, c1, w, bias,
                                          out_row + (ptrdiff_t)ox * c, lo, hi, vlo, vhi); break;
            default: break;
            }
            for (ox = end_interior; ox < g->out_w; ox++)
                CK_FN(ck_dw_edge)(kw, g, image, iy0, ox * g->stride_w - g->pad_left, ky0, ky1, c0, c1, w, bias,
                                  out_row + (ptrdiff_t)ox * c, lo, hi, vlo, vhi);
        }
    }
}

static void CK_FN(ck_depthwise_impl)(const ck_conv_geometry *g, int row_begin, int row_end, const float *x,
                                      const float *w, const float *bias, float *y, float lo, float hi) {
    switch (g->k_w) {   // the two filter widths MediaPipe's models use get unrolled copies
    case 3: CK_FN(ck_dw_rows)(3, 1, g, row_begin, row_end, x, w, bias, y, lo, hi); break;
    case 5: CK_FN(ck_dw_rows)(5, 1, g, row_begin, row_end, x, w, bias, y, lo, hi); break;
    default: CK_FN(ck_dw_rows)(g->k_w, 0, g, row_begin, row_end, x, w, bias, y, lo, hi); break;
    }
}

// --- Residual epilogue -----------------------------------------------------------------------------

/// Rows of C [rows, n] (ldc): C = C + R (ldr), then, when alpha is given, y < 0 ? alpha[j]·y : y.
/// Lane-wise IEEE adds, multiplies and compare-selects, so every lane width gives the same bits.
static void CK_FN(ck_residual_impl)(int rows, int n, float *c, int ldc, const float *r, int ldr, const float *alpha) {
    const v8 zero = ck_splat(0.0f);
    for (int i = 0; i < rows; i++) {
        float *ci = c + (size_t)i * ldc;
        const float *ri = r + (size_t)i * ldr;
        int j = 0;
        for (; j + 8 <= n; j += 8) {
            v8 y = ck_load(ci + j) + ck_load(ri + j);
            if (alpha) y = ck_select(y < zero, ck_load(alpha + j) * y, y);
            ck_store(ci + j, y);
        }
        for (; j < n; j++) {
            const float y = ci[j] + ri[j];
            ci[j] = alpha && y < 0.0f ? alpha[j] * y : y;
        }
    }
}

// --- LSTM (prediction step and the training cell) --------------------------------------------------

// e^x, σ and tanh on 8 lanes (transcendentals.h).
CK_DEFINE_TRANSCENDENTALS(CK_FN(ck_exp), CK_FN(ck_sigmoid), CK_FN(ck_tanh), v8, v8u, ck_splat, ck_clamp)

/// Units [from, h) of the cell (from a multiple of 8; the AVX-512 copy's 16-unit loop hands its
/// last 8 units to the AVX copy this way).
static void CK_FN(ck_lstm_cell_impl)(float *row, int h, int from, float *c, float *tanh_c, float *hidden, float *out) {
    for (int j = from; j + 8 <= h; j += 8) {
        const v8 ig = CK_FN(ck_sigmoid)(ck_load(row + j));
        const v8 fg = CK_FN(ck_sigmoid)(ck_load(row + h + j));
        const v8 gg = CK_FN(ck_tanh)(ck_load(row + 2 * h + j));
        const v8 og = CK_FN(ck_sigmoid)(ck_load(row + 3 * h + j));
        ck_store(row + j, ig); ck_store(row + h + j, fg); ck_store(row + 2 * h + j, gg); ck_store(row + 3 * h + j, og);
        const v8 cn = fg * ck_load(c + j) + ig * gg;
        const v8 th = CK_FN(ck_tanh)(cn);
        const v8 hn = og * th;
        ck_store(c + j, cn); ck_store(tanh_c + j, th); ck_store(hidden + j, hn); ck_store(out + j, hn);
    }
}

static void CK_FN(ck_lstm_step_impl)(const float *pre, const float *packed, int h, const float *h_in, float *c, float *h_out) {
    for (int block = 0; block < h / 8; block++) {
        const int j = block * 8;
        const float *p = packed + (size_t)block * h * 32;
        // Two sets of four accumulators (even and odd k) so the adds are not one long chain.
        v8 i0 = ck_load(pre + j), f0 = ck_load(pre + h + j), g0 = ck_load(pre + 2 * h + j), o0 = ck_load(pre + 3 * h + j);
        v8 i1 = {0}, f1 = {0}, g1 = {0}, o1 = {0};
        int k = 0;
        for (; k + 2 <= h; k += 2, p += 64) {
            const v8 h0 = ck_splat(h_in[k]), h1 = ck_splat(h_in[k + 1]);
            i0 = i0 + ck_load(p) * h0;      f0 = f0 + ck_load(p + 8) * h0;
            g0 = g0 + ck_load(p + 16) * h0; o0 = o0 + ck_load(p + 24) * h0;
            i1 = i1 + ck_load(p + 32) * h1; f1 = f1 + ck_load(p + 40) * h1;
            g1 = g1 + ck_load(p + 48) * h1; o1 = o1 + ck_load(p + 56) * h1;
        }
        if (k < h) {
            const v8 h0 = ck_splat(h_in[k]);
            i0 = i0 + ck_load(p) * h0;      f0 = f0 + ck_load(p + 8) * h0;
            g0 = g0 + ck_load(p + 16) * h0; o0 = o0 + ck_load(p + 24) * h0;
        }
        const v8 ig = CK_FN(ck_sigmoid)(i0 + i1), fg = CK_FN(ck_sigmoid)(f0 + f1);
        const v8 gg = CK_FN(ck_tanh)(g0 + g1), og = CK_FN(ck_sigmoid)(o0 + o1);
        const v8 cn = fg * ck_load(c + j) + ig * gg;
        ck_store(c + j, cn);
        ck_store(h_out + j, og * CK_FN(ck_tanh)(cn));
    }
}

static void CK_FN(ck_exp_impl)(const float *x, float *y, int count) {
    int i = 0;
    for (; i + 8 <= count; i += 8) ck_store(y + i, CK_FN(ck_exp)(ck_load(x + i)));
    if (i < count) {   // the tail through the same vector code on a zero-padded copy
        float t[8] = {0};
        for (int j = i; j < count; j++) t[j - i] = x[j];
        v8 r = CK_FN(ck_exp)(ck_load(t));
        ck_store(t, r);
        for (int j = i; j < count; j++) y[j] = t[j - i];
    }
}

// --- ReLU + dropout ---------------------------------------------------------------------------------

static void CK_FN(ck_relu_drop_impl)(float *x, float *m, long n, int dropping) {
    const v8 zero = ck_splat(0.0f), one = ck_splat(1.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        const v8 v = ck_load(x + i);
        const v8i positive = v > zero;
        const v8 f = ck_select(positive, dropping ? ck_load(m + i) : one, zero);
        ck_store(m + i, f);
        ck_store(x + i, ck_select(positive, v * f, zero));
    }
    for (; i < n; i++) {
        const float v = x[i];
        const float f = v > 0.0f ? (dropping ? m[i] : 1.0f) : 0.0f;
        m[i] = f;
        x[i] = v > 0.0f ? v * f : 0.0f;
    }
}

// --- Optimiser ----------------------------------------------------------------------------------

/// Adam / AdamW over [begin, end) of the flat parameter block (PyTorch's rule, see Optimizers.swift):
/// p ← p·decay; g' = g + l2·p; m ← β1·m + (1−β1)·g'; v ← β2·v + (1−β2)·g'²;
/// p ← p − step·m / (√v / √bc2 + ε). Lane-wise IEEE sqrt and divide, and the tail through the
/// same expressions on scalars, so every element gets the same bits whichever lane or path.
static void CK_FN(ck_adam_impl)(float *p, const float *g, float *m, float *v, int begin, int end,
                                 const ck_adam_params *a) {
    const v8 decay = ck_splat(a->decay), l2 = ck_splat(a->l2), b1 = ck_splat(a->beta1), b2 = ck_splat(a->beta2);
    const v8 c1 = ck_splat(1.0f - a->beta1), c2 = ck_splat(1.0f - a->beta2);
    const v8 step = ck_splat(a->step_size), bc2 = ck_splat(a->bc2_sqrt), eps = ck_splat(a->eps);
    int i = begin;
    for (; i + 8 <= end; i += 8) {
        v8 pv = ck_load(p + i);
        if (a->decoupled) pv = pv * decay;
        const v8 gi = ck_load(g + i) + l2 * pv;
        const v8 mi = b1 * ck_load(m + i) + c1 * gi;
        const v8 vi = b2 * ck_load(v + i) + c2 * gi * gi;
        ck_store(m + i, mi);
        ck_store(v + i, vi);
        pv = pv - step * (mi / (__builtin_elementwise_sqrt(vi) / bc2 + eps));
        ck_store(p + i, pv);
    }
    for (; i < end; i++) {
        float pv = p[i];
        if (a->decoupled) pv = pv * a->decay;
        const float gi = g[i] + a->l2 * pv;
        const float mi = a->beta1 * m[i] + (1.0f - a->beta1) * gi;
        const float vi = a->beta2 * v[i] + (1.0f - a->beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = pv - a->step_size * (mi / (__builtin_sqrtf(vi) / a->bc2_sqrt + a->eps));
    }
}

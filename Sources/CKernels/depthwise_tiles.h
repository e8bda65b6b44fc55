// The depthwise filter's register tiles, defined once for any lane width: kernels_impl.h
// instantiates them on 8 channels a vector in each of its copies, gemm_avx512.h on 16. Each
// output is bias, plus x·w over ky then kx in order, then clamped — the same sum in the same
// order whatever the tile shape or lane width, hence the same bits on every path.
#ifndef CK_DEPTHWISE_TILES_H
#define CK_DEPTHWISE_TILES_H

/// NAME(P, G, kx0, kx1, kw, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, vlo, vhi): P (≤ 4)
/// adjacent output pixels (strided, dilated, or one clipped edge pixel's taps kx0..<kx1) × G
/// (≤ MAXG) groups of LANES channels from `ch`, each vector of weights loaded once for the P
/// pixels. Taps kx0..<kx1 of every window row ky0..<ky1 (an interior tile passes the full
/// 0..<KW); `kw` is the filter's row length. P, G and, for 3×3 and 5×5 filters, kw are
/// compile-time constants in every call, so the loops unroll.
#define CK_DEFINE_DW_TILE(NAME, V, LANES, MAXG, LOAD, STORE, CLAMP)                                           \
    static inline __attribute__((always_inline))                                                              \
    void NAME(const int P, const int G, const int kx0, const int kx1, const int kw,                           \
              const ck_conv_geometry *g, const float *image, int iy0, int ix0, int ky0, int ky1,              \
              int ch, const float *w, const float *bias, float *out, V vlo, V vhi) {                          \
        const int c = g->channels;                                                                            \
        const ptrdiff_t step = (ptrdiff_t)g->stride_w * c, tap = (ptrdiff_t)g->dilation_w * c;                \
        const ptrdiff_t row_step = (ptrdiff_t)g->dilation_h * g->in_w * c, w_row = (ptrdiff_t)kw * c;         \
        ptrdiff_t offset[4]; /* pixel p's input is p·stride columns right of pixel 0's */                     \
        for (int p = 0; p < P; p++) offset[p] = p * step;                                                     \
        V acc[4][MAXG];                                                                                       \
        for (int q = 0; q < G; q++) {                                                                         \
            const V b = LOAD(bias + ch + LANES * q);                                                          \
            for (int p = 0; p < P; p++) acc[p][q] = b;                                                        \
        }                                                                                                     \
        const float *in_row = image + ((ptrdiff_t)(iy0 + ky0 * g->dilation_h) * g->in_w + ix0                 \
                                       + kx0 * g->dilation_w) * c + ch;                                       \
        const float *w_at = w + (ptrdiff_t)ky0 * w_row + (ptrdiff_t)kx0 * c + ch;                             \
        for (int ky = ky0; ky < ky1; ky++, in_row += row_step, w_at += w_row) {                               \
            const float *in = in_row, *wk = w_at;                                                             \
            for (int kx = kx0; kx < kx1; kx++, in += tap, wk += c) {                                          \
                for (int q = 0; q < G; q++) {                                                                 \
                    const V wv = LOAD(wk + LANES * q);                                                        \
                    for (int p = 0; p < P; p++) acc[p][q] = acc[p][q] + LOAD(in + offset[p] + LANES * q) * wv; \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
        for (int p = 0; p < P; p++)                                                                           \
            for (int q = 0; q < G; q++) STORE(out + (ptrdiff_t)p * c + ch + LANES * q, CLAMP(acc[p][q], vlo, vhi)); \
    }

/// NAME(kw, S, clip, jlo, jhi, count, g, image, iy0, ix0, ky0, ky1, ch, w, bias, out, vlo, vhi):
/// depthwise, stride S (1 or 2) and no dilation, eight adjacent output pixels × one vector of
/// channels, sliding along the input row. Each window row's KW weights stay in registers, and
/// each of the S·7 + KW input columns is loaded once and added into every output whose window
/// covers it (column j is tap kx = j − S·p of pixel p; visiting kx downwards gives every pixel its
/// taps in order of kx, then ky). Loads per multiply-add fall from 1.25 (the 4-pixel tile) to
/// about 0.4 (S = 1) or 0.5–0.7 (S = 2), so the arithmetic sets the pace.
///
/// `clip` (a compile-time constant) slides across the image's left or right edge: only columns
/// jlo ≤ j < jhi lie inside the image and are read — the others are taps the border skips, as the
/// one-pixel edge kernel skips them, so each pixel's sum is the same — and only the first `count`
/// pixels are stored. One slide covers a 7-pixel row, or the border pixels of a wider one, which
/// otherwise went one at a time.
#define CK_DEFINE_DW_SLIDE(NAME, V, LOAD, STORE, CLAMP)                                                        \
    static inline __attribute__((always_inline))                                                              \
    void NAME(const int kw, const int S, const int clip, int jlo, int jhi, int count, const ck_conv_geometry *g, \
              const float *image, int iy0, int ix0, int ky0, int ky1, int ch, const float *w,                 \
              const float *bias, float *out, V vlo, V vhi) {                                                  \
        enum { P = 8 };                                                                                       \
        const int c = g->channels;                                                                            \
        const ptrdiff_t row_step = (ptrdiff_t)g->dilation_h * g->in_w * c, w_row = (ptrdiff_t)kw * c;         \
        V acc[P];                                                                                             \
        const V b = LOAD(bias + ch);                                                                          \
        for (int p = 0; p < P; p++) acc[p] = b;                                                               \
        /* Offsets from the window row's start (which lies left of the image when clipped). */              \
        const ptrdiff_t row0 = ((ptrdiff_t)(iy0 + ky0 * g->dilation_h) * g->in_w + ix0) * c + ch;             \
        const float *w_at = w + (ptrdiff_t)ky0 * w_row + ch;                                                  \
        ptrdiff_t at = row0;                                                                                  \
        for (int ky = ky0; ky < ky1; ky++, at += row_step, w_at += w_row) {                                   \
            V wv[8];                                                                                          \
            _Pragma("clang loop unroll(full)")                                                                \
            for (int kx = 0; kx < kw; kx++) wv[kx] = LOAD(w_at + (ptrdiff_t)kx * c);                          \
            _Pragma("clang loop unroll(full)")                                                                \
            for (int j = 0; j < S * (P - 1) + kw; j++) {                                                      \
                if (clip && (j < jlo || j >= jhi)) continue;                                                  \
                const V xv = LOAD(image + at + (ptrdiff_t)j * c);                                             \
                _Pragma("clang loop unroll(full)")                                                            \
                for (int kx = kw - 1; kx >= 0; kx--) {                                                        \
                    if ((j - kx) % S != 0) continue;                                                          \
                    const int p = (j - kx) / S;                                                               \
                    if (j - kx >= 0 && p < P) acc[p] = acc[p] + xv * wv[kx];                                  \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
        for (int p = 0; p < P; p++)                                                                           \
            if (!clip || p < count) STORE(out + (ptrdiff_t)p * c + ch, CLAMP(acc[p], vlo, vhi));              \
    }

#endif

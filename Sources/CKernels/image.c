// The ROI crop of hand tracking (Hands/ImageToTensor.swift `crop`): OpenCV's fixed-point
// bilinear warp on an RGB8 image, in C because it runs on every pixel of two crops per frame
// (87 K pixels) and the Swift loop spent a tenth of a tracked frame in it. The arithmetic is the
// Swift reference's (`cropReference`), step for step: the affine map in double with the same
// order of sums, x·32 rounded half to even, 15-bit integer weights, the same rounding shift and
// clamp, then one float multiply by 1/255. Integer and exactly-rounded double operations only, so
// it is the same bits on every CPU (tests compare it with the reference).
#include "ckernels.h"
#include <stdint.h>

#pragma STDC FP_CONTRACT OFF

/// round-half-to-even of v clamped to the int32 range, as Swift's
/// `Int64((v).rounded(.toNearestOrEven).clamped(-2^31, 2^31 − 1))`: clamping to integer bounds
/// and rounding commute, and adding then subtracting 1.5·2^52 rounds a double of magnitude below
/// 2^51 to the nearest integer, ties to even, in the default rounding mode.
static inline int64_t round_even_clamped(double v) {
    if (!(v >= -2147483648.0)) v = -2147483648.0;   // also NaN, which the Swift code never sees
    if (v > 2147483647.0) v = 2147483647.0;
    const double magic = 6755399441055744.0;   // (v + m) − m is not folded: no -ffast-math here
    return (int64_t)((v + magic) - magic);
}

static inline int tap(const uint8_t *src, int width, int height, int border, int yy, int xx, int channel) {
    if (border == CK_BORDER_REPLICATE) {
        const int cy = yy < 0 ? 0 : yy > height - 1 ? height - 1 : yy;
        const int cx = xx < 0 ? 0 : xx > width - 1 ? width - 1 : xx;
        return src[((size_t)cy * width + cx) * 3 + channel];
    }
    if (yy < 0 || yy >= height || xx < 0 || xx >= width) return 0;
    return src[((size_t)yy * width + xx) * 3 + channel];
}

static inline float finish(int64_t acc) {
    int64_t value = (acc + (1 << 14)) >> 15;
    value = value < 0 ? 0 : value > 255 ? 255 : value;
    return (float)value * (1.0f / 255.0f);
}

/// One output pixel (u, v) at source position (x, y): the reference's arithmetic.
static inline __attribute__((always_inline))
void crop_pixel(const uint8_t *src, int width, int height, size_t stride, int border, double x, double y, float *o) {
    const int64_t fx = round_even_clamped(x * 32), fy = round_even_clamped(y * 32);
    const int64_t sx = fx >> 5, sy = fy >> 5, ax = fx & 31, ay = fy & 31;
    const int64_t w00 = (32 - ax) * (32 - ay), w01 = ax * (32 - ay), w10 = (32 - ax) * ay, w11 = ax * ay;
    if (sx >= 0 && sy >= 0 && sx < width - 1 && sy < height - 1) {
        const uint8_t *p = src + (size_t)sy * stride + (size_t)sx * 3, *q = p + stride;
        for (int c = 0; c < 3; c++)
            o[c] = finish((p[c] * w00 + p[c + 3] * w01 + q[c] * w10 + q[c + 3] * w11) * 32);
        return;
    }
    for (int c = 0; c < 3; c++) {
        const int64_t acc = ((int64_t)tap(src, width, height, border, (int)sy, (int)sx, c) * w00
                             + (int64_t)tap(src, width, height, border, (int)sy, (int)sx + 1, c) * w01
                             + (int64_t)tap(src, width, height, border, (int)sy + 1, (int)sx, c) * w10
                             + (int64_t)tap(src, width, height, border, (int)sy + 1, (int)sx + 1, c) * w11) * 32;
        o[c] = finish(acc);
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CK_HAVE_AVX2_CROP 1

/// `round_even_clamped` on four doubles: the same clamp (NaN → −2^31: MAXPD returns its second
/// operand when the first is NaN) and the same magic-number rounding, then the exact conversion.
__attribute__((target("avx2"))) static inline __m128i round_even_clamped4(__m256d v) {
    v = _mm256_max_pd(v, _mm256_set1_pd(-2147483648.0));
    v = _mm256_min_pd(v, _mm256_set1_pd(2147483647.0));
    const __m256d magic = _mm256_set1_pd(6755399441055744.0);
    v = _mm256_sub_pd(_mm256_add_pd(v, magic), magic);
    return _mm256_cvtpd_epi32(v);   // an integer already: exact in any rounding mode
}

/// One output row, eight pixels at a time: the coordinates as the scalar code computes them (the
/// same double operations in the same order), then the four taps of all eight pixels by 32-bit
/// gathers (RGB and one spare byte each) and the weighted sums in 32-bit lanes, which hold them
/// exactly (at most 255·32768). A group with any pixel whose taps leave the image — or whose spare
/// byte would lie past the image's last byte — goes pixel by pixel through `crop_pixel`.
__attribute__((target("avx2")))
static void crop_row_avx2(const uint8_t *src, int width, int height, size_t stride, int border, const double *x_of_u,
                          const double *y_of_u, double xv, double yv, const double m[6], int size, float *o) {
    const __m256d xv4 = _mm256_set1_pd(xv), yv4 = _mm256_set1_pd(yv), m2 = _mm256_set1_pd(m[2]), m5 = _mm256_set1_pd(m[5]);
    const __m256d k32 = _mm256_set1_pd(32.0);
    // The last inside tap positions: sx ≤ W − 2 and sy ≤ H − 2 (the taps take sx + 1 and sy + 1).
    const __m256i zero = _mm256_setzero_si256(), w_edge = _mm256_set1_epi32(width - 2), h_edge = _mm256_set1_epi32(height - 2);
    const __m256i thirty_two = _mm256_set1_epi32(32), low5 = _mm256_set1_epi32(31), byte = _mm256_set1_epi32(255);
    const __m256i three = _mm256_set1_epi32(3), row = _mm256_set1_epi32((int)stride), half = _mm256_set1_epi32(1 << 14);
    const __m256 scale = _mm256_set1_ps(1.0f / 255.0f);
    int u = 0;
    for (; u + 8 <= size; u += 8, o += 24) {
        double xs[8], ys[8];
        __m128i fx_half[2], fy_half[2];
        for (int h = 0; h < 2; h++) {
            const __m256d x = _mm256_add_pd(_mm256_add_pd(_mm256_loadu_pd(x_of_u + u + 4 * h), xv4), m2);
            const __m256d y = _mm256_add_pd(_mm256_add_pd(_mm256_loadu_pd(y_of_u + u + 4 * h), yv4), m5);
            _mm256_storeu_pd(xs + 4 * h, x);
            _mm256_storeu_pd(ys + 4 * h, y);
            fx_half[h] = round_even_clamped4(_mm256_mul_pd(x, k32));
            fy_half[h] = round_even_clamped4(_mm256_mul_pd(y, k32));
        }
        const __m256i fx = _mm256_set_m128i(fx_half[1], fx_half[0]), fy = _mm256_set_m128i(fy_half[1], fy_half[0]);
        const __m256i sx = _mm256_srai_epi32(fx, 5), sy = _mm256_srai_epi32(fy, 5);
        // Inside: 0 ≤ sx < W − 1 and 0 ≤ sy < H − 1, and not the one pixel (W − 2, H − 2) whose
        // last gather's spare byte is one past the image.
        __m256i outside = _mm256_or_si256(_mm256_cmpgt_epi32(zero, sx), _mm256_cmpgt_epi32(zero, sy));
        outside = _mm256_or_si256(outside, _mm256_or_si256(_mm256_cmpgt_epi32(sx, w_edge), _mm256_cmpgt_epi32(sy, h_edge)));
        outside = _mm256_or_si256(outside, _mm256_and_si256(_mm256_cmpeq_epi32(sx, w_edge), _mm256_cmpeq_epi32(sy, h_edge)));
        if (!_mm256_testz_si256(outside, outside)) {
            for (int i = 0; i < 8; i++) crop_pixel(src, width, height, stride, border, xs[i], ys[i], o + 3 * i);
            continue;
        }
        const __m256i ax = _mm256_and_si256(fx, low5), ay = _mm256_and_si256(fy, low5);
        const __m256i bx = _mm256_sub_epi32(thirty_two, ax), by = _mm256_sub_epi32(thirty_two, ay);
        const __m256i w00 = _mm256_mullo_epi32(bx, by), w01 = _mm256_mullo_epi32(ax, by);
        const __m256i w10 = _mm256_mullo_epi32(bx, ay), w11 = _mm256_mullo_epi32(ax, ay);
        const __m256i at = _mm256_add_epi32(_mm256_mullo_epi32(sy, row), _mm256_mullo_epi32(sx, three));
        const int *base = (const int *)(const void *)src;
        const __m256i g00 = _mm256_i32gather_epi32(base, at, 1);
        const __m256i g01 = _mm256_i32gather_epi32(base, _mm256_add_epi32(at, three), 1);
        const __m256i g10 = _mm256_i32gather_epi32(base, _mm256_add_epi32(at, row), 1);
        const __m256i g11 = _mm256_i32gather_epi32(base, _mm256_add_epi32(_mm256_add_epi32(at, row), three), 1);
        float channel[3][8];
        for (int c = 0; c < 3; c++) {
            const __m128i shift = _mm_cvtsi32_si128(8 * c);
            __m256i acc = _mm256_mullo_epi32(_mm256_and_si256(_mm256_srl_epi32(g00, shift), byte), w00);
            acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(_mm256_and_si256(_mm256_srl_epi32(g01, shift), byte), w01));
            acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(_mm256_and_si256(_mm256_srl_epi32(g10, shift), byte), w10));
            acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(_mm256_and_si256(_mm256_srl_epi32(g11, shift), byte), w11));
            acc = _mm256_slli_epi32(acc, 5);   // · 32
            __m256i value = _mm256_srai_epi32(_mm256_add_epi32(acc, half), 15);
            value = _mm256_min_epi32(_mm256_max_epi32(value, zero), byte);
            _mm256_storeu_ps(channel[c], _mm256_mul_ps(_mm256_cvtepi32_ps(value), scale));
        }
        for (int i = 0; i < 8; i++) { o[3 * i] = channel[0][i]; o[3 * i + 1] = channel[1][i]; o[3 * i + 2] = channel[2][i]; }
    }
    for (; u < size; u++, o += 3) crop_pixel(src, width, height, stride, border, x_of_u[u] + xv + m[2], y_of_u[u] + yv + m[5], o);
}
#else
#define CK_HAVE_AVX2_CROP 0
#endif

void ck_affine_crop_rgb8(const uint8_t *src, int width, int height, const double m[6], int size, int border, float *out) {
    if (size <= 0) return;
    double x_of_u[size], y_of_u[size];
    for (int u = 0; u < size; u++) { x_of_u[u] = m[0] * (double)u; y_of_u[u] = m[3] * (double)u; }
    const size_t stride = (size_t)width * 3;
#if CK_HAVE_AVX2_CROP
    // The gathers take 32-bit offsets: images below 2 GB (any video frame). Off when the kernels
    // are held to a lower family (ASLSH_KERNELS=portable): the same bits either way.
    if (ck_active_isa() != CK_ISA_PORTABLE && ck_cpu_has("avx2") && (double)stride * height < 2147483000.0) {
        for (int v = 0; v < size; v++) {
            crop_row_avx2(src, width, height, stride, border, x_of_u, y_of_u, m[1] * (double)v, m[4] * (double)v, m, size,
                          out + (size_t)v * size * 3);
        }
        return;
    }
#endif
    for (int v = 0; v < size; v++) {
        const double xv = m[1] * (double)v, yv = m[4] * (double)v;
        float *o = out + (size_t)v * size * 3;
        for (int u = 0; u < size; u++, o += 3)
            crop_pixel(src, width, height, stride, border, x_of_u[u] + xv + m[2], y_of_u[u] + yv + m[5], o);
    }
}

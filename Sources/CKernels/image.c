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

void ck_affine_crop_rgb8(const uint8_t *src, int width, int height, const double m[6], int size, int border, float *out) {
    if (size <= 0) return;
    double x_of_u[size], y_of_u[size];
    for (int u = 0; u < size; u++) { x_of_u[u] = m[0] * (double)u; y_of_u[u] = m[3] * (double)u; }
    const size_t stride = (size_t)width * 3;
    for (int v = 0; v < size; v++) {
        const double xv = m[1] * (double)v, yv = m[4] * (double)v;
        float *o = out + (size_t)v * size * 3;
        for (int u = 0; u < size; u++, o += 3) {
            const double x = x_of_u[u] + xv + m[2];
            const double y = y_of_u[u] + yv + m[5];
            const int64_t fx = round_even_clamped(x * 32), fy = round_even_clamped(y * 32);
            const int64_t sx = fx >> 5, sy = fy >> 5, ax = fx & 31, ay = fy & 31;
            const int64_t w00 = (32 - ax) * (32 - ay), w01 = ax * (32 - ay), w10 = (32 - ax) * ay, w11 = ax * ay;
            if (sx >= 0 && sy >= 0 && sx < width - 1 && sy < height - 1) {
                const uint8_t *p = src + (size_t)sy * stride + (size_t)sx * 3, *q = p + stride;
                for (int c = 0; c < 3; c++)
                    o[c] = finish((p[c] * w00 + p[c + 3] * w01 + q[c] * w10 + q[c + 3] * w11) * 32);
                continue;
            }
            for (int c = 0; c < 3; c++) {
                const int64_t acc = ((int64_t)tap(src, width, height, border, (int)sy, (int)sx, c) * w00
                                     + (int64_t)tap(src, width, height, border, (int)sy, (int)sx + 1, c) * w01
                                     + (int64_t)tap(src, width, height, border, (int)sy + 1, (int)sx, c) * w10
                                     + (int64_t)tap(src, width, height, border, (int)sy + 1, (int)sx + 1, c) * w11) * 32;
                o[c] = finish(acc);
            }
        }
    }
}

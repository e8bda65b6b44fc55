// e^x, σ(x) and tanh(x) lane-wise, defined once for any lane width: kernels_impl.h instantiates
// them on 8 lanes in each of its copies, gemm_avx512.h on 16. Every lane goes through the same
// operations with the same constants in the same order, so a lane's result has the same bits
// whatever the width (the kernel-path tests compare them).
//
// e^x is Cephes `expf` (S. Moshier, cephes/single/expf.c): x = n·ln2 + r, |r| ≤ ln2/2 (ln2 split
// into 0.693359375 − 2.12194440e-4 so n·C1 is exact), e^r by its degree-7 minimax polynomial,
// 2^n assembled in the exponent bits. Max relative error ≈ 2 ulp on [−87.3, 88.3]; inputs are
// clamped there, so σ and tanh reach their exact limits. round(x·log2 e) comes from the 1.5·2²³
// trick: adding it leaves the rounded integer in the low mantissa bits, which also gives 2^n
// without a float→int conversion. tanh is 1 − 2/(e^{2x} + 1): one exp, saturating at ±1.
#ifndef CK_TRANSCENDENTALS_H
#define CK_TRANSCENDENTALS_H

/// Defines EXP, SIGMOID and TANH on the float vector type V (unsigned lanes U), given its
/// broadcast SPLAT(x) and compare-and-select CLAMP(v, lo, hi).
#define CK_DEFINE_TRANSCENDENTALS(EXP, SIGMOID, TANH, V, U, SPLAT, CLAMP)                  \
    static inline __attribute__((always_inline)) V EXP(V x) {                           \
        x = CLAMP(x, SPLAT(-87.3f), SPLAT(88.3f));                                       \
        const V magic = SPLAT(12582912.0f);                                              \
        const V t = x * SPLAT(1.44269504088896341f) + magic;                             \
        const V n = t - magic;                                                           \
        V r = x - n * SPLAT(0.693359375f);                                               \
        r = r - n * SPLAT(-2.12194440e-4f);                                              \
        V p = SPLAT(1.9875691500e-4f);                                                   \
        p = p * r + SPLAT(1.3981999507e-3f);                                             \
        p = p * r + SPLAT(8.3334519073e-3f);                                             \
        p = p * r + SPLAT(4.1665795894e-2f);                                             \
        p = p * r + SPLAT(1.6666665459e-1f);                                             \
        p = p * r + SPLAT(5.0000001201e-1f);                                             \
        const V er = p * (r * r) + r + SPLAT(1.0f);                                      \
        const U bits = (((U)t) - 0x4B400000u + 127u) << 23;                              \
        return er * (V)bits;                                                             \
    }                                                                                    \
    static inline __attribute__((always_inline)) V SIGMOID(V x) {                       \
        return SPLAT(1.0f) / (SPLAT(1.0f) + EXP(-x));                                    \
    }                                                                                    \
    static inline __attribute__((always_inline)) V TANH(V x) {                          \
        return SPLAT(1.0f) - SPLAT(2.0f) / (EXP(x + x) + SPLAT(1.0f));                   \
    }

#endif

#ifndef ASLSH_CBLAS_H
#define ASLSH_CBLAS_H

#include <stddef.h>

// The part of OpenBLAS's CBLAS interface aslsh calls, declared here with the standard CBLAS ABI
// (32-bit integers, the enum values of the reference cblas.h). Each one is defined in
// blas_loader.c and forwards to libopenblas.so.0, which is dlopen'd on the first call: the shell
// starts without OpenBLAS, libgfortran and OpenBLAS's threads, and the kernel OpenBLAS picks is
// decided at run time on the CPU at hand (see aslsh_blas_core_note).

typedef enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 } CBLAS_ORDER;
typedef enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 } CBLAS_TRANSPOSE;

void cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE transA, const enum CBLAS_TRANSPOSE transB,
                 const int m, const int n, const int k, const float alpha, const float *a, const int lda,
                 const float *b, const int ldb, const float beta, float *c, const int ldc);
void cblas_sgemv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans, const int m, const int n,
                 const float alpha, const float *a, const int lda, const float *x, const int incx,
                 const float beta, float *y, const int incy);
float cblas_sdot(const int n, const float *x, const int incx, const float *y, const int incy);

/// Threads OpenBLAS uses for one call, and setting it (OpenBLAS starts more threads if needed).
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);
/// The kernel family OpenBLAS runs, e.g. "Haswell", "SkylakeX", "Sandybridge".
char *openblas_get_corename(void);

/// Empty, or why an `OPENBLAS_CORETYPE` from the environment was not passed on to OpenBLAS:
/// e.g. "OPENBLAS_CORETYPE=Haswell ignored: this CPU lacks avx2". Valid once OpenBLAS is loaded.
const char *aslsh_blas_core_note(void);

/// Loads OpenBLAS now unless loaded: 0, or −1 with "matrix products need OpenBLAS
/// (libopenblas.so.0), which could not be loaded: REASON. On Debian or Ubuntu: apt install
/// libopenblas0" in `message`. Callers that can report an error call it first: a BLAS function
/// called without it, on a broken installation, prints that message and stops the process.
int aslsh_blas_load(char *message, size_t size);

#endif

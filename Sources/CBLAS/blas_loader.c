// OpenBLAS, loaded on the first BLAS call rather than at start-up (LazyLibrary), for two reasons:
//
// 1. Start-up: libopenblas brings libgfortran and libquadmath, and its constructor detects the CPU
//    and starts a thread per core. A shell command that never multiplies a matrix pays none of it.
// 2. Portability: OpenBLAS reads OPENBLAS_CORETYPE once, in that constructor, and trusts it: a
//    core the CPU cannot run (an image that sets OPENBLAS_CORETYPE=Haswell, run on an AVX-only
//    machine) dies with SIGILL on the first product. Loading late lets aslsh check the request
//    against CPUID first and, when the CPU cannot run it, let OpenBLAS detect the CPU instead.
//
// The thread count is set the same way: unless the user set OpenBLAS's own variables, OpenBLAS
// starts with ASLSH_BLAS_THREADS threads (default 1: aslsh parallelises at a coarser grain), so
// no idle pool is started. Both variables are put back as they were once OpenBLAS has read them,
// so programs aslsh starts (yt-dlp, Python peers) see the user's environment unchanged.
#include "aslsh_cblas.h"
#include "ckernels.h"
#include "lazy_library.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void before_open(void);
static void after_open(void);

static AslshLazyLibrary openblas = {
    "libopenblas.so.0", "matrix products need OpenBLAS (libopenblas.so.0)", "libopenblas0", NULL,
    before_open, after_open,
};

// What each OpenBLAS kernel family needs beyond baseline x86-64, from the instruction sets its
// kernels use (OpenBLAS driver/others/dynamic.c: the same tests OpenBLAS makes when it detects
// the CPU itself). Cores not listed (Nehalem, Core2, Opteron, ...) need only SSE and run anywhere.
static const struct { const char *core; const char *needs[3]; } requirements[] = {
    {"sandybridge", {"avx"}},
    {"bulldozer", {"fma4"}},
    {"piledriver", {"fma"}},
    {"steamroller", {"fma"}},
    {"excavator", {"avx2", "fma"}},
    {"haswell", {"avx2", "fma"}},
    {"zen", {"avx2", "fma"}},
    {"skylakex", {"avx2", "fma", "avx512"}},
    {"cooperlake", {"avx2", "avx512", "avx512bf16"}},
    {"sapphirerapids", {"avx2", "avx512", "avx512bf16"}},
};

/// The first feature `core` needs that this CPU lacks, or NULL when it can run it (or the name
/// is not one we know: OpenBLAS then reports it and detects the CPU itself).
static const char *missing_feature(const char *core) {
    for (size_t i = 0; i < sizeof requirements / sizeof requirements[0]; i++) {
        if (strcasecmp(core, requirements[i].core) != 0) continue;
        for (int j = 0; j < 3 && requirements[i].needs[j]; j++)
            if (!ck_cpu_has(requirements[i].needs[j])) return requirements[i].needs[j];
        return NULL;
    }
    return NULL;
}

static char note[160];
static char *saved_core;          // the user's OPENBLAS_CORETYPE, while it is hidden from OpenBLAS
static int set_threads;           // whether before_open set OPENBLAS_NUM_THREADS

static void before_open(void) {
    const char *core = getenv("OPENBLAS_CORETYPE");
    const char *missing = core && *core ? missing_feature(core) : NULL;
    if (missing) {
        snprintf(note, sizeof note, "OPENBLAS_CORETYPE=%s ignored: this CPU lacks %s", core, missing);
        saved_core = strdup(core);
        unsetenv("OPENBLAS_CORETYPE");
    }
    if (!getenv("OPENBLAS_NUM_THREADS") && !getenv("GOTO_NUM_THREADS") && !getenv("OMP_NUM_THREADS")) {
        const char *requested = getenv("ASLSH_BLAS_THREADS");
        char count[16];
        snprintf(count, sizeof count, "%d", requested && atoi(requested) > 0 ? atoi(requested) : 1);
        setenv("OPENBLAS_NUM_THREADS", count, 1);
        set_threads = 1;
    }
}

static void after_open(void) {
    if (saved_core) {
        setenv("OPENBLAS_CORETYPE", saved_core, 1);
        free(saved_core);
        saved_core = NULL;
    }
    if (set_threads) unsetenv("OPENBLAS_NUM_THREADS");
    set_threads = 0;
}

const char *aslsh_blas_core_note(void) { return note; }

int aslsh_blas_load(char *message, size_t size) { return aslsh_lazy_open(&openblas, message, size); }

// Hidden: OpenBLAS's own calls between its functions never bind to these.
#define FORWARD(RET, NAME, PARAMS, ARGS) LAZY_FORWARD("hidden", &openblas, RET, NAME, PARAMS, ARGS)
#define FORWARD_VOID(NAME, PARAMS, ARGS) LAZY_FORWARD_VOID("hidden", &openblas, NAME, PARAMS, ARGS)

FORWARD_VOID(cblas_sgemm,
             (const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE transA, const enum CBLAS_TRANSPOSE transB,
              const int m, const int n, const int k, const float alpha, const float *a, const int lda,
              const float *b, const int ldb, const float beta, float *c, const int ldc),
             (order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
FORWARD_VOID(cblas_sgemv,
             (const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans, const int m, const int n,
              const float alpha, const float *a, const int lda, const float *x, const int incx,
              const float beta, float *y, const int incy),
             (order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy))
FORWARD(float, cblas_sdot, (const int n, const float *x, const int incx, const float *y, const int incy),
        (n, x, incx, y, incy))
FORWARD(int, openblas_get_num_threads, (void), ())
FORWARD_VOID(openblas_set_num_threads, (int num_threads), (num_threads))
FORWARD(char *, openblas_get_corename, (void), ())

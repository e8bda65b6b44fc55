// One process-wide pool of worker threads for the kernels (see ck_parallel in ckernels.h).
//
// A job is published by bumping `generation` twice (odd while it is written). Workers spin on it
// for a while after each job (a model runs ~100 operators back to back, microseconds apart) and
// otherwise sleep on a condition variable. Tasks are claimed from `next_task`, whose high half is
// the job's generation, so a worker that wakes late can never claim a task of a newer job. The
// caller works too and returns once `done` reaches the task count: it never waits for a worker
// that has not started (it does the work itself), only for a task a worker has begun.
#include "ckernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

enum { CK_MAX_WORKERS = 63, CK_SPIN = 20000, CK_SPIN_BEFORE_YIELD = 2000 };

typedef struct {
    void (*fn)(void *, int);
    void *ctx;
    int tasks, participants;   // workers with index < participants take part
} ck_job;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;   // held by the caller of a job
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static ck_job job;
static atomic_uint generation = 0;
static _Atomic uint64_t next_task = 0;   // (generation << 32) | next task index
static atomic_int done = 0, sleepers = 0, worker_count = 0;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/// Claims and runs tasks of the job of generation `gen` until none is left.
static void run_tasks(const ck_job *j, unsigned gen) {
    uint64_t v = atomic_load_explicit(&next_task, memory_order_relaxed);
    for (;;) {
        if ((unsigned)(v >> 32) != gen || (int)(uint32_t)v >= j->tasks) return;
        if (atomic_compare_exchange_weak_explicit(&next_task, &v, v + 1, memory_order_acq_rel, memory_order_relaxed)) {
            j->fn(j->ctx, (int)(uint32_t)v);
            atomic_fetch_add_explicit(&done, 1, memory_order_release);
            v = atomic_load_explicit(&next_task, memory_order_relaxed);
        }
    }
}

static void *worker_main(void *arg) {
    // The generation when the worker was made (before the job it was made for is published).
    const int index = (int)((uintptr_t)arg & 63u);
    unsigned seen = (unsigned)((uintptr_t)arg >> 6);
    for (;;) {
        for (int i = 0; i < CK_SPIN && atomic_load(&generation) == seen; i++) cpu_relax();
        if (atomic_load(&generation) == seen) {
            pthread_mutex_lock(&sleep_lock);
            atomic_fetch_add(&sleepers, 1);
            while (atomic_load(&generation) == seen) pthread_cond_wait(&wake, &sleep_lock);
            atomic_fetch_sub(&sleepers, 1);
            pthread_mutex_unlock(&sleep_lock);
        }
        // A seqlock read: if `generation` moved while we copied, the copy may be torn; go round
        // again for the newer job (the old one's tasks can no longer be claimed anyway).
        unsigned g1;
        while ((g1 = atomic_load(&generation)) & 1u) cpu_relax();
        const ck_job j = job;
        if (atomic_load(&generation) != g1) continue;
        seen = g1;
        if (index < j.participants) run_tasks(&j, g1);
    }
    return NULL;
}

/// Starts workers up to `wanted` (under pool_lock). Returns how many exist.
static int ensure_workers(int wanted) {
    if (wanted > CK_MAX_WORKERS) wanted = CK_MAX_WORKERS;
    int have = atomic_load(&worker_count);
    while (have < wanted) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        const int failed = pthread_create(&thread, &attr, worker_main,
                                          (void *)(((uintptr_t)atomic_load(&generation) << 6) | (uintptr_t)have));
        pthread_attr_destroy(&attr);
        if (failed) break;   // fewer threads, same results
        have++;
        atomic_store(&worker_count, have);
    }
    return have;
}

void ck_parallel(int tasks, void (*fn)(void *ctx, int task), void *ctx, int threads) {
    if (tasks <= 0) return;
    if (threads <= 1 || tasks == 1 || pthread_mutex_trylock(&pool_lock) != 0) {
        for (int t = 0; t < tasks; t++) fn(ctx, t);
        return;
    }
    int helpers = threads - 1 < tasks - 1 ? threads - 1 : tasks - 1;
    const int have = ensure_workers(helpers);
    if (have < helpers) helpers = have;
    atomic_fetch_add(&generation, 1);   // odd: writing
    const unsigned gen = atomic_load(&generation) + 1;
    job = (ck_job){fn, ctx, tasks, helpers};
    atomic_store(&done, 0);
    atomic_store(&next_task, (uint64_t)gen << 32);
    atomic_fetch_add(&generation, 1);   // even again: published
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&sleep_lock);
    }
    run_tasks(&job, gen);
    // Only tasks a worker has claimed can be outstanding; on a busy machine give it the CPU.
    for (int i = 0; atomic_load_explicit(&done, memory_order_acquire) < tasks; i++) {
        if (i < CK_SPIN_BEFORE_YIELD) cpu_relax(); else sched_yield();
    }
    pthread_mutex_unlock(&pool_lock);
}

// --- Parallel kernels -----------------------------------------------------------------------------

/// A GEMM cut into tiles: `row_tasks` shares of its 6-row blocks × `panel_tasks` shares of its
/// 16-column panels, with the optional residual (+ PReLU) epilogue applied to each tile right
/// after its product.
typedef struct {
    int m, n, k, lda, ldc, ldr, accumulate;
    const float *a, *packed, *bias, *residual, *alpha;
    float *c;
    float lo, hi;
    int row_blocks, row_tasks, panels, panel_tasks;
} ck_gemm_job;

/// Share `i` of `count` items cut into `shares` parts: [begin, end) with sizes differing by at
/// most one, so that equal numbers of tasks are equal work (7 tasks of 6 panels and one of 0 left
/// one thread of two idle for a seventh of the product).
static inline int share_begin(int i, int count, int shares) { return (int)((long long)i * count / shares); }

static void gemm_task(void *ctx, int t) {
    const ck_gemm_job *j = ctx;
    const int r = t / j->panel_tasks, p = t % j->panel_tasks;
    const int i0 = share_begin(r, j->row_blocks, j->row_tasks) * 6;
    int i1 = share_begin(r + 1, j->row_blocks, j->row_tasks) * 6;
    if (i1 > j->m) i1 = j->m;
    const int p0 = share_begin(p, j->panels, j->panel_tasks), p1 = share_begin(p + 1, j->panels, j->panel_tasks);
    const int j0 = p0 * CK_PANEL;
    const int cols = (p1 * CK_PANEL < j->n ? p1 * CK_PANEL : j->n) - j0;
    const int rows = i1 - i0;
    if (rows <= 0 || cols <= 0) return;
    float *c = j->c + (size_t)i0 * j->ldc + j0;
    ck_gemm(rows, cols, j->k, j->a + (size_t)i0 * j->lda, j->lda, j->packed + (size_t)p0 * CK_PANEL * j->k,
            c, j->ldc, j->bias ? j->bias + j0 : NULL, j->lo, j->hi, j->accumulate);
    if (j->residual)
        ck_residual(rows, cols, c, j->ldc, j->residual + (size_t)i0 * j->ldr + j0, j->ldr, j->alpha ? j->alpha + j0 : NULL);
}

/// How many shares to cut `units` blocks or panels into: at most `want`; when the shares are only
/// a few units each, a multiple of the thread count whose shares are all equal is preferred (12
/// panels on 2 threads: 6 tasks of 2, not 8 tasks of 1 or 2, which left one thread a panel more):
/// the fewest idle slots, then the most tasks. Many units a share: `want` (one unit more or less
/// is noise there, and more tasks balance a slow thread better).
static int balanced_shares(int units, int want, int threads) {
    if (units <= want) return units;
    if (units >= 4 * want) return want;
    int best = want, best_idle = (units + want - 1) / want * want - units;
    for (int t = want - 1; t >= threads && best_idle > 0; t--) {
        if (t % threads != 0) continue;
        const int idle = (units + t - 1) / t * t - units;
        if (idle < best_idle) { best = t; best_idle = idle; }
    }
    return best;
}

/// Cuts [m, n] into about four tasks per thread (a late thread is not waited for long), a
/// multiple of the thread count where the shape allows, each within one block or panel of the
/// others. A task re-reads all of A's rows it covers and all of B's panels it covers, so a wide
/// product (more columns than rows: 49 × 1152 in the landmark model, whose packed B is ~1 MB) is
/// cut along the panels and a tall one along the rows, in whole 6-row blocks (the widest
/// register block) and at most `max_rows` rows per task.
static void plan_tiles(ck_gemm_job *j, int threads, int max_rows) {
    const int want = threads > 1 ? 4 * threads : 1;
    j->row_blocks = (j->m + 5) / 6;
    j->panels = (j->n + CK_PANEL - 1) / CK_PANEL;
    const int max_blocks = max_rows / 6 > 0 ? max_rows / 6 : 1;
    const int least_row_tasks = (j->row_blocks + max_blocks - 1) / max_blocks;
    int row_tasks, panel_tasks;
    if (j->n > j->m) {
        panel_tasks = balanced_shares(j->panels, want, threads);
        row_tasks = least_row_tasks;
    } else {
        row_tasks = balanced_shares(j->row_blocks, want, threads);
        if (row_tasks < least_row_tasks) {
            // More tasks than asked for (the residual's cache bound): round up to a multiple of
            // the threads, so the last round of tasks is not one thread's alone.
            row_tasks = (least_row_tasks + threads - 1) / threads * threads;
            if (row_tasks > j->row_blocks) row_tasks = j->row_blocks;
        }
        panel_tasks = row_tasks < want ? (want + row_tasks - 1) / row_tasks : 1;
        if (panel_tasks > j->panels) panel_tasks = j->panels;
    }
    j->row_tasks = row_tasks;
    j->panel_tasks = panel_tasks;
}

static int tile_count(const ck_gemm_job *j) { return j->row_tasks * j->panel_tasks; }

void ck_gemm_threads(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc,
                     const float *bias, float lo, float hi, int accumulate, int threads) {
    if (m <= 0 || n <= 0) return;
    // Below ~64k multiply-adds a second thread costs more than it saves.
    if (threads <= 1 || (double)m * n * k < 65536.0) {
        ck_gemm(m, n, k, a, lda, packed, c, ldc, bias, lo, hi, accumulate);
        return;
    }
    ck_gemm_job j = {m, n, k, lda, ldc, 0, accumulate, a, packed, bias, NULL, NULL, c, lo, hi, 0, 0, 0, 0};
    plan_tiles(&j, threads, m);
    ck_parallel(tile_count(&j), gemm_task, &j, threads);
}

void ck_gemm_residual_threads(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc,
                              const float *bias, float lo, float hi, const float *residual, int ldr,
                              const float *alpha, int threads) {
    if (m <= 0 || n <= 0) return;
    if ((double)m * n * k < 65536.0) threads = 1;
    // Tiles of at most about 16 K floats of C (64 KB, still in L2 when the epilogue reads them back).
    ck_gemm_job j = {m, n, k, lda, ldc, ldr, 0, a, packed, bias, residual, alpha, c, lo, hi, 0, 0, 0, 0};
    plan_tiles(&j, threads, 16384 / n);
    ck_parallel(tile_count(&j), gemm_task, &j, threads);
}

typedef struct {
    const ck_conv_geometry *g;
    const float *x, *w, *bias;
    float *y;
    float lo, hi;
    int rows, tasks;
} ck_dw_job;

static void depthwise_task(void *ctx, int t) {
    const ck_dw_job *j = ctx;
    const int r0 = share_begin(t, j->rows, j->tasks), r1 = share_begin(t + 1, j->rows, j->tasks);
    if (r0 < r1) ck_depthwise_conv(j->g, r0, r1, j->x, j->w, j->bias, j->y, j->lo, j->hi);
}

void ck_depthwise_conv_threads(const ck_conv_geometry *g, int rows, const float *x, const float *w,
                               const float *bias, float *y, float lo, float hi, int threads) {
    const double work = (double)rows * g->out_w * g->channels * g->k_h * g->k_w;
    if (threads <= 1 || rows < 2 || work < 65536.0) {
        ck_depthwise_conv(g, 0, rows, x, w, bias, y, lo, hi);
        return;
    }
    // Output rows in about four shares per thread, a multiple of the threads when there are
    // enough rows (a 7-row map is 7 tasks either way).
    const int want = 4 * threads, tasks = rows < want ? rows : want;
    ck_dw_job j = {g, x, w, bias, y, lo, hi, rows, tasks};
    ck_parallel(tasks, depthwise_task, &j, threads);
}

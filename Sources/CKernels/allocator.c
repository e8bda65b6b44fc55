// The C allocator's policy for freed blocks (ck_keep_freed_memory in ckernels.h), set once by
// the executables: kept in the heap for the next batch rather than unmapped and faulted in again.
#include "ckernels.h"
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void ck_keep_freed_memory(long mmap_max, long keep) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, (int)mmap_max);
    mallopt(M_TRIM_THRESHOLD, (int)keep);
#else
    (void)mmap_max; (void)keep;
#endif
}

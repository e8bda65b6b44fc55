// OpenBLAS: CBLAS interface plus the thread-count controls (openblas_set_num_threads).
// Debian puts cblas.h under the variant directory that pkg-config names (openblas-pthread).
#include <cblas.h>

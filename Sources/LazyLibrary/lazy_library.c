#include "lazy_library.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/// Called with `lock` held.
static int open_locked(AslshLazyLibrary *library, char *message, size_t size) {
    if (library->handle) return 0;
    if (library->before_open) library->before_open();
    library->handle = dlopen(library->soname, RTLD_NOW | RTLD_LOCAL);
    if (library->after_open) library->after_open();
    if (library->handle) return 0;
    const char *reason = dlerror();
    if (message && size > 0) {
        snprintf(message, size, "%s, which could not be loaded: %s. On Debian or Ubuntu: apt install %s",
                 library->purpose, reason ? reason : "unknown reason", library->package);
    }
    return -1;
}

int aslsh_lazy_open(AslshLazyLibrary *library, char *message, size_t size) {
    pthread_mutex_lock(&lock);
    int status = open_locked(library, message, size);
    pthread_mutex_unlock(&lock);
    return status;
}

void *aslsh_lazy_resolve(AslshLazyLibrary *library, const char *name) {
    char failure[512];
    int status = aslsh_lazy_open(library, failure, sizeof failure);
    void *symbol = status == 0 ? dlsym(library->handle, name) : NULL;
    if (!symbol) {
        fprintf(stderr, "aslsh: %s\n", status == 0 ? dlerror() : failure);
        abort();
    }
    return symbol;
}

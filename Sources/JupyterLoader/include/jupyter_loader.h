#ifndef ASLSH_JUPYTER_LOADER_H
#define ASLSH_JUPYTER_LOADER_H

#include <stddef.h>

/// Loads libzmq and libcrypto the first time a Jupyter kernel starts, not when aslsh starts:
/// libzmq pulls in ~18 shared libraries (libsodium, libpgm, Kerberos…) that every other use of
/// aslsh should not pay for at start-up.
/// Returns 0, or -1 with a message naming the missing library and its Debian package in `message`.
/// Thread-safe; later calls return the first outcome at once.
int aslsh_jupyter_load(char *message, size_t size);

#endif

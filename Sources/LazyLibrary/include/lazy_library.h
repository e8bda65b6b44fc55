#ifndef ASLSH_LAZY_LIBRARY_H
#define ASLSH_LAZY_LIBRARY_H

#include <stddef.h>

/// A shared library aslsh loads on first use rather than at start-up (FFmpeg for video; ZeroMQ
/// and libcrypto for the Jupyter kernel), so that the shell starts without them and a missing
/// one fails only the feature that needs it, naming the library and its Debian package.
typedef struct {
    /// The soname the headers were built against, e.g. "libzmq.so.5".
    const char *soname;
    /// What fails without it, e.g. "the Jupyter kernel needs libzmq (libzmq.so.5)".
    const char *purpose;
    /// The Debian package that ships it, e.g. "libzmq5".
    const char *package;
    void *handle;
    /// Optional, called with the library's lock held just before and just after the one dlopen
    /// (whether or not it succeeded): for libraries that read the environment while they load
    /// (OpenBLAS reads its kernel and thread count in its constructor).
    void (*before_open)(void);
    void (*after_open)(void);
} AslshLazyLibrary;

/// Opens `library` unless open (thread-safe). Returns 0, or -1 with the reason in `message`:
/// "PURPOSE, which could not be loaded: REASON. On Debian or Ubuntu: apt install PACKAGE".
int aslsh_lazy_open(AslshLazyLibrary *library, char *message, size_t size);

/// The real function `name` from `library`, opening it if needed. A failure here is a broken
/// installation (a library of another version): it is reported and the process stops, as the
/// dynamic loader would have at start-up.
void *aslsh_lazy_resolve(AslshLazyLibrary *library, const char *name);

// LAZY_FORWARD(visibility, library pointer, return type, name, (parameters), (arguments)):
// defines `name` to forward to the real function, resolved once on the first call (a race
// between two first calls stores the same value twice).
#define LAZY_FORWARD(VISIBILITY, LIB, RET, NAME, PARAMS, ARGS)                            \
    __attribute__((visibility(VISIBILITY))) RET NAME PARAMS {                            \
        static RET(*volatile real) PARAMS;                                                \
        if (!real) real = (RET(*) PARAMS)aslsh_lazy_resolve(LIB, #NAME);                    \
        return real ARGS;                                                                 \
    }
#define LAZY_FORWARD_VOID(VISIBILITY, LIB, NAME, PARAMS, ARGS)                            \
    __attribute__((visibility(VISIBILITY))) void NAME PARAMS {                           \
        static void(*volatile real) PARAMS;                                               \
        if (!real) real = (void(*) PARAMS)aslsh_lazy_resolve(LIB, #NAME);                   \
        real ARGS;                                                                        \
    }

#endif

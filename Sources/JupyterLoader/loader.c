// Every libzmq and libcrypto function the kernel calls, defined here under its own name: each
// forwards to the real function, looked up with dlsym in the library dlopen'd on first use (the
// pattern of FFmpegLoader). Swift calls them through CZMQ's and COpenSSL's headers; the compiler
// checks each prototype against them.
#include "jupyter_loader.h"
#include "lazy_library.h"

#include <zmq.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

enum { ZMQ, CRYPTO, LIBRARY_COUNT };
static AslshLazyLibrary libraries[LIBRARY_COUNT] = {
    {"libzmq.so.5", "the Jupyter kernel needs ZeroMQ (libzmq.so.5)", "libzmq5", NULL},
    {"libcrypto.so.3", "the Jupyter kernel needs OpenSSL's libcrypto (libcrypto.so.3)", "libssl3", NULL},
};

int aslsh_jupyter_load(char *message, size_t size) {
    int status = aslsh_lazy_open(&libraries[ZMQ], message, size);
    if (status == 0) status = aslsh_lazy_open(&libraries[CRYPTO], message, size);
    return status;
}

// zmq.h declares its functions with default visibility, so those stay visible (harmless: each
// resolves the real one with dlsym on libzmq's own handle); libcrypto's are hidden.
#define VISIBILITY_ZMQ "default"
#define VISIBILITY_CRYPTO "hidden"
#define FORWARD(LIB, RET, NAME, PARAMS, ARGS) LAZY_FORWARD(VISIBILITY_##LIB, &libraries[LIB], RET, NAME, PARAMS, ARGS)

// libzmq
FORWARD(ZMQ, void *, zmq_ctx_new, (void), ())
FORWARD(ZMQ, int, zmq_ctx_term, (void *context), (context))
FORWARD(ZMQ, void *, zmq_socket, (void *context, int type), (context, type))
FORWARD(ZMQ, int, zmq_close, (void *s), (s))
FORWARD(ZMQ, int, zmq_bind, (void *s, const char *addr), (s, addr))
FORWARD(ZMQ, int, zmq_setsockopt, (void *s, int option, const void *optval, size_t optvallen), (s, option, optval, optvallen))
FORWARD(ZMQ, int, zmq_getsockopt, (void *s, int option, void *optval, size_t *optvallen), (s, option, optval, optvallen))
FORWARD(ZMQ, int, zmq_send, (void *s, const void *buf, size_t len, int flags), (s, buf, len, flags))
FORWARD(ZMQ, int, zmq_msg_init, (zmq_msg_t *msg), (msg))
FORWARD(ZMQ, int, zmq_msg_recv, (zmq_msg_t *msg, void *s, int flags), (msg, s, flags))
FORWARD(ZMQ, int, zmq_msg_close, (zmq_msg_t *msg), (msg))
FORWARD(ZMQ, void *, zmq_msg_data, (zmq_msg_t *msg), (msg))
FORWARD(ZMQ, size_t, zmq_msg_size, (const zmq_msg_t *msg), (msg))
FORWARD(ZMQ, int, zmq_msg_more, (const zmq_msg_t *msg), (msg))
FORWARD(ZMQ, int, zmq_poll, (zmq_pollitem_t *items, int nitems, long timeout), (items, nitems, timeout))
FORWARD(ZMQ, int, zmq_errno, (void), ())
FORWARD(ZMQ, const char *, zmq_strerror, (int errnum), (errnum))

// libcrypto
FORWARD(CRYPTO, const EVP_MD *, EVP_sha256, (void), ())
FORWARD(CRYPTO, unsigned char *, HMAC,
        (const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *data, size_t data_len,
         unsigned char *md, unsigned int *md_len),
        (evp_md, key, key_len, data, data_len, md, md_len))
FORWARD(CRYPTO, int, CRYPTO_memcmp, (const void *a, const void *b, size_t len), (a, b, len))

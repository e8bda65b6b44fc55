// OpenSSL's libcrypto: HMAC-SHA256 for signing Jupyter messages. Headers only.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

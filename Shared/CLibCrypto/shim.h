// OpenSSL's SHA-256 (libcrypto, from Debian's libssl-dev, which librdkafka-dev already pulls in). The low-level
// calls, deprecated in OpenSSL 3 but kept: the one-shot `SHA256()` looks the algorithm up anew on every call.
#ifndef KAKUSA_CLIBCRYPTO_SHIM_H
#define KAKUSA_CLIBCRYPTO_SHIM_H
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#endif

// OpenSSL's SHA-256 (libcrypto, from Debian's libssl-dev, which scripts/lib/setup.sh installs; at run time libssl3,
// which librdkafka1 depends on). The low-level calls, deprecated in OpenSSL 3 but kept: the one-shot `SHA256()`
// looks the algorithm up anew on every call (slower than swift-crypto, measured).
#ifndef KAKUSA_CLIBCRYPTO_SHIM_H
#define KAKUSA_CLIBCRYPTO_SHIM_H
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
// HMAC-SHA-256 and PBKDF2 for the devbroker's SCRAM-SHA-256.
#include <openssl/hmac.h>
#include <openssl/evp.h>
#endif

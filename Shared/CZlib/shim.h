// zlib (Debian's zlib1g-dev, which librdkafka-dev already depends on) for the devbroker's compactor, which must
// decompress and recompress gzip record batches to drop superseded records from them.
#ifndef KAKUSA_CZLIB_SHIM_H
#define KAKUSA_CZLIB_SHIM_H
#include <zlib.h>
#endif

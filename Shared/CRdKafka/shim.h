// librdkafka's client API, as Debian's librdkafka-dev 2.0.2 ships it.
#ifndef KAKUSA_CRDKAFKA_SHIM_H
#define KAKUSA_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#endif

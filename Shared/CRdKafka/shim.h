// librdkafka's client and mock-cluster APIs, as Debian's librdkafka-dev 2.0.2 ships them.
#ifndef KAKUSA_CRDKAFKA_SHIM_H
#define KAKUSA_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif

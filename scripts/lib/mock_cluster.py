"""Hosts librdkafka's mock cluster for the benchmarks that compare the devbroker with it (scripts/bench-devbroker).

    python3 scripts/lib/mock_cluster.py [--brokers N] [--topic NAME:PARTITIONS ...] [--lib PATH]

The mock lives inside a client: a producer handle created with `test.mock.num.brokers` starts it on loopback in
this process, served by librdkafka's own threads. By default the handle comes from the system's librdkafka
(Debian's 2.0.2, the library Kakusa and kcat link, and the mock the devbroker hosted until it got a broker of its
own), through ctypes: confluent-kafka's Python API cannot create a topic on the mock (the mock does not answer
CreateTopics and auto-creates 4 partitions), rd_kafka_mock_topic_create can. As the old devbroker did, TCP_NODELAY
is set on the mock's listening sockets (the mock leaves Nagle on: a ~40 ms delayed-ACK stall in most transactions).

Prints the bootstrap list as its first line, like the devbroker, then keeps the mock alive until stdin is closed or
SIGTERM / SIGINT arrives. No mock code lives in Kakusa's Swift sources: this script is the benchmarks' only host.
"""
import argparse
import ctypes
import os
import signal
import socket
import sys
import threading


def disable_nagle(ports: set[int]) -> int:
    """TCP_NODELAY on this process's listening sockets on `ports` (accepted connections inherit it on Linux)."""
    done = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            s = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
        try:
            if s.family == socket.AF_INET and s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) \
                    and s.getsockname()[1] in ports:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                done += 1
        except OSError:
            pass
        finally:
            s.close()
    return done


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--brokers", type=int, default=1)
    parser.add_argument("--topic", action="append", default=[], help="NAME:PARTITIONS (repeatable)")
    parser.add_argument("--lib", default="librdkafka.so.1")
    parser.add_argument("--nagle", action="store_true", help="leave Nagle's algorithm on, as the mock does")
    args = parser.parse_args()

    rk = ctypes.CDLL(args.lib)
    rk.rd_kafka_version_str.restype = ctypes.c_char_p
    rk.rd_kafka_conf_new.restype = ctypes.c_void_p
    rk.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
    rk.rd_kafka_new.restype = ctypes.c_void_p
    rk.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    rk.rd_kafka_handle_mock_cluster.restype = ctypes.c_void_p
    rk.rd_kafka_handle_mock_cluster.argtypes = [ctypes.c_void_p]
    rk.rd_kafka_mock_cluster_bootstraps.restype = ctypes.c_char_p
    rk.rd_kafka_mock_cluster_bootstraps.argtypes = [ctypes.c_void_p]
    rk.rd_kafka_mock_topic_create.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
    rk.rd_kafka_destroy.argtypes = [ctypes.c_void_p]

    err = ctypes.create_string_buffer(512)
    conf = rk.rd_kafka_conf_new()
    for key, value in (("test.mock.num.brokers", str(args.brokers)), ("log.connection.close", "false"),
                       ("log_level", "3")):
        if rk.rd_kafka_conf_set(conf, key.encode(), value.encode(), err, len(err)) != 0:
            print(f"mock cluster: {key}: {err.value.decode()}", file=sys.stderr)
            return 1
    handle = rk.rd_kafka_new(0, conf, err, len(err))  # RD_KAFKA_PRODUCER
    if not handle:
        print(f"mock cluster: {err.value.decode()}", file=sys.stderr)
        return 1
    cluster = rk.rd_kafka_handle_mock_cluster(handle)
    bootstrap = rk.rd_kafka_mock_cluster_bootstraps(cluster).decode()
    for spec in args.topic:
        name, _, count = spec.partition(":")
        code = rk.rd_kafka_mock_topic_create(cluster, name.encode(), int(count or 1), 1)
        if code != 0:
            print(f"mock cluster: creating {spec}: error {code}", file=sys.stderr)
            return 1
    ports = {int(b.rsplit(":", 1)[1]) for b in bootstrap.split(",")}
    nodelay = 0 if args.nagle else disable_nagle(ports)

    print(bootstrap, flush=True)
    print(f"mock cluster: librdkafka {rk.rd_kafka_version_str().decode()} ({args.lib}), {args.brokers} broker(s) "
          f"on {bootstrap}, TCP_NODELAY on {nodelay} listening socket(s), topics {args.topic}",
          file=sys.stderr, flush=True)

    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    while not done.wait(0.5):
        pass
    rk.rd_kafka_destroy(handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())

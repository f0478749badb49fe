# Shared by scripts/*: installs what Kakusa needs when it is missing. Source it; it defines functions only.

# Debian packages: librdkafka (headers, pkg-config file), jemalloc (the ingester's and the aggregator's allocator),
# OpenSSL's libcrypto (record ids' SHA-256), kcat,
# docker-compose (to check compose.yaml).
kakusa_install_system_packages() {
    local missing=()
    for pkg in librdkafka-dev libjemalloc-dev libssl-dev kafkacat pkg-config docker-compose python3-venv time; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing: ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# A Python venv in .venv with confluent-kafka (a current librdkafka), aiokafka (an independent Kafka client) and
# jsonschema, for the outside-consumer, devbroker conformance and schema tests.
kakusa_install_python() {
    if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import confluent_kafka, aiokafka, jsonschema' 2>/dev/null; then
        echo "creating .venv (confluent-kafka, aiokafka, jsonschema)" >&2
        python3 -m venv .venv
        .venv/bin/pip install -q --disable-pip-version-check confluent-kafka aiokafka jsonschema
    fi
    export KAKUSA_PYTHON="$PWD/.venv/bin/python"
}

# For scripts/image-check: debootstrap (the runtime stage's Debian without Docker), rsync (the scratch copy), curl,
# and the packages deploy/Dockerfile's build stage installs beyond this machine's Swift (libcurl4-openssl-dev, which
# the swift image has: a static FoundationNetworking links -lcurl).
kakusa_install_image_check_tools() {
    local missing=()
    for pkg in debootstrap rsync curl libcurl4-openssl-dev; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing: ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

#!/bin/sh
# The runtime stage's setup, run by deploy/Dockerfile and by scripts/image-check (inside a debootstrapped Debian of
# the same release): installs deploy/runtime-packages.txt, leaves no package lists, adds the user kakusa (uid 10001).
set -eu
here=$(dirname "$0")
packages=$(sed 's/#.*//' "$here/runtime-packages.txt")
apt-get update
# shellcheck disable=SC2086 # one package a word
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages
apt-get clean
rm -rf /var/lib/apt/lists/*
useradd --system --uid 10001 --create-home kakusa

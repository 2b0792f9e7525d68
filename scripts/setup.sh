#!/usr/bin/env bash
# `npm run setup`: installs the Debian/Ubuntu packages the test suite talks
# to as real peers, so that on a fresh machine with only Node and npm
#
#     npm ci && npm run setup && npm test
#
# passes with nothing else done first. The packages:
# - python3-websockets: an independent client and server (/usr/bin/python3)
# - chromium: a real browser client, driven through playwright-core
# - openssl: makes the throwaway certificates of the wss:// tests
# - redis-server: the cross-process broadcast tests
# - gcc, zlib1g-dev: the C load client of `npm run bench`
#   (scripts/bench/bench_client.c, linked with -lz for permessage-deflate),
#   which tests/scripts/bench_client_deflate_test.ts compiles too
#
# Packages already installed are left alone; when all are, it runs neither
# apt-get nor sudo and takes a fraction of a second. Otherwise it runs
# `apt-get update` and `apt-get install` for the missing ones, without
# prompts (DEBIAN_FRONTEND=noninteractive), through sudo when not root.
# Without apt-get (not Debian or Ubuntu) it says so in one line and exits 1.
set -euo pipefail

PACKAGES=(python3-websockets chromium openssl redis-server gcc zlib1g-dev)

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup: apt-get not found (this is not Debian or Ubuntu): install ${PACKAGES[*]} with your package manager, then run npm test" >&2
  exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
  if [ "$status" != "install ok installed" ]; then missing+=("$package"); fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: ${PACKAGES[*]} already installed"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup: ${missing[*]} missing, and neither root nor sudo: run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  as_root=(sudo)
fi

echo "setup: installing ${missing[*]} with ${as_root[*]:+sudo }apt-get"
# sudo resets the environment: pass DEBIAN_FRONTEND through env.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}"

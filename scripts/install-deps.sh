#!/usr/bin/env bash
# Installs every Debian package chatvault's build, tests, fuzzing and benchmarks need.
# Idempotent and quick when everything is there: apt is only touched for what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libexpected-dev          # tl::expected behind cv::Result
  libfmt-dev               # formatting
  libzip-dev               # reading .zip exports
  zlib1g-dev libdeflate-dev   # eDiscovery export zips: CRC-32, deflate (whole emails: libdeflate; long ones: zlib)
  libhowardhinnant-date-dev tzdata   # IANA time zones (date/tz.h over the system tzdb)
  libcli11-dev             # command line
  libsodium-dev            # AEAD encryption at rest, key derivation, Argon2id password hashes
  libsqlite3-dev           # the archive's database (WAL, FTS5)
  libzstd-dev              # compression of records and attachments
  nlohmann-json3-dev       # archive records, journal, --json output
  libssl-dev               # SHA-256 (libcrypto uses the CPU's SHA extensions)
  libmagic-dev             # attachment Content-Type from the bytes themselves
  libphonenumber-dev libprotobuf-dev   # user mapping: phone numbers to E.164
  libcsv-dev               # user mapping: the RFC 4180 CSV parser
  libcpp-httplib-dev       # chatvault serve: HTTP/1.1 server with OpenSSL (TLS), and the webhook load generator
  libcurl4-openssl-dev     # IMAP delivery (src/deliver); connector http-pull (src/connector)
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev   # libFuzzer + sanitizers
  clang-format-14          # make format-check (part of make test)
  python3                  # corpus-fact checker and golden runner
  zip unzip                # tests build zip exports on the fly, and check export zips (unzip -t)
  time                     # GNU time: peak RSS in bench/parse_throughput.py
  notmuch                  # tests index rendered mail with an independent mail indexer
  dovecot-imapd openssl    # IMAP delivery tests run a throwaway Dovecot (tests/imap/dovecot.py)
  chromium                 # the web console's browser tests (tests/console, Playwright drives it)
)

# The web console's build (console/, Vite): Node 18 or later and npm. Debian 12's nodejs is 18
# and its npm a separate package; a machine with another Node (nodesource's bundles npm and
# conflicts with Debian's npm package) keeps it: apt is asked only for what is not on PATH.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

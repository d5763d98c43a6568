#!/usr/bin/env bash
# The whole test suite on a fresh Debian/Ubuntu machine with the Rust toolchain:
# installs the servers the tests start (PostgreSQL, Redis, aiosmtpd) when they are missing,
# then checks formatting and lints and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

have_postgres() {
    command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

missing=()
have_postgres || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)

if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${missing[*]} for the tests" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "the tests need: ${missing[*]}" >&2
        echo "install them with: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

# The e-mail tests start a real SMTP server: Python's aiosmtpd (STARTTLS and AUTH).
have_aiosmtpd() { python3 -c 'import aiosmtpd' >/dev/null 2>&1; }
if ! have_aiosmtpd; then
    echo "installing aiosmtpd (the SMTP server the e-mail tests start)" >&2
    if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
        # A distribution's own Python refuses plain `pip install` (PEP 668).
        python3 -m pip install --quiet aiosmtpd 2>/dev/null ||
            python3 -m pip install --quiet --break-system-packages aiosmtpd || true
    fi
    if ! have_aiosmtpd && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends python3 python3-aiosmtpd >/dev/null
    fi
    if ! have_aiosmtpd; then
        echo "the e-mail tests need the Python package aiosmtpd for the python3 on PATH" >&2
        echo "install it with: python3 -m pip install aiosmtpd   (or: sudo apt-get install python3-aiosmtpd)" >&2
        exit 1
    fi
fi

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
# Most integration tests wait on servers and child processes, not the CPU.
RUST_TEST_THREADS="${RUST_TEST_THREADS:-8}" cargo test --locked "$@"

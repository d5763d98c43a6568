#!/usr/bin/env bash
# The whole test suite on a fresh Debian/Ubuntu machine with the Rust toolchain:
# installs the servers the tests start (PostgreSQL, Redis) when they are missing,
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

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
# Most integration tests wait on servers and child processes, not the CPU.
RUST_TEST_THREADS="${RUST_TEST_THREADS:-8}" cargo test --locked "$@"

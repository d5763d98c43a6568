#!/usr/bin/env bash
# The whole test suite on a fresh Debian/Ubuntu machine with the Rust toolchain:
# installs what the tests use when it is missing (PostgreSQL and Redis servers,
# jq, Python 3 with the Prometheus client's parser), then checks formatting and
# lints and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

have_postgres() {
    command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

as_root=false
[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && as_root=true

missing=()
have_postgres || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-pip)

if ((${#missing[@]})); then
    if $as_root; then
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

python_modules=(prometheus_client)
for module in "${python_modules[@]}"; do
    python3 -c "import $module" 2>/dev/null && continue
    echo "installing the Python package $module for the tests" >&2
    # Debian's own python3 refuses plain pip installs (PEP 668); a user install is harmless.
    python3 -m pip install --quiet "$module" 2>/dev/null ||
        python3 -m pip install --quiet --user --break-system-packages "$module" || {
        echo "install it with: python3 -m pip install $module" >&2
        exit 1
    }
done

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
# Most integration tests wait on servers and child processes, not the CPU.
RUST_TEST_THREADS="${RUST_TEST_THREADS:-8}" cargo test --locked "$@"

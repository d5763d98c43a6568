#!/usr/bin/env bash
# The whole test suite on a fresh Debian/Ubuntu machine with the Rust toolchain:
# installs what the tests use when it is missing (PostgreSQL and Redis servers,
# jq, Debian's Nagios plugins, openssl, dnsmasq, Python 3 with aiosmtpd, the SMTP
# server the e-mail tests start, and the Prometheus client's parser,
# systemd-analyze, Chromium with chromedriver, Prometheus Alertmanager), then checks formatting and lints
# and runs every test.
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
# `systemd-analyze verify` checks the systemd recipe's units.
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# Declared checks run Debian's Nagios plugins (check_dummy, check_disk, check_tcp…),
# their tests look for what a timed-out plugin left behind with ps, read
# certificates served by `openssl s_server` and resolve names with dnsmasq.
[ -x /usr/lib/nagios/plugins/check_dummy ] || missing+=(monitoring-plugins-basic)
[ -x /usr/lib/nagios/plugins/check_disk ] || missing+=(monitoring-plugins-standard)
command -v ps >/dev/null 2>&1 || missing+=(procps)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
# Headless Chromium and its WebDriver load the dashboard of `vitals serve`.
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
# The Alertmanager channel is tested against the real Alertmanager.
[ -x /usr/bin/prometheus-alertmanager ] || missing+=(prometheus-alertmanager)

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

# Python packages: the module to import, and Debian's package for it.
python_packages=("aiosmtpd python3-aiosmtpd" "prometheus_client python3-prometheus-client")
for entry in "${python_packages[@]}"; do
    read -r module deb <<<"$entry"
    have() { python3 -c "import $module" >/dev/null 2>&1; }
    have && continue
    echo "installing the Python package $module for the tests" >&2
    if python3 -m pip --version >/dev/null 2>&1; then
        # A distribution's own Python refuses plain `pip install` (PEP 668).
        python3 -m pip install --quiet "$module" 2>/dev/null ||
            python3 -m pip install --quiet --break-system-packages "$module" || true
    fi
    if ! have && $as_root; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
    fi
    if ! have; then
        echo "the tests need the Python package $module for the python3 on PATH" >&2
        echo "install it with: python3 -m pip install $module   (or: sudo apt-get install $deb)" >&2
        exit 1
    fi
done

# The tests build with the test-clock feature: the binary then honours
# VITALS_NOW (CONTRIBUTING.md), which a release build never does.
cargo fmt --all -- --check
cargo clippy --locked --all-targets --all-features -- -D warnings
# Most integration tests wait on servers and child processes, not the CPU.
RUST_TEST_THREADS="${RUST_TEST_THREADS:-8}" cargo test --locked --features test-clock "$@"

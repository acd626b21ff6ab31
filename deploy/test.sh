#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this). Sets up what the tests need on a
# fresh machine: the PostgreSQL server binaries (Debian package), headless Chromium, its WebDriver
# and a CJK font (Debian packages, for the web console's browser tests) and a Python venv with the
# stock gRPC client used to check health and reflection. Requires all: nothing is silently skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -z "${PG_BIN:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "test.sh: installing the PostgreSQL server binaries (apt-get install postgresql)" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        echo "test.sh: PostgreSQL server binaries not found: install Debian's 'postgresql' package or set PG_BIN" >&2
        exit 1
    fi
fi

# The console is in Chinese by default: without a CJK font its screenshots show empty boxes.
browser_packages="chromium chromium-driver fonts-wqy-microhei"
if [ ! -x /usr/bin/chromedriver ] || [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "test.sh: installing headless Chromium, its driver and a CJK font (apt-get install $browser_packages)" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $browser_packages >/dev/null
    else
        echo "test.sh: /usr/bin/chromedriver or the WenQuanYi font not found: install Debian's $browser_packages" >&2
        exit 1
    fi
fi

# A real Prometheus scrapes HQ and an agent in the metrics tests; promtool checks the alert rules.
if [ ! -x /usr/bin/prometheus ] || [ ! -x /usr/bin/promtool ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "test.sh: installing Prometheus and promtool (apt-get install prometheus)" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
    else
        echo "test.sh: /usr/bin/prometheus or /usr/bin/promtool not found: install Debian's prometheus package" >&2
        exit 1
    fi
fi
venv=target/pyvenv
if ! "$venv/bin/python" -c 'import grpc, grpc_health, grpc_reflection' 2>/dev/null; then
    echo "test.sh: installing grpcio, grpcio-health-checking, grpcio-reflection into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q grpcio grpcio-health-checking grpcio-reflection
fi

export BRANCHLINE_PYTHON="$PWD/$venv/bin/python"
export BRANCHLINE_REQUIRE_POSTGRES=1
export BRANCHLINE_REQUIRE_PYTHON_GRPC=1
export BRANCHLINE_REQUIRE_BROWSER=1
export BRANCHLINE_REQUIRE_PROMETHEUS=1
# A clean clone builds once: incremental caches would only double the target directory (1.4 GB).
export CARGO_INCREMENTAL=0
# The build, clippy's and the tests' artifacts take about 3 GB: warn first if the disk is short of
# that, so that a linker's "No space left on device" later has its cause on screen.
free_mb=$(df -Pm . | awk 'NR == 2 { print $4 }')
if [ "$free_mb" -lt 3072 ]; then
    echo "test.sh: warning: only ${free_mb} MB free on $(df -P . | awk 'NR == 2 { print $6 }'); the build takes about 3 GB" >&2
fi
cargo build --workspace --bins
# Lints as errors, `too_many_lines` included (the workspace lints; threshold in clippy.toml).
# The benchmarks too: they build only with the tests crate's `bench` feature.
cargo clippy --workspace --all-targets --features branchline-tests/bench -- -D warnings
python3 deploy/import-cycles.py    # no file imports one that imports it back
if [ $# -eq 0 ]; then
    deploy/check-demo.sh    # the main job end to end, from this checkout
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace "$@" 2>&1 | tee "$log"
# One closing line over every test binary (cargo prints a result line per binary).
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "summary: %d passed, %d failed\n", passed, failed }' "$log"

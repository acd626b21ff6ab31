#!/usr/bin/env bash
# Runs deploy/demo.sh in a fresh folder and checks its consolidated reports against the figures
# the demo's documents must produce. deploy/test.sh (and so CI, on a clean clone) runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
export BRANCHLINE_DEMO_DIR
BRANCHLINE_DEMO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/branchline-demo.XXXXXX")
trap 'rm -rf "$BRANCHLINE_DEMO_DIR"' EXIT
output=$(deploy/demo.sh 2>&1) || { printf '%s\n' "$output"; echo "demo: deploy/demo.sh failed" >&2; exit 1; }

passed=0 failed=0
expect() {
    local what=$1 pattern=$2
    if grep -qE "$pattern" <<<"$output"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "demo check failed: $what (no line matching /$pattern/)" >&2
    fi
}
# Sales by organization, November: 深圳 includes the trade to 广州 (100 × 2.80, 30 × 10.00).
expect "深圳 sales" '^001\.002 +SZ +490 +1582\.40 +205\.71 +1788\.11 *$'
expect "麻岭店 sales" '^001\.002\.001 +ML +41 +190\.50 +24\.77 +215\.27 *$'
expect "大冲店 sales" '^001\.002\.002 +DC +60 +120\.00 +15\.60 +135\.60 *$'
expect "广州 sales" '^001\.003 +GZ +80 +384\.00 +49\.92 +433\.92 *$'
expect "珠海 sales" '^001\.004 +ZH +20 +232\.20 +30\.19 +262\.39 *$'
# The routed purchase-in reached 广州 and its confirmation moved stock at both ends.
expect "routed draft at 广州" '广州 received draft purchase-in GZ-'
expect "广州 stock of P001 after receipt" '^001\.003 +GZ +GZ-W +P001 +600 *$'
expect "深圳 stock of P001 after the sale" '^001\.002 +SZ +SZ-W +P001 +280 *$'
# Freshness: every organization caught up (backlog 0) after the scheduled transfers.
expect "freshness of 广州" '^001\.003 +GZ +1 +[0-9]+ +[0-9T:Z-]+ +0 *$'
# The regional manager logged in, was refused 广州 and logged out.
expect "manager logged in" '^logged in to http://[0-9.:]+ as sz-manager \(viewer, org 001\.002\)'
expect "manager refused 广州" 'sz-manager may not reach organization 001\.003: outside the account.s scope 001\.002'
expect "manager logged out" '^logged out sz-manager from '
# The console shows the board and the same sales figures as the CLI (its own report call).
expect "console board: 广州 green" '^  GZ  广州分公司  001\.003  正常  '
expect "console sales of 深圳" '^    001\.002  SZ  [0-9T:Z-]+  0  490  1582\.40  205\.71  1788\.11$'
expect "console sales total" '^  合计  001 +691  2509\.10  326\.19  2835\.29$'
printf '%s\n' "$output" | tail -n 40
echo "demo: $passed passed, $failed failed"
[ "$failed" = 0 ]

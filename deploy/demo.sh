#!/usr/bin/env bash
# Branchline end to end on one machine: HQ on embedded SQLite, the classic group of 总公司 with
# 深圳 (and its stores 麻岭店, 大冲店), 广州 and 珠海; a template published by network and by file;
# documents entered at every branch while HQ is down; scheduled transfer agents catching up; an
# inter-branch trade (深圳 sells to 广州) received at 广州; consolidated reports per organization;
# a regional manager whose login sees only 深圳.
#
#   deploy/demo.sh                  run it, print the reports, stop everything, exit 0
#   deploy/demo.sh --keep-running   leave HQ and the agents running and say how to reach them
#
# Everything lives under one folder: $BRANCHLINE_DEMO_DIR (default ./demo-run), wiped at start.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
keep_running=false
[ "${1:-}" = "--keep-running" ] && keep_running=true

demo=${BRANCHLINE_DEMO_DIR:-$repo/demo-run}
rm -rf "$demo" && mkdir -p "$demo"/{hq,branches,files,logs}
echo "== Branchline demo in $demo"

say() { printf '\n== %s\n' "$*"; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

say "building the binaries"
cargo build --bins --quiet
bin=$("$repo/deploy/bin-dir.sh")
hq_server=$bin/hq-server branch_node=$bin/branch-node agent=$bin/transfer-agent

export BRANCHLINE_ADMIN_TOKEN=demo-admin-token-0123456789
hq_db="sqlite://$demo/hq/hq.db"
pids=()
cleanup() { $keep_running || for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

start_hq() {
    local listen=$1 console_listen=$2
    "$hq_server" serve --listen "$listen" --console-listen "$console_listen" --db "$hq_db" \
        >"$demo/logs/hq.out" 2>>"$demo/logs/hq.log" &
    hq_pid=$!
    pids+=("$hq_pid")
    for _ in $(seq 200); do
        grep -q '^listening on ' "$demo/logs/hq.out" 2>/dev/null && break
        sleep 0.05
    done
    hq_addr=$(sed -n 's/^listening on //p' "$demo/logs/hq.out" | head -1)
    [ -n "$hq_addr" ] || { echo "HQ did not start; see $demo/logs/hq.log" >&2; exit 1; }
    hq_url="http://$hq_addr"
    console_url=$(sed -n 's/^console on //p' "$demo/logs/hq.out" | head -1)
    console_addr=${console_url#http://}
}
admin() { "$hq_server" admin --hq "$hq_url" --token "$BRANCHLINE_ADMIN_TOKEN" "$@"; }

say "starting HQ (embedded SQLite)"
start_hq 127.0.0.1:0 127.0.0.1:0
echo "HQ at $hq_url, its console (管理控制台) at $console_url"

say "registering the organization tree"
admin org add 001 --name 总公司
admin org add 001.002 --name 深圳分公司
admin org add 001.002.001 --name 麻岭店
admin org add 001.002.002 --name 大冲店
admin org add 001.003 --name 广州分公司
admin org add 001.004 --name 珠海分公司

say "importing master data"
cat >"$demo/files/products.csv" <<'CSV'
code,name,unit,price
P001,绿茶 500ml,瓶,3.50
P002,矿泉水 550ml,瓶,2.00
P003,方便面,袋,4.80
P004,饼干,盒,12.90
CSV
cat >"$demo/files/customers.csv" <<'CSV'
code,name
C-SZ,深圳分公司(内部客户)
C-GZ,广州分公司(内部客户)
C-ZH,珠海分公司(内部客户)
C-ML,麻岭店(内部客户)
C-DC,大冲店(内部客户)
C001,华润万家
C002,天虹商场
CSV
cat >"$demo/files/suppliers.csv" <<'CSV'
code,name
S-SZ,深圳分公司(内部供应商)
S-GZ,广州分公司(内部供应商)
S-ZH,珠海分公司(内部供应商)
S-ML,麻岭店(内部供应商)
S-DC,大冲店(内部供应商)
S001,统一企业
CSV
cat >"$demo/files/warehouses.csv" <<'CSV'
code,name,branch
SZ-W,深圳仓,SZ
ML-W,麻岭店仓,ML
DC-W,大冲店仓,DC
GZ-W,广州仓,GZ
ZH-W,珠海仓,ZH
CSV
for kind in products customers suppliers warehouses; do
    admin import "$kind" "$demo/files/$kind.csv"
done

say "registering the branches with their counterparts"
declare -A org_of=([SZ]=001.002 [ML]=001.002.001 [DC]=001.002.002 [GZ]=001.003 [ZH]=001.004)
declare -A name_of=([SZ]=深圳分公司 [ML]=麻岭店 [DC]=大冲店 [GZ]=广州分公司 [ZH]=珠海分公司)
branches=(SZ ML DC GZ ZH)
for code in "${branches[@]}"; do
    admin branch add "$code" --name "${name_of[$code]}" --org "${org_of[$code]}" \
        --customer "C-$code" --supplier "S-$code" --warehouse "$code-W" --mode independent-sales \
        | tail -1 >"$demo/branches/$code.token"
    echo "branch $code registered under ${org_of[$code]}"
done

say "publishing the master-data template to the whole group, and exporting it as a file"
admin template create base --kinds product,customer,supplier,warehouse
admin template publish base --to 001
admin template export base --out "$demo/files/base.template"

say "HQ goes down: the branches keep trading offline"
kill "$hq_pid" && wait "$hq_pid" 2>/dev/null || true

for code in "${branches[@]}"; do
    ledger=$demo/branches/$code.db
    "$branch_node" --ledger "$ledger" init --branch "$code" --name "${name_of[$code]}"
    "$branch_node" --ledger "$ledger" template import "$demo/files/base.template"
    "$branch_node" --ledger "$ledger" doc add --type opening --warehouse "$code-W" \
        --line P001:500@2.10 --line P002:800@1.20 --line P003:300@3.00 --line P004:100@8.50 >/dev/null
done
bn() { "$branch_node" --ledger "$demo/branches/$1.db" "${@:2}" >/dev/null; }
bn SZ doc add --type sales-out --date 2026-11-02 --partner C001 --warehouse SZ-W --line P001:120@3.50:0:0.13 --line P003:40@4.80:0.05:0.13
bn SZ doc add --type sales-out --date 2026-11-09 --partner C002 --warehouse SZ-W --line P002:200@2.00:0:0.13
bn ML doc add --type retail-sale --date 2026-11-03 --warehouse ML-W --line P001:36@3.50:0:0.13 --line P004:5@12.90:0:0.13
bn DC doc add --type retail-sale --date 2026-11-04 --warehouse DC-W --line P002:60@2.00:0:0.13
bn GZ doc add --type sales-out --date 2026-11-05 --partner C001 --warehouse GZ-W --line P003:80@4.80:0:0.13
bn ZH doc add --type sales-out --date 2026-11-06 --partner C002 --warehouse ZH-W --line P004:20@12.90:0.10:0.13
for code in "${branches[@]}"; do
    printf '%s backlog: ' "$code"
    "$branch_node" --ledger "$demo/branches/$code.db" status --format json | json_field backlog
done

say "HQ is back; each branch's transfer agent runs its scheduled tasks"
start_hq "$hq_addr" "$console_addr"
for code in "${branches[@]}"; do
    cat >"$demo/branches/$code.agent.toml" <<TOML
ledger = "$demo/branches/$code.db"
hq = "$hq_url"
token_file = "$demo/branches/$code.token"
inbox_dir = "$demo/branches/$code-inbox"

[[task]]
name = "push-documents"
direction = "push"
every = "1s"

[[task]]
name = "pull-inbox"
direction = "pull"
every = "1s"
TOML
    mkdir -p "$demo/branches/$code-inbox"
    "$agent" --config "$demo/branches/$code.agent.toml" run >>"$demo/logs/agent-$code.log" 2>&1 &
    pids+=($!)
done

wait_for_catch_up() {
    for _ in $(seq 300); do
        local behind=0
        for code in "${branches[@]}"; do
            backlog=$("$branch_node" --ledger "$demo/branches/$code.db" status --format json | json_field backlog)
            [ "$backlog" = 0 ] || behind=1
        done
        [ $behind = 0 ] && return 0
        sleep 0.2
    done
    echo "agents did not catch up; see $demo/logs" >&2
    exit 1
}
wait_for_catch_up
admin status

say "inter-branch trade (单据转换): 深圳 sells to 广州 (customer C-GZ)"
trade=$("$branch_node" --ledger "$demo/branches/SZ.db" doc add --type sales-out --date 2026-11-10 \
    --partner C-GZ --warehouse SZ-W --line P001:100@2.80:0:0.13 --line P004:30@10.00:0:0.13 | tail -1)
echo "深圳 confirmed sales-out $trade"
routed=""
for _ in $(seq 300); do
    routed=$("$branch_node" --ledger "$demo/branches/GZ.db" doc list --type purchase-in --status draft --format json |
        python3 -c 'import json,sys; d=json.load(sys.stdin)["docs"]; print(d[0]["number"] if d else "")')
    [ -n "$routed" ] && break
    sleep 0.2
done
[ -n "$routed" ] || { echo "the routed purchase-in never reached 广州; see $demo/logs" >&2; exit 1; }
echo "广州 received draft purchase-in $routed:"
"$branch_node" --ledger "$demo/branches/GZ.db" doc show "$routed"
"$branch_node" --ledger "$demo/branches/GZ.db" doc confirm "$routed"
echo "广州 confirmed $routed: the goods are in 广州's stock"
wait_for_catch_up

say "consolidated sales per organization (多组织销售汇总表), November 2026"
report() { "$hq_server" report --hq "$hq_url" --token "$BRANCHLINE_ADMIN_TOKEN" "$@"; }
report sales --org 001 --from 2026-11-01 --to 2026-11-30 --by org
say "sales by organization and product"
report sales --org 001 --from 2026-11-01 --to 2026-11-30 --by org,product
say "深圳 with its stores (a grouping node rolls up its subtree)"
report sales --org 001.002 --from 2026-11-01 --to 2026-11-30 --by org
say "inventory per organization and warehouse (多组织库存查询表)"
report inventory --org 001 --by org,warehouse,product

say "a regional manager (区域经理) for 深圳: an account over 001.002, a login, scoped reports"
admin user add sz-manager --role viewer --org 001.002
printf '%s\n' demo-manager-password | admin user password sz-manager
# The manager's own login file, in the demo directory; without the bootstrap token in the
# environment, later commands use it.
manager() { env -u BRANCHLINE_ADMIN_TOKEN XDG_CONFIG_HOME="$demo/manager" "$hq_server" "$@"; }
printf '%s\n' demo-manager-password | manager login --hq "$hq_url" --user sz-manager
manager report sales --from 2026-11-01 --to 2026-11-30 --by org
if manager report sales --org 001.003 2>"$demo/logs/refused.txt"; then
    echo "the manager read 广州's sales: the scope did not hold" >&2
    exit 1
fi
echo "广州 (001.003) is refused to the manager: $(cat "$demo/logs/refused.txt")"
manager logout

say "the HQ console (管理控制台): an administrator's account, logged in from a browser's place"
admin user add hq-admin --role admin --org 001
printf '%s\n' demo-admin-password | admin user password hq-admin
python3 "$repo/deploy/console-page.py" "$console_url" hq-admin demo-admin-password /board
say "the console's 多组织销售汇总表 for November: the same figures as report sales above"
python3 "$repo/deploy/console-page.py" "$console_url" hq-admin demo-admin-password \
    "/sales?org=001&from=2026-11-01&to=2026-11-30&by=org"

if $keep_running; then
    # SZ's workbench (工作台): the operator's pages over SZ's ledger, on loopback.
    "$branch_node" --ledger "$demo/branches/SZ.db" serve --listen 127.0.0.1:0 \
        >"$demo/logs/workbench-sz.out" 2>"$demo/logs/workbench-sz.log" &
    pids+=("$!")
    for _ in $(seq 200); do
        grep -q '^workbench on ' "$demo/logs/workbench-sz.out" 2>/dev/null && break
        sleep 0.05
    done
    workbench_url=$(sed -n 's/^workbench on //p' "$demo/logs/workbench-sz.out" | head -1)
    say "still running"
    echo "workbench: ${workbench_url:-(did not start; see $demo/logs/workbench-sz.log)}   SZ's 工作台 (branch-node serve)"
    echo "console: $console_url   log in as hq-admin / demo-admin-password (or sz-manager / demo-manager-password)"
    echo "HQ:      $hq_url   (admin token: \$BRANCHLINE_ADMIN_TOKEN=$BRANCHLINE_ADMIN_TOKEN)"
    echo "ledgers: $demo/branches/*.db   e.g. $branch_node --ledger $demo/branches/SZ.db stock"
    echo "agents:  logs in $demo/logs; stop everything with: kill ${pids[*]}"
else
    say "done; everything is under $demo"
fi

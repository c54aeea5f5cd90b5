#!/usr/bin/env bash
# The long version of the reliability tests (tests/integration/reliability, issue 5): more
# SIGKILLed processes, more etcd leader kills, fuzzing at volume, the big inputs at full size.
# CI runs the same tests with short defaults as part of `cargo test`.
#
# Usage: scripts/soak.sh [SCALE] [-- extra cargo test filter/args]
#   SCALE (default 10) multiplies the CI volumes:
#     crash:    300 processes x 2 rounds per backend  ->  500 x (2 x SCALE) rounds
#     failover: 1 leader kill                         ->  SCALE leader kills
#     fuzz:     3,000 inputs per target               ->  20,000 x SCALE per target
#     big:      10,000 pools (embedded), 2,000 (etcd) ->  10,000 on both
#     pool race: 4 rounds of racing IPPool creates       ->  25 x SCALE rounds per backend
#   CALICO_SOAK_MINUTES=N keeps re-running the crash and failover tests (new seeds each time)
#   until N minutes have passed, after the full run.
#   Any CALICO_* variable already set wins (see tests/integration/reliability/mod.rs).
#
# Every figure (iterations, faults injected, duplicates, losses, recovery times, fuzz
# executions) is collected in target/soak/report-<time>.txt and printed at the end; the full
# log is next to it. Needs root (the agent test uses network namespaces), etcd, etcdctl and
# openssl: scripts/install-deps.sh installs them.
set -euo pipefail
cd "$(dirname "$0")/.."

scale=10
if [[ $# -gt 0 && $1 != -- ]]; then
  scale=$1
  shift
fi
[[ ${1:-} == -- ]] && shift
[[ $scale =~ ^[1-9][0-9]*$ ]] || { echo "SCALE must be a positive whole number, not '$scale'" >&2; exit 2; }

export CALICO_CRASH_OPS=${CALICO_CRASH_OPS:-500}
export CALICO_CRASH_ROUNDS=${CALICO_CRASH_ROUNDS:-$((2 * scale))}
export CALICO_CRASH_KILL_PERCENT=${CALICO_CRASH_KILL_PERCENT:-35}
export CALICO_FAILOVER_ROUNDS=${CALICO_FAILOVER_ROUNDS:-$scale}
export CALICO_FAILOVER_OPS_AFTER=${CALICO_FAILOVER_OPS_AFTER:-100}
export CALICO_FUZZ_CASES=${CALICO_FUZZ_CASES:-$((20000 * scale))}
export CALICO_BIG_POOLS=${CALICO_BIG_POOLS:-10000}
export CALICO_BIG_POOLS_ETCD=${CALICO_BIG_POOLS_ETCD:-10000}
export CALICO_POOL_RACE_ROUNDS=${CALICO_POOL_RACE_ROUNDS:-$((25 * scale))}

mkdir -p target/soak
stamp=$(date +%Y%m%d-%H%M%S)
export CALICO_RELIABILITY_REPORT=${CALICO_RELIABILITY_REPORT:-$PWD/target/soak/report-$stamp.txt}
log=$PWD/target/soak/log-$stamp.txt
: >"$CALICO_RELIABILITY_REPORT"

echo "soak: scale $scale; crash $CALICO_CRASH_OPS x $CALICO_CRASH_ROUNDS per backend," \
  "failover $CALICO_FAILOVER_ROUNDS kills, fuzz $CALICO_FUZZ_CASES per target," \
  "big lists $CALICO_BIG_POOLS/$CALICO_BIG_POOLS_ETCD"
echo "soak: figures in $CALICO_RELIABILITY_REPORT, log in $log"

cargo build --release --tests --locked
run() {
  cargo test --release --locked --test integration "$@" -- --nocapture 2>&1 | tee -a "$log"
  return "${PIPESTATUS[0]}"
}
status=0
run reliability "$@" || status=$?
# Racing overlapping IPPool creates with a lister and assignments (issue 20), on every backend.
if [[ $status -eq 0 ]]; then
  echo "soak: pool race, $CALICO_POOL_RACE_ROUNDS rounds per backend" | tee -a "$log" "$CALICO_RELIABILITY_REPORT"
  cargo test --release --locked --lib pool_race -- --nocapture 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
fi

if [[ -n ${CALICO_SOAK_MINUTES:-} ]]; then
  end=$(($(date +%s) + 60 * CALICO_SOAK_MINUTES))
  pass=1
  while [[ $status -eq 0 && $(date +%s) -lt $end ]]; do
    pass=$((pass + 1))
    echo "soak: extra pass $pass (crash and failover, new seeds)" | tee -a "$log" "$CALICO_RELIABILITY_REPORT"
    run reliability::crash || status=$?
    [[ $status -eq 0 ]] && { run reliability::failover || status=$?; }
  done
fi

echo
echo "== soak figures ($CALICO_RELIABILITY_REPORT) =="
cat "$CALICO_RELIABILITY_REPORT"
if [[ $status -ne 0 ]]; then
  echo "soak: FAILED (status $status); see $log" >&2
fi
exit "$status"

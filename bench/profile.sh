#!/usr/bin/env bash
# Where a fresh-instance evaluation spends its instructions, per wasm function: the policy is
# built with its function names (release profile, not stripped, no wasm-opt), kwhost runs it
# under callgrind with KWHOST_PERFMAP=1 (wasmtime then names its compiled functions in
# /tmp/perf-<pid>.map), and bench/wasm_profile.py attributes the JIT code's instructions
# through that map. Host code (wasmtime's libcalls, libc) keeps callgrind's names.
#
# usage: bench/profile.sh FIXTURE [TOP]   (FIXTURE under test_data/, without .json)
set -euo pipefail
cd "$(dirname "$0")/.."
fixture=${1:?usage: bench/profile.sh FIXTURE [TOP]}
top=${2:-40}
KWHOST=${KWHOST:-target/host/kwhost}
N=${N:-10}
OUT=target/bench/profile
mkdir -p "$OUT"
CARGO_PROFILE_RELEASE_STRIP=false cargo build --quiet --target wasm32-wasip1 --release \
  --target-dir target/profile
wasm=target/profile/wasm32-wasip1/release/agent_hardening_policy.wasm
log="$OUT/$(basename "$fixture").log"
KWHOST_PERFMAP=1 valgrind --tool=callgrind --dump-instr=yes --smc-check=all-non-file \
  --toggle-collect='*measure_fresh*' --callgrind-out-file="$OUT/callgrind.out.%p" \
  "$KWHOST" bench --fresh -r "test_data/$fixture.json" --iterations "$N" --warmup 0 "$wasm" \
  >/dev/null 2>"$log" || { echo "valgrind failed, see $log" >&2; exit 1; }
pid=$(grep -m1 -oE '^==[0-9]+==' "$log" | tr -d '=')
python3 bench/wasm_profile.py "$OUT/callgrind.out.$pid" "/tmp/perf-$pid.map" "$N" "$top"
rm -f "/tmp/perf-$pid.map"

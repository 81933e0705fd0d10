#!/usr/bin/env bash
# Instructions per evaluation, as the policy server evaluates: a fresh instance per request
# (`kwhost bench --fresh`), counted by valgrind's callgrind inside kwhost's measuring loop only
# (the module's compilation is left out). Unlike wall-clock time on these shared machines, the
# counts repeat to within 0.1 % between runs, so small changes can be told apart.
#
# usage: bench/instructions.sh [FIXTURE...]   (names under test_data/, without .json)
# env:   BEFORE=old.wasm   adds a column for an earlier build of the policy
#        N=20              evaluations counted per run (each run also compiles the module once
#                          under valgrind: about 30 s, whatever N)
# Prints one markdown table row per fixture, in thousands of instructions (K). Baselines: the
# do-nothing policy of bench/baseline that parses the request and accepts it, and the same
# policy with this policy's answer for the fixture compiled in (built per fixture).
set -euo pipefail
cd "$(dirname "$0")/.."

KWHOST=${KWHOST:-target/host/kwhost}
POLICY=${POLICY:-policy.wasm}
BASELINE=${BASELINE:-target/wasm32-wasip1/release/baseline_policy.wasm}
N=${N:-20}
BEFORE=${BEFORE:-}
# Where the answer baselines are built (one directory per concurrent run of this script).
ANSWER_TARGET=${ANSWER_TARGET:-target/bench/answer-build}
OUT=target/bench/instructions
mkdir -p "$OUT"

if [ $# -eq 0 ]; then
  set -- configmap_create pod_update pod_compliant pod_minimal pod_every_violation \
    deployment_create bench/pod_1_containers bench/pod_10_containers bench/pod_30_containers
fi

# count LABEL FIXTURE WASM [kwhost options...]: instructions per evaluation, in K.
count() {
  local label=$1 fixture=$2 wasm=$3
  shift 3
  valgrind --tool=callgrind --smc-check=all-non-file --toggle-collect='*measure_fresh*' \
    --callgrind-out-file="$OUT/$label.callgrind" \
    "$KWHOST" bench -r "test_data/$fixture.json" --iterations "$N" --warmup 0 --fresh "$@" "$wasm" \
    >/dev/null 2>"$OUT/$label.log" || { echo "valgrind failed, see $OUT/$label.log" >&2; exit 1; }
  local total
  total=$(grep -oE 'refs: +[0-9,]+' "$OUT/$label.log" | tr -d ', ' | cut -d: -f2)
  [ -n "$total" ] || { echo "no instruction count in $OUT/$label.log" >&2; exit 1; }
  echo $((total / N / 1000))
}

# answer_policy NAME: the baseline with the policy's answer for the fixture compiled in (its
# own target directory, so that the plain baseline is not rebuilt each time).
answer_policy() {
  BASELINE_ANSWER="$PWD/$OUT/$1.answer.json" cargo build --quiet -p baseline-policy \
    --features compiled-answer --target wasm32-wasip1 --release --target-dir "$ANSWER_TARGET"
  cp "$ANSWER_TARGET/wasm32-wasip1/release/baseline_policy.wasm" "$OUT/$1.answer.wasm"
}

# Containers of every kind in the fixture's pod spec (for the per-container figure).
containers() {
  jq '[.object | .. | objects | to_entries[]
       | select(.key == "containers" or .key == "initContainers" or .key == "ephemeralContainers")
       | .value | arrays | length] | add // 0' "test_data/$1.json"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "| fixture | containers | policy |${BEFORE:+ before |} parse + accept | answer only | policy / parse+accept | policy / answer | (policy − answer) / container |"
echo "|---|---:|---:|${BEFORE:+---:|}---:|---:|---:|---:|---:|"
for fixture in "$@"; do
  name=$(basename "$fixture")
  # The policy's answer, byte for byte, compiled into a do-nothing policy.
  "$KWHOST" answer --request-path "test_data/$fixture.json" "$POLICY" >"$OUT/$name.answer.json"
  answer_policy "$name"
  n=$(containers "$fixture")
  p=$(count "$name.policy" "$fixture" "$POLICY")
  b=""
  [ -z "$BEFORE" ] || b=" $(count "$name.before" "$fixture" "$BEFORE") |"
  a=$(count "$name.accept" "$fixture" "$BASELINE")
  w=$(count "$name.answer" "$fixture" "$OUT/$name.answer.wasm")
  per="—"
  [ "$n" -eq 0 ] || per=$(awk -v p="$p" -v w="$w" -v n="$n" 'BEGIN { printf "%.1f", (p - w) / n }')
  echo "| \`$name\` | $n | $p |$b $a | $w | $(ratio "$p" "$a") | $(ratio "$p" "$w") | $per |"
done

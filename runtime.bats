#!/usr/bin/env bats
# Will the agent still run? Each admitted pod's container is started the way the kubelet would
# start it (tests/runtime/kubelet.py, with bubblewrap): read-only root, the pod's UID/GID, no
# capabilities, a tmpfs at each emptyDir mount, the container's env. The same probe then runs
# without the variables the policy added, to show what they change.

bats_require_minimum_version 1.5.0

KWCTL=${KWCTL:-kwctl}
POLICY=annotated-policy.wasm
PY=/usr/bin/python3

setup_file() {
  export PROBE_DIR="$BATS_FILE_TMPDIR/probe"
  mkdir -p "$PROBE_DIR/pkg/package"
  echo '{"name":"agent-probe","version":"1.0.0"}' >"$PROBE_DIR/pkg/package/package.json"
  tar -C "$PROBE_DIR/pkg" -czf "$PROBE_DIR/agent-probe-1.0.0.tgz" package
}

setup() {
  if ! bwrap_error=$(bwrap --unshare-all --ro-bind / / true 2>&1); then
    skip "bubblewrap cannot create namespaces here (${bwrap_error}): the runtime proof did not run"
  fi
}

# admit FIXTURE: the policy's response for the fixture, in $BATS_TEST_TMPDIR/response.json.
admit() {
  "$KWCTL" run --request-path "test_data/$1" "$POLICY" >"$BATS_TEST_TMPDIR/response.json" 2>/dev/null
  [ "$(jq -r .allowed "$BATS_TEST_TMPDIR/response.json")" = true ]
}

# in_pod FIXTURE CONTAINER [--without-policy-env] -- SCRIPT: runs SCRIPT in the container.
in_pod() {
  local fixture=$1 container=$2
  shift 2
  local flags=()
  while [ "$1" != -- ]; do flags+=("$1"); shift; done
  shift
  run --separate-stderr python3 tests/runtime/kubelet.py "test_data/$fixture" \
    "$BATS_TEST_TMPDIR/response.json" "$container" "${flags[@]}" \
    --bind-ro "$PROBE_DIR:/probe" -- /bin/bash -c "$1"
  echo "status = ${status}"
  echo "output = ${output}"
  echo "stderr = ${stderr}"
}

# A write that must fail on the read-only root filesystem.
WRITES_FAIL='for p in /usr/probe /etc/probe "$HOME/probe" /var/log/probe; do
  if (echo x >"$p") 2>/dev/null; then echo "WROTE $p"; else echo "read-only: $p"; fi
done'

@test "python agent: pip's cache is the injected mount, and the rest of the filesystem is read-only" {
  admit pod_framework_python.json
  in_pod pod_framework_python.json agent -- "
    echo \"HOME=\$HOME\"
    echo \"pip cache dir: \$($PY -m pip cache dir)\"
    echo \"tempdir: \$($PY -c 'import tempfile; print(tempfile.gettempdir())')\"
    echo cached >\"\$($PY -m pip cache dir)/probe\" && echo \"persisted: \$(cat /home/nobody/.cache/pip/probe)\"
    $WRITES_FAIL"
  [ "$status" -eq 0 ]
  [[ "$output" == *"HOME=/home/nobody"* ]]
  [[ "$output" == *"pip cache dir: /home/nobody/.cache/pip"* ]]
  [[ "$output" == *"tempdir: /tmp"* ]]
  [[ "$output" == *"persisted: cached"* ]]
  for p in /usr/probe /etc/probe /home/nobody/probe /var/log/probe; do
    [[ "$output" == *"read-only: $p"* ]]
  done
  [[ "$output" != *WROTE* ]]
}

@test "python agent without the policy's variables: pip loses its cache" {
  admit pod_framework_python.json
  in_pod pod_framework_python.json agent --without-policy-env -- "
    echo \"HOME=\$HOME\"
    $PY -m pip cache dir"
  [ "$status" -ne 0 ]
  [[ "$output" == *"HOME=/nonexistent"* ]]
  [[ "$stderr" == *"/nonexistent/.cache/pip"*"The cache has been disabled"* ]]
}

@test "node agent: npm's cache is the injected mount and npm cache add works" {
  admit pod_framework_node.json
  in_pod pod_framework_node.json agent -- "
    echo \"HOME=\$HOME\"
    echo \"npm cache: \$(npm config get cache)\"
    npm cache add /probe/agent-probe-1.0.0.tgz --offline --no-update-notifier && echo 'cache add: ok'
    ls /home/nobody/.npm
    $WRITES_FAIL"
  [ "$status" -eq 0 ]
  [[ "$output" == *"npm cache: /home/nobody/.npm"* ]]
  [[ "$output" == *"cache add: ok"* ]]
  [[ "$output" == *"_cacache"* ]]
  for p in /usr/probe /etc/probe /home/nobody/probe /var/log/probe; do
    [[ "$output" == *"read-only: $p"* ]]
  done
  [[ "$output" != *WROTE* ]]
}

@test "node agent without the policy's variables: npm cannot install" {
  admit pod_framework_node.json
  in_pod pod_framework_node.json agent --without-policy-env -- "
    echo \"npm cache: \$(npm config get cache)\"
    npm cache add /probe/agent-probe-1.0.0.tgz --offline --no-update-notifier"
  [ "$status" -ne 0 ]
  [[ "$output" == *"npm cache: /nonexistent/.npm"* ]]
  [[ "$stderr" == *"ENOENT"*"/nonexistent"* || "$stderr" == *"EROFS"* ]]
}

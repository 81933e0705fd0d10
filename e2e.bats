#!/usr/bin/env bats
# End-to-end tests on the annotated policy, through kwctl (or the project's kwhost, which
# speaks the same command line). Only stdout is read as JSON: kwctl logs on stderr.

bats_require_minimum_version 1.5.0

KWCTL=${KWCTL:-kwctl}
POLICY=annotated-policy.wasm

# kw_run REQUEST [kwctl flags...]: evaluates the request; $output is the response JSON.
kw_run() {
  local request=$1
  shift
  run --separate-stderr "$KWCTL" run --request-path "test_data/$request" "$@" "$POLICY"
  echo "output = ${output}"
  echo "stderr = ${stderr}"
}

allowed() { jq -r .allowed <<<"$output"; }
message() { jq -r '.status.message // ""' <<<"$output"; }
# Succeeds when the response carries no patch.
no_patch() { [ "$(jq -r '.patch // "none"' <<<"$output")" = none ]; }
# The decoded JSON Patch as "op path" lines, sorted.
patch_ops() { jq -r '.patch // empty' <<<"$output" | base64 -d | jq -r '.[] | "\(.op) \(.path)"' | sort; }

@test "accept: a compliant agent pod passes untouched" {
  kw_run pod_compliant.json
  [ "$status" -eq 0 ]
  [ "$(allowed)" = true ]
  no_patch
}

@test "mutate: a bare pod gets the hardened profile and writable paths" {
  kw_run pod_minimal.json
  [ "$status" -eq 0 ]
  [ "$(allowed)" = true ]
  [ "$(jq -r .patchType <<<"$output")" = JSONPatch ]
  expected=$(printf '%s\n' \
    "add /spec/containers/0/env" \
    "add /spec/containers/0/securityContext" \
    "add /spec/containers/0/volumeMounts" \
    "add /spec/securityContext/fsGroup" \
    "add /spec/securityContext/runAsGroup" \
    "add /spec/securityContext/runAsNonRoot" \
    "add /spec/securityContext/runAsUser" \
    "add /spec/securityContext/seccompProfile" \
    "add /spec/volumes" | sort)
  [ "$(patch_ops)" = "$expected" ]
  jq -e '.warnings | any(. == "agent-hardening added securityContext.readOnlyRootFilesystem: true to agent")' <<<"$output"
}

@test "mutate: the patch carries the hardened values" {
  kw_run pod_minimal.json
  patch=$(jq -r .patch <<<"$output" | base64 -d)
  [ "$(jq -cS '.[] | select(.path == "/spec/containers/0/securityContext") | .value' <<<"$patch")" = \
    '{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"readOnlyRootFilesystem":true}' ]
  [ "$(jq -c '.[] | select(.path == "/spec/securityContext/seccompProfile") | .value' <<<"$patch")" = '{"type":"RuntimeDefault"}' ]
}

@test "reject: a pod running as root is rejected naming the field" {
  kw_run pod_run_as_root.json
  [ "$status" -eq 0 ]
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.securityContext.runAsUser: found 0, allowed a non-root user id: 65534"* ]]
}

@test "reject: every violation is listed in one answer" {
  kw_run pod_every_violation.json
  [ "$(allowed)" = false ]
  [[ "$(message)" == "agent pod hardening: 25 problems found"* ]]
  [[ "$(message)" == *"spec.hostNetwork: found true"* ]]
  [[ "$(message)" == *"… and 5 more" ]]
}

@test "validate mode: missing fields are violations, nothing is mutated" {
  kw_run pod_minimal.json --settings-json '{"mode": "validate"}'
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.containers[0] (agent).securityContext.readOnlyRootFilesystem: found nothing (unset), allowed true"* ]]
}

@test "invalid settings are refused with every problem" {
  run --separate-stderr "$KWCTL" run --request-path test_data/pod_minimal.json \
    --settings-json '{"mode": "enforce", "runAsUser": 0, "bogus": 1}' "$POLICY"
  echo "output = ${output}"
  echo "stderr = ${stderr}"
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"Provided settings are not valid"* ]]
  [[ "$stderr" == *'mode: found "enforce", allowed mutate or validate'* ]]
  [[ "$stderr" == *"runAsUser: found 0"* ]]
  [[ "$stderr" == *"bogus: unknown setting"* ]]
}

@test "settings from a file" {
  kw_run pod_framework_custom.json --settings-path test_data/settings/custom_frameworks.json
  [ "$(allowed)" = true ]
  jq -r .patch <<<"$output" | base64 -d | jq -e 'any(.[]; .path == "/spec/volumes" and (.value | any(.name == "writable-home-nobody-cargo")))'
}

@test "workloads: templates are checked, not mutated, by default" {
  for kind in deployment replicaset statefulset daemonset job cronjob replicationcontroller; do
    kw_run "${kind}_create.json"
    [ "$status" -eq 0 ]
    [ "$(allowed)" = true ]
    no_patch
  done
}

@test "workloads: a privileged template is rejected at apply time" {
  for kind in deployment replicaset statefulset daemonset job replicationcontroller; do
    kw_run "${kind}_update_privileged.json"
    [ "$(allowed)" = false ]
    [[ "$(message)" == *"spec.template.spec.containers[0] (agent).securityContext.privileged: found true"* ]]
  done
  kw_run cronjob_update_privileged.json
  [[ "$(message)" == *"spec.jobTemplate.spec.template.spec.hostPID: found true"* ]]
}

@test "workloads: templates are mutated with mutateWorkloadTemplates" {
  kw_run deployment_create.json --settings-json '{"mutateWorkloadTemplates": true}'
  [ "$(allowed)" = true ]
  patch_ops | grep -qx "add /spec/template/spec/securityContext/runAsNonRoot"
  patch_ops | grep -qx "add /spec/template/spec/containers/0/securityContext"
  kw_run cronjob_create.json --settings-json '{"mutateWorkloadTemplates": true}'
  patch_ops | grep -qx "add /spec/jobTemplate/spec/template/spec/volumes"
}

@test "ephemeral containers: kubectl debug gets a hardened container and nothing else" {
  kw_run pod_ephemeral_debug.json
  [ "$(allowed)" = true ]
  [ "$(patch_ops)" = "$(printf '%s\n' "add /spec/ephemeralContainers/1/env" "add /spec/ephemeralContainers/1/securityContext")" ]
}

@test "ephemeral containers: a privileged debug container is rejected" {
  kw_run pod_ephemeral_privileged.json
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.ephemeralContainers[1] (debugger-root).securityContext.privileged: found true"* ]]
}

@test "DELETE passes untouched" {
  kw_run pod_delete.json
  [ "$status" -eq 0 ]
  [ "$(allowed)" = true ]
  no_patch
}

@test "a plain Pod UPDATE passes untouched" {
  kw_run pod_update.json
  [ "$(allowed)" = true ]
  no_patch
}

@test "other kinds pass untouched" {
  kw_run configmap_create.json
  [ "$(allowed)" = true ]
  no_patch
}

@test "writable paths: python gets its pip cache" {
  kw_run pod_framework_python.json
  jq -r .patch <<<"$output" | base64 -d | jq -e \
    'any(.[]; .path == "/spec/containers/0/volumeMounts" and (.value | map(.mountPath) == ["/tmp", "/data", "/home/nobody/.cache/pip"]))'
}

@test "writable paths: an unknown framework is rejected with the known ones" {
  kw_run pod_framework_unknown.json
  [ "$(allowed)" = false ]
  [[ "$(message)" == *'metadata.labels[agent.framework]: found "ruby", allowed one of the known frameworks: go, java, node, python, python-openllmetry'* ]]
}

@test "writable paths: logs go to stdout, not /var/log" {
  kw_run pod_emptydir_var_log.json
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"logs go to stdout"* ]]
  kw_run pod_var_logs_allowed.json
  [ "$(allowed)" = true ]
}

@test "size limits: an oversized memory emptyDir is rejected" {
  kw_run pod_memory_emptydir_too_big.json
  [ "$(allowed)" = false ]
  [[ "$(message)" == *'spec.volumes[2] (shm).emptyDir.sizeLimit: found "16Gi", allowed a sizeLimit above 0 and at most 10Gi'* ]]
}

@test "image user check: a root image is rejected from the recorded registry answer" {
  kw_run pod_compliant.json --settings-json '{"imageUserCheck": "enforce"}' \
    --replay-host-capabilities-interactions test_data/sessions/image_runs_as_root.yml
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.containers[0] (agent).image"*"sets no USER"*"add \`USER 65534\`"* ]]
}

@test "image user check: a non-root image is accepted" {
  kw_run pod_compliant.json --settings-json '{"imageUserCheck": "enforce"}' \
    --replay-host-capabilities-interactions test_data/sessions/image_runs_as_nobody.yml
  [ "$(allowed)" = true ]
}

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

# kw_manifest MANIFEST REQUEST [sed expression]: runs a ClusterAdmissionPolicy manifest (as
# kwctl runs one: its settings, mode and mutating) with spec.module pointed at the policy under
# test; the optional sed expression edits the copy first.
kw_manifest() {
  local manifest="$BATS_TEST_TMPDIR/$(basename "$1")"
  sed -E "s|^(  module: ).*|\1file://$PWD/$POLICY|; ${3:-}" "$1" >"$manifest"
  run --separate-stderr "$KWCTL" run --request-path "test_data/$2" "$manifest"
  echo "output = ${output}"
  echo "stderr = ${stderr}"
}

allowed() { jq -r .allowed <<<"$output"; }
message() { jq -r '.status.message // ""' <<<"$output"; }
# Succeeds when the response carries no patch.
no_patch() { [ "$(jq -r '.patch // "none"' <<<"$output")" = none ]; }
# The decoded JSON Patch (an empty list when there is none).
patch_json() { jq -r '.patch // "W10="' <<<"$output" | base64 -d; }
# Succeeds when the jq expression is false for the decoded patch (bats does not fail a test on
# a negated command, so negations go through this).
patch_lacks() { [ "$(patch_json | jq "$1")" = false ]; }
# The mount paths the patch adds to the first container, in order, as a compact JSON list.
added_mounts() { patch_json | jq -c '[.[] | select(.path | startswith("/spec/containers/0/volumeMounts")) | .value | if type == "array" then .[] else . end | .mountPath]'; }
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
    "add /spec/containers/0/volumeMounts/1" \
    "add /spec/containers/0/volumeMounts/2" \
    "add /spec/securityContext/fsGroup" \
    "add /spec/securityContext/runAsGroup" \
    "add /spec/securityContext/runAsNonRoot" \
    "add /spec/securityContext/runAsUser" \
    "add /spec/securityContext/seccompProfile" \
    "add /spec/volumes/1" \
    "add /spec/volumes/2" | sort)
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
  patch_json | jq -e 'any(.[]; (.path | startswith("/spec/volumes")) and .value.name == "writable-home-nobody-cargo")'
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
  [ "$(added_mounts)" = '["/tmp","/data","/home/nobody/.cache/pip"]' ]
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

# --- Bypasses and deadlocks -------------------------------------------------------------------

@test "paths: a log mount is caught however it is spelled" {
  for request in pod_var_log_spelled.json pod_var_log_backstep.json; do
    kw_run "$request"
    [ "$(allowed)" = false ]
    [[ "$(message)" == *'(mounted at "/var/log"), allowed no writable mount at, under or above /var/log'* ]]
  done
  # A backstep is refused outright: the runtime follows the image's symlinks (/var/run -> /run).
  [[ "$(message)" == *'volumeMounts[2].mountPath: found "/var/tmp/../log", allowed a path without .. components'* ]]
}

@test "paths: /tmp/. covers /tmp, no second mount lands there" {
  kw_run pod_tmp_dot.json
  [ "$(allowed)" = true ]
  [ "$(added_mounts)" = '["/data"]' ]
  patch_lacks 'any(.[]; (.value | tostring) | test("\"mountPath\":\"/tmp\""))'
}

@test "paths: a mount of a missing volume is refused, not completed by an injected volume" {
  kw_run pod_mount_of_missing_volume.json
  [ "$(allowed)" = false ]
  [[ "$(message)" == *'volumeMounts[0].name: found "writable-tmp", allowed the name of one of the pod'* ]]
}

@test "ephemeral containers: a debug container on an unhardened pod carries the pod-level fields" {
  kw_run pod_ephemeral_unhardened.json
  [ "$(allowed)" = true ]
  jq -r .patch <<<"$output" | base64 -d | jq -e \
    '.[] | select(.path == "/spec/ephemeralContainers/0/securityContext") | .value | .runAsNonRoot == true and .runAsUser == 65534 and .seccompProfile.type == "RuntimeDefault"'
  kw_run pod_ephemeral_unhardened.json --settings-json '{"mode": "validate"}'
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.ephemeralContainers[0] (debugger-x1).securityContext.runAsNonRoot: found nothing (unset)"* ]]
}

@test "ephemeral containers: a debug container may not mount the pod's emptyDir at /var/log" {
  kw_run pod_ephemeral_var_log.json
  [ "$(allowed)" = false ]
  [[ "$(message)" == *'spec.ephemeralContainers[0] (debugger-logs).volumeMounts[0].mountPath: found "//var/log"'* ]]
}

@test "image user check: a Pod UPDATE that changes an image has that image checked" {
  kw_run pod_update_image.json --settings-json '{"imageUserCheck": "enforce"}' \
    --replay-host-capabilities-interactions test_data/sessions/updated_image_runs_as_root.yml
  [ "$(allowed)" = false ]
  [[ "$(message)" == *'spec.containers[0] (agent).image: found "ghcr.io/example/agent:1.5.0"'*"sets no USER"* ]]
}

@test "workloads: an UPDATE that keeps a non-compliant template is let through with a warning" {
  for request in deployment_update_unchanged.json replicaset_update_unchanged.json cronjob_suspend_unchanged.json; do
    kw_run "$request"
    [ "$(allowed)" = true ]
    no_patch
    jq -e '.warnings | any(contains("the pod template is not compliant"))' <<<"$output"
  done
}

@test "workloads: an object being deleted is never blocked" {
  kw_run deployment_update_deleting.json
  [ "$(allowed)" = true ]
  no_patch
}

@test "workloads: a Job template is never patched on UPDATE" {
  kw_run job_update_template_changed.json --settings-json '{"mutateWorkloadTemplates": true}'
  [ "$(allowed)" = true ]
  no_patch
}

@test "writable paths: devices and read-only parents get nothing injected inside them" {
  kw_run pod_block_device_at_data.json
  [ "$(allowed)" = true ]
  jq -e '.warnings | any(contains("mounts a block device at /data"))' <<<"$output"
  patch_lacks 'any(.[]; (.value | tostring) | test("\"mountPath\":\"/data\""))'
  kw_run pod_configmap_at_data_node.json
  [ "$(allowed)" = true ]
  jq -e '.warnings | any(contains("/data/node_modules inside it stays read-only"))' <<<"$output"
}

@test "writable paths: StatefulSet claims are writable volumes" {
  kw_run statefulset_claim_at_data.json --settings-json '{"mutateWorkloadTemplates": true}'
  [ "$(allowed)" = true ]
  patch_lacks 'any(.[]; (.value | tostring) | test("node_modules"))'
  kw_run statefulset_claim_at_var_log.json
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"volumeMounts[2].mountPath: found \"/var/log\""* ]]
}

@test "templates: a field no pod could be given fails at apply time" {
  kw_run deployment_create.json --settings-json '{"allowedSeccompProfiles": ["Localhost"]}'
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.template.spec.securityContext.seccompProfile.type: found nothing (unset), allowed Localhost"* ]]
}

@test "windows pods are refused with how to exclude them" {
  kw_run pod_windows.json
  [ "$(allowed)" = false ]
  [[ "$(message)" == *'spec.os.name: found "windows", allowed linux or unset'*"namespaceSelector or objectSelector"* ]]
}

@test "image volumes are allowed" {
  kw_run pod_image_volume.json
  [ "$(allowed)" = true ]
  no_patch
}

@test "an empty framework label is no label" {
  kw_run pod_empty_framework_label.json
  [ "$(allowed)" = true ]
  [ "$(added_mounts)" = '["/tmp","/data"]' ]
}

@test "a container named pod is reported as a container" {
  kw_run pod_container_named_pod.json
  jq -e '.warnings | any(. == "agent-hardening added securityContext.readOnlyRootFilesystem: true to pod")' <<<"$output"
}

@test "settings that would defeat the profile are refused" {
  run --separate-stderr "$KWCTL" run --request-path test_data/pod_minimal.json \
    --settings-json '{"writablePaths": [{"path": "/tmp/..", "sizeLimit": "1Gi"}, {"path": "/proc/self", "sizeLimit": "1Gi"}]}' "$POLICY"
  echo "stderr = ${stderr}"
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"writablePaths[0].path: / may not be made writable"* ]]
  [[ "$stderr" == *"writablePaths[1].path: /proc/self is at or under /proc"* ]]
  run --separate-stderr "$KWCTL" run --request-path test_data/pod_minimal.json \
    --settings-json '{"frameworks": {"py": [{"path": "/tmp/", "sizeLimit": "2Gi"}]}}' "$POLICY"
  echo "stderr = ${stderr}"
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"frameworks.py[0]: /tmp (sizeLimit 2Gi"*"is also writablePaths[0] (sizeLimit 1Gi"* ]]
}

# --- HOME and the frameworks' variables ---------------------------------------------------------

@test "env: a python agent gets HOME, TMPDIR and PIP_CACHE_DIR" {
  kw_run pod_framework_python.json
  [ "$(allowed)" = true ]
  [ "$(patch_json | jq -c '.[] | select(.path == "/spec/containers/0/env") | .value')" = \
    '[{"name":"HOME","value":"/home/nobody"},{"name":"TMPDIR","value":"/tmp"},{"name":"PIP_CACHE_DIR","value":"/home/nobody/.cache/pip"}]' ]
  jq -e '.warnings | any(. == "agent-hardening added env PIP_CACHE_DIR=/home/nobody/.cache/pip to agent")' <<<"$output"
}

@test "env: the container's own values and valueFrom are kept, and a HOME outside the mounts is warned about" {
  kw_run pod_env_own_values.json
  [ "$(allowed)" = true ]
  [ "$(patch_json | jq -c '[.[] | select(.path | startswith("/spec/containers/0/env"))]')" = \
    '[{"op":"add","path":"/spec/containers/0/env/2","value":{"name":"TMPDIR","value":"/tmp"}}]' ]
  jq -e '.warnings | any(. == "agent-hardening: agent sets HOME=/home/agent, which no writable mount covers: writes there fail on the read-only root filesystem")' <<<"$output"
}

@test "env: validate mode reports the missing variables" {
  kw_run pod_framework_node.json --settings-json '{"mode": "validate"}'
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.containers[0] (agent).env: found no NPM_CONFIG_CACHE, allowed NPM_CONFIG_CACHE set (the policy would add NPM_CONFIG_CACHE=/home/nobody/.npm)"* ]]
}

@test "env: a compliant pod that sets them is accepted untouched" {
  kw_run pod_compliant.json --settings-json '{"mode": "validate"}'
  [ "$(allowed)" = true ]
  no_patch
}

# --- Platforms --------------------------------------------------------------------------------

# example_settings FILE: the settings of an example ClusterAdmissionPolicy, as JSON.
example_settings() {
  /usr/bin/python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))["spec"]["settings"]))' "examples/$1"
}

@test "sandboxes: an agent Sandbox's pod template is checked and mutated like a Deployment's" {
  kw_run sandbox_create.json --settings-json '{"mutateWorkloadTemplates": true}'
  [ "$(allowed)" = true ]
  patch_ops | grep -qx "add /spec/podTemplate/spec/securityContext/runAsNonRoot"
  kw_run sandbox_update_privileged.json
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.podTemplate.spec.containers[0] (agent).securityContext.privileged: found true"* ]]
}

@test "custom resources: a Rollout is checked once podTemplates names it" {
  kw_run rollout_create.json --settings-json '{"mutateWorkloadTemplates": true}'
  [ "$(allowed)" = true ]
  no_patch
  kw_run rollout_create.json --settings-json '{"mutateWorkloadTemplates": true, "podTemplates": [{"apiGroup": "argoproj.io", "kind": "Rollout", "path": "spec.template"}]}'
  [ "$(allowed)" = true ]
  patch_ops | grep -qx "add /spec/template/spec/securityContext/seccompProfile"
}

@test "exceptions: an istio pod is refused without its exception and admitted with it" {
  kw_run pod_istio_injected.json
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.containers[1] (istio-proxy).securityContext.runAsUser: found 1337"* ]]
  kw_run pod_istio_injected.json --settings-path test_data/settings/istio_exceptions.json
  [ "$(allowed)" = true ]
  jq -e '.warnings | any(startswith("agent-hardening: exception used by init istio-init (docker.io/istio/proxyv2:1.22.0): capabilities.add NET_ADMIN (exceptions[0], docker.io/istio/proxyv2:*)"))' <<<"$output"
  jq -e '.auditAnnotations["exceptions"] | contains("istio-proxy (docker.io/istio/proxyv2:1.22.0): runAsUser 1337")' <<<"$output"
  kw_run pod_istio_impostor.json --settings-path test_data/settings/istio_exceptions.json
  [ "$(allowed)" = false ]
}

@test "exceptions: the mesh example's settings admit the istio pod" {
  kw_run pod_istio_injected.json --settings-json "$(example_settings mesh-exceptions.yaml)"
  [ "$(allowed)" = true ]
}

@test "runtime class: filled when unset, kept when allowed, refused otherwise" {
  settings='{"runtimeClass": {"default": "gvisor", "allowed": ["gvisor", "kata"]}}'
  kw_run pod_minimal.json --settings-json "$settings"
  [ "$(patch_json | jq -r '.[] | select(.path == "/spec/runtimeClassName") | .value')" = gvisor ]
  kw_run pod_compliant.json --settings-json '{"runtimeClass": {"allowed": ["kata"]}}'
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.runtimeClassName: found nothing (unset), allowed one of kata (runtimeClass)"* ]]
}

@test "service account token: keep, default-off, forbid" {
  kw_run pod_service_account_token.json
  patch_lacks 'any(.[]; .path == "/spec/automountServiceAccountToken")'
  kw_run pod_service_account_token.json --settings-json "$(example_settings stronger-isolation.yaml)"
  [ "$(allowed)" = true ]
  patch_json | jq -e 'any(.[]; .path == "/spec/automountServiceAccountToken" and .value == false)'
  jq -e '.warnings[0] | contains("took back the token volume kube-api-access-7xk2q")' <<<"$output"
  patch_json | jq -e 'any(.[]; .op == "remove" and (.path | startswith("/spec/volumes/0")))'
  kw_run pod_compliant.json --settings-json '{"serviceAccountToken": "forbid", "mode": "validate"}'
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.automountServiceAccountToken: found nothing (unset), allowed false"* ]]
}

@test "audit: a request without a user is answered as validate mode" {
  kw_run pod_audit_scanner.json
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.securityContext.runAsNonRoot: found nothing (unset), allowed true"* ]]
  kw_run pod_audit_scanner.json --settings-json '{"auditAsValidate": false}'
  [ "$(allowed)" = true ]
}

@test "audit: the audit example reports what admission would add" {
  kw_run pod_minimal.json --settings-json "$(example_settings audit.yaml)"
  [ "$(allowed)" = false ]
  [[ "$(message)" == *"spec.containers[0] (agent).securityContext.readOnlyRootFilesystem: found nothing (unset)"* ]]
  kw_run pod_compliant.json --settings-json "$(example_settings audit.yaml)"
  [ "$(allowed)" = true ]
}

# --- Deployed as users deploy it: the examples' manifests, with their mode and mutating -------

@test "manifests: the default example mutates a bare pod as its settings say" {
  kw_manifest examples/default.yaml pod_minimal.json
  [ "$status" -eq 0 ]
  [ "$(allowed)" = true ]
  patch_ops | grep -qx "add /spec/securityContext/runAsNonRoot"
}

@test "manifests: monitor mode admits everything, unpatched, with nothing in status" {
  kw_manifest examples/monitor.yaml pod_run_as_root.json
  [ "$status" -eq 0 ]
  [ "$(allowed)" = true ]
  no_patch
  [ "$(jq -r '.status // "none"' <<<"$output")" = none ]
  kw_manifest examples/monitor.yaml pod_minimal.json
  [ "$(allowed)" = true ]
  no_patch
}

@test "manifests: a policy deployed with mutating false refuses what it would patch" {
  kw_manifest examples/default.yaml pod_minimal.json 's/^(  mutating: )true/\1false/'
  [ "$status" -eq 0 ]
  [ "$(allowed)" = false ]
  no_patch
  [[ "$(message)" == *"attempted to mutate the request, but it is currently configured to not allow mutations"* ]]
  kw_manifest examples/default.yaml pod_compliant.json 's/^(  mutating: )true/\1false/'
  [ "$(allowed)" = true ]
}

@test "pods created by controllers (generateName, owner, controller user) are hardened the same" {
  kw_run pod_from_replicaset.json
  [ "$(allowed)" = true ]
  [ "$(added_mounts)" = '["/tmp","/data","/home/nobody/.cache/pip"]' ]
  patch_lacks 'any(.[]; .path | startswith("/metadata"))'
}

#!/usr/bin/env python3
"""Writes the admission requests under test_data/ (run from anywhere; output is committed).

Each file is the `request` object of an AdmissionReview as the API server sends it: defaulted
fields filled in (securityContext: {}, terminationMessagePath, ...), creationTimestamp null,
managedFields left out. Regenerate after editing: `python3 test_data/make_fixtures.py`.
"""
import copy
import hashlib
import json
import os
import sys

# Where the fixtures go: beside this script, or the directory given as the only argument
# (`make fixtures-check` writes them elsewhere and compares).
HERE = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
USER = {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]}


def container(name, image="ghcr.io/example/agent:1.4.2", **extra):
    c = {
        "name": name,
        "image": image,
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }
    c.update(extra)
    return c


def pod_spec(containers, **extra):
    spec = {
        "containers": containers,
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default",
        "serviceAccount": "default",
        "securityContext": {},
        "schedulerName": "default-scheduler",
        "tolerations": [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        ],
        "priority": 0,
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
    }
    spec.update(extra)
    return spec


def metadata(name, labels=None, annotations=None):
    m = {"name": name, "namespace": "agents", "creationTimestamp": None, "labels": {"app": name}}
    if labels:
        m["labels"].update(labels)
    if annotations:
        m["annotations"] = annotations
    return m


def pod(name, spec, labels=None, annotations=None):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata(name, labels, annotations), "spec": spec}


RESOURCES = {
    "Pod": ("", "v1", "pods"),
    "Deployment": ("apps", "v1", "deployments"),
    "ReplicaSet": ("apps", "v1", "replicasets"),
    "StatefulSet": ("apps", "v1", "statefulsets"),
    "DaemonSet": ("apps", "v1", "daemonsets"),
    "Job": ("batch", "v1", "jobs"),
    "CronJob": ("batch", "v1", "cronjobs"),
    "ReplicationController": ("", "v1", "replicationcontrollers"),
    "ConfigMap": ("", "v1", "configmaps"),
    "Sandbox": ("agents.x-k8s.io", "v1alpha1", "sandboxes"),
    "SandboxTemplate": ("extensions.agents.x-k8s.io", "v1alpha1", "sandboxtemplates"),
    "Rollout": ("argoproj.io", "v1alpha1", "rollouts"),
}


def stable_uid(*parts):
    h = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


SA_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


def service_account_volume(suffix):
    return {"name": f"kube-api-access-{suffix}", "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}}


def admitted_by_service_account_plugin(pod_obj):
    """What the ServiceAccount admission plugin (which runs before the webhooks) adds to a pod:
    the projected token volume and its read-only mount in every container and init container
    (not ephemeral ones), unless automounting is off or the pod mounts the path itself."""
    spec = pod_obj.get("spec", {})
    lists = [spec.get(k, []) for k in ("containers", "initContainers", "volumes")]
    if spec.get("automountServiceAccountToken") is False or not all(
            isinstance(l, list) and all(isinstance(x, dict) for x in l) for l in lists):
        return  # automounting off, or a malformed spec the API server would refuse
    if any(v.get("name", "").startswith("kube-api-access-") for v in spec.get("volumes", [])):
        return
    containers = spec.get("containers", []) + spec.get("initContainers", [])
    if any(m.get("mountPath") == SA_MOUNT_PATH for c in containers for m in c.get("volumeMounts", [])):
        return
    seed = pod_obj["metadata"].get("name") or pod_obj["metadata"].get("generateName", "")
    suffix = "".join("bcdfghjklmnpqrstvwxz2456789"[b % 27] for b in hashlib.sha256(seed.encode()).digest()[:5])
    spec.setdefault("volumes", []).append(service_account_volume(suffix))
    for c in containers:
        c.setdefault("volumeMounts", []).append({"name": f"kube-api-access-{suffix}", "readOnly": True, "mountPath": SA_MOUNT_PATH})


def stored(obj, kind):
    """An object as the API server keeps it: uid, resourceVersion, creationTimestamp and, for
    the kinds with a spec, generation."""
    meta = obj.get("metadata")
    if meta is None or "uid" in meta:
        return
    meta["uid"] = stable_uid("stored", kind, meta.get("name", ""))
    meta["resourceVersion"] = str(int(hashlib.sha256(meta.get("name", "").encode()).hexdigest()[:6], 16))
    meta["creationTimestamp"] = "2026-11-20T09:30:00Z"
    if kind != "Pod":
        meta["generation"] = 1


def request(kind, operation, obj, old=None, sub_resource=None, uid=None):
    group, version, resource = RESOURCES[kind]
    if kind == "Pod" and sub_resource in (None, "ephemeralcontainers"):
        for o in (obj, old):
            if o is not None and "spec" in o:
                admitted_by_service_account_plugin(o)
    if operation in ("UPDATE", "DELETE") and sub_resource != "scale":
        for o in (obj, old):
            if o is not None:
                stored(o, kind)
    meta = (obj or old or {}).get("metadata", {})
    name = meta.get("name", "")
    r = {
        "uid": uid or stable_uid(kind, operation, name, sub_resource),
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "name": name,
        "namespace": "agents",
        "operation": operation,
        "userInfo": USER,
        "object": obj,
        "oldObject": old,
        "dryRun": False,
        "options": {"kind": f"{operation.capitalize()}Options", "apiVersion": "meta.k8s.io/v1"},
    }
    if sub_resource:
        r["subResource"] = sub_resource
        r["requestSubResource"] = sub_resource
        r["resource"]["resource"] = resource
    if operation == "DELETE":
        r["options"] = {"kind": "DeleteOptions", "apiVersion": "meta.k8s.io/v1", "propagationPolicy": "Background"}
    return r


HARDENED_POD_SC = {
    "runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534,
    "seccompProfile": {"type": "RuntimeDefault"},
}
HARDENED_SC = {
    "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
}
WRITABLE_MOUNTS = [{"name": "tmp", "mountPath": "/tmp"}, {"name": "workspace", "mountPath": "/data"}]
WRITABLE_VOLUMES = [
    {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
    {"name": "workspace", "emptyDir": {"sizeLimit": "5Gi"}},
]


# What the policy sets for the default writable paths (HOME, and TMPDIR for /tmp).
HARDENED_ENV = [{"name": "HOME", "value": "/home/nobody"}, {"name": "TMPDIR", "value": "/tmp"}]


def compliant_pod(name="agent-compliant", labels=None):
    c = container("agent", securityContext=copy.deepcopy(HARDENED_SC), volumeMounts=copy.deepcopy(WRITABLE_MOUNTS),
                  env=copy.deepcopy(HARDENED_ENV))
    spec = pod_spec([c], securityContext=copy.deepcopy(HARDENED_POD_SC), volumes=copy.deepcopy(WRITABLE_VOLUMES))
    return pod(name, spec, labels)


def bare_pod(name, labels=None, **spec_extra):
    return pod(name, pod_spec([container("agent")], **spec_extra), labels)


def workload(kind, name, template_pod, api="apps/v1"):
    # The selector must match the template's labels (the API server refuses it otherwise).
    labels = dict(template_pod["metadata"]["labels"], app=name)
    template = {"metadata": {"creationTimestamp": None, "labels": labels}, "spec": template_pod["spec"]}
    if "annotations" in template_pod["metadata"]:
        template["metadata"]["annotations"] = template_pod["metadata"]["annotations"]
    selector = {"matchLabels": {"app": name}}
    meta = {"name": name, "namespace": "agents", "creationTimestamp": None, "labels": {"app": name}}
    if kind == "Deployment":
        spec = {"replicas": 1, "selector": selector, "template": template, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600}
    elif kind in ("ReplicaSet", "DaemonSet"):
        spec = {"selector": selector, "template": template}
        if kind == "ReplicaSet":
            spec["replicas"] = 1
    elif kind == "StatefulSet":
        spec = {"replicas": 1, "selector": selector, "serviceName": name, "template": template, "podManagementPolicy": "OrderedReady"}
    elif kind == "Job":
        template["spec"]["restartPolicy"] = "Never"
        spec = {"backoffLimit": 6, "completions": 1, "parallelism": 1, "template": template}
    elif kind == "CronJob":
        template["spec"]["restartPolicy"] = "OnFailure"
        spec = {"schedule": "*/30 * * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                "jobTemplate": {"metadata": {"creationTimestamp": None}, "spec": {"template": template}}}
    elif kind == "ReplicationController":
        spec = {"replicas": 1, "selector": {"app": name}, "template": template}
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}


def write(name, req):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(req, f, indent=2, sort_keys=False)
        f.write("\n")


def main():
    # --- Pods -------------------------------------------------------------------------------
    write("pod_compliant.json", request("Pod", "CREATE", compliant_pod()))
    minimal = bare_pod("agent-minimal")
    minimal["metadata"]["annotations"] = {"example.com/unknown": "kept", "kubectl.kubernetes.io/last-applied-configuration": "{}"}
    minimal["spec"]["x-unknown-field"] = {"kept": True, "nothing": None}
    write("pod_minimal.json", request("Pod", "CREATE", minimal))

    sidecars = pod("agent-with-sidecars", pod_spec(
        [container("agent"), container("proxy", image="ghcr.io/example/proxy:2.0", ports=[{"containerPort": 8080, "protocol": "TCP"}])],
        initContainers=[
            container("setup", image="ghcr.io/example/setup:1.0", command=["/bin/setup"]),
            container("log-shipper", image="ghcr.io/example/shipper:3.1", restartPolicy="Always"),
        ],
    ), {"agent.framework": "python"})
    write("pod_init_and_sidecars.json", request("Pod", "CREATE", sidecars))

    partial = bare_pod("agent-partial", securityContext={"runAsUser": 65534, "runAsNonRoot": True})
    partial["spec"]["containers"][0]["securityContext"] = {
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["NET_RAW"]},
    }
    write("pod_partial.json", request("Pod", "CREATE", partial))

    root = compliant_pod("agent-root")
    root["spec"]["securityContext"]["runAsUser"] = 0
    write("pod_run_as_root.json", request("Pod", "CREATE", root))

    bad = compliant_pod("agent-everything-wrong")
    bad["metadata"]["annotations"] = {"container.apparmor.security.beta.kubernetes.io/agent": "unconfined"}
    s = bad["spec"]
    s.update({"hostNetwork": True, "hostPID": True, "hostIPC": True})
    s["securityContext"].update({
        "runAsNonRoot": False, "runAsGroup": 0, "supplementalGroups": [0],
        "seccompProfile": {"type": "Unconfined"},
        "sysctls": [{"name": "kernel.msgmax", "value": "65536"}],
        "seLinuxOptions": {"type": "spc_t", "user": "system_u", "role": "system_r"},
        "appArmorProfile": {"type": "Unconfined"},
        "windowsOptions": {"hostProcess": True},
    })
    c = s["containers"][0]
    c["securityContext"] = {
        "privileged": True, "allowPrivilegeEscalation": True, "readOnlyRootFilesystem": False,
        "runAsUser": 0, "procMount": "Unmasked",
        "capabilities": {"add": ["SYS_ADMIN", "cap_net_raw"], "drop": ["ALL"]},
    }
    c["ports"] = [{"containerPort": 8080, "hostPort": 80, "protocol": "TCP"}]
    c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080, "host": "169.254.169.254"}}
    c["lifecycle"] = {"preStop": {"tcpSocket": {"port": 22, "host": "10.0.0.1"}}}
    s["volumes"].append({"name": "host", "hostPath": {"path": "/", "type": "Directory"}})
    write("pod_every_violation.json", request("Pod", "CREATE", bad))

    malformed = bare_pod("agent-malformed", securityContext={"runAsUser": "abc"})
    malformed["spec"]["containers"][0]["securityContext"] = {"readOnlyRootFilesystem": "yes"}
    write("pod_malformed.json", request("Pod", "CREATE", malformed))

    many = pod("agent-fleet", pod_spec(
        [container(f"worker-{i}", volumeMounts=[{"name": f"cache-{i}", "mountPath": f"/cache/{i}"}]) for i in range(50)],
        initContainers=[container(f"init-{i}") for i in range(10)],
        volumes=[{"name": f"cache-{i}", "emptyDir": {}} for i in range(50)],
    ), {"agent.framework": "node"})
    write("pod_60_containers.json", request("Pod", "CREATE", many))

    # --- Frameworks and writable paths ---------------------------------------------------------
    for fw in ["python", "python-openllmetry", "node", "java", "go"]:
        write(f"pod_framework_{fw.replace('-', '_')}.json",
              request("Pod", "CREATE", bare_pod(f"agent-{fw}", {"agent.framework": fw})))
    write("pod_framework_unknown.json", request("Pod", "CREATE", bare_pod("agent-ruby", {"agent.framework": "ruby"})))
    write("pod_framework_custom.json", request("Pod", "CREATE", bare_pod("agent-rust", {"agent.framework": "rust"})))

    node_data = bare_pod("agent-node-data", {"agent.framework": "node"})
    node_data["spec"]["containers"][0]["volumeMounts"] = [{"name": "workspace", "mountPath": "/data"}]
    node_data["spec"]["volumes"] = [{"name": "workspace", "emptyDir": {"sizeLimit": "5Gi"}}]
    write("pod_writable_ancestor.json", request("Pod", "CREATE", node_data))

    named_tmp = bare_pod("agent-volume-named-tmp")
    named_tmp["spec"]["containers"][0]["volumeMounts"] = [{"name": "tmp", "mountPath": "/scratch"}]
    named_tmp["spec"]["volumes"] = [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}]
    write("pod_user_volume_named_tmp.json", request("Pod", "CREATE", named_tmp))

    cm_tmp = bare_pod("agent-configmap-tmp")
    cm_tmp["spec"]["containers"][0]["volumeMounts"] = [{"name": "settings", "mountPath": "/tmp"}]
    cm_tmp["spec"]["volumes"] = [{"name": "settings", "configMap": {"name": "agent-settings", "defaultMode": 420}}]
    write("pod_configmap_at_tmp.json", request("Pod", "CREATE", cm_tmp))

    no_limit = bare_pod("agent-tmp-no-limit")
    no_limit["spec"]["containers"][0]["volumeMounts"] = [{"name": "scratch", "mountPath": "/tmp"}]
    no_limit["spec"]["volumes"] = [{"name": "scratch", "emptyDir": {}}]
    write("pod_emptydir_without_limit.json", request("Pod", "CREATE", no_limit))

    memory = compliant_pod("agent-memory-too-big")
    memory["spec"]["volumes"].append({"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "16Gi"}})
    memory["spec"]["containers"][0]["volumeMounts"].append({"name": "shm", "mountPath": "/dev/shm"})
    write("pod_memory_emptydir_too_big.json", request("Pod", "CREATE", memory))

    log_host = compliant_pod("agent-hostpath-var-log")
    log_host["spec"]["volumes"].append({"name": "logs", "hostPath": {"path": "/var/log/agents", "type": "DirectoryOrCreate"}})
    log_host["spec"]["containers"][0]["volumeMounts"].append({"name": "logs", "mountPath": "/var/log"})
    write("pod_hostpath_var_log.json", request("Pod", "CREATE", log_host))

    log_empty = compliant_pod("agent-emptydir-var-log")
    log_empty["spec"]["volumes"].append({"name": "logs", "emptyDir": {"sizeLimit": "1Gi"}})
    log_empty["spec"]["containers"][0]["volumeMounts"].append({"name": "logs", "mountPath": "/var/log/agent"})
    write("pod_emptydir_var_log.json", request("Pod", "CREATE", log_empty))

    logs_ok = compliant_pod("agent-var-logs")
    logs_ok["spec"]["volumes"].append({"name": "logs", "emptyDir": {"sizeLimit": "1Gi"}})
    logs_ok["spec"]["containers"][0]["volumeMounts"].append({"name": "logs", "mountPath": "/var/logs"})
    write("pod_var_logs_allowed.json", request("Pod", "CREATE", logs_ok))

    # --- Other operations on pods ---------------------------------------------------------------
    done = compliant_pod("agent-running")
    done["spec"]["nodeName"] = "worker-1"
    changed = copy.deepcopy(done)
    changed["metadata"]["labels"]["rollout"] = "2"
    write("pod_update.json", request("Pod", "UPDATE", changed, old=done))
    write("pod_delete.json", request("Pod", "DELETE", None, old=done))
    write("pod_connect_exec.json", dict(request("Pod", "CONNECT", {"kind": "PodExecOptions", "apiVersion": "v1", "stdin": True, "tty": True, "container": "agent", "command": ["sh"]}, sub_resource="exec"),
                                        options=None))

    debug_old = copy.deepcopy(done)
    debug_old["spec"]["ephemeralContainers"] = [container("debugger-old", image="busybox:1.36", securityContext={"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}})]
    debug_new = copy.deepcopy(debug_old)
    debug_new["spec"]["ephemeralContainers"].append(container("debugger-k7x2p", image="busybox:1.36", stdin=True, tty=True, targetContainerName="agent"))
    write("pod_ephemeral_debug.json", request("Pod", "UPDATE", debug_new, old=debug_old, sub_resource="ephemeralcontainers"))
    debug_priv = copy.deepcopy(debug_old)
    debug_priv["spec"]["ephemeralContainers"].append(container("debugger-root", image="busybox:1.36", securityContext={"privileged": True, "runAsUser": 0}))
    write("pod_ephemeral_privileged.json", request("Pod", "UPDATE", debug_priv, old=debug_old, sub_resource="ephemeralcontainers"))

    # --- Workloads -------------------------------------------------------------------------------
    apis = {"Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
            "Job": "batch/v1", "CronJob": "batch/v1", "ReplicationController": "v1"}
    for kind, api in apis.items():
        lower = kind.lower()
        bare = workload(kind, f"agent-{lower}", bare_pod("t", {"agent.framework": "python"}), api)
        write(f"{lower}_create.json", request(kind, "CREATE", bare))
        bad = workload(kind, f"agent-{lower}", bare_pod("t", {"agent.framework": "python"}, hostPID=True), api)
        bad_c = bad["spec"]["jobTemplate"]["spec"]["template"] if kind == "CronJob" else bad["spec"]["template"]
        bad_c["spec"]["containers"][0]["securityContext"] = {"privileged": True}
        old = copy.deepcopy(bare)
        write(f"{lower}_update_privileged.json", request(kind, "UPDATE", bad, old=old))
    ok = workload("Deployment", "agent-deployment", compliant_pod("t", {"agent.framework": "go"}))
    write("deployment_compliant.json", request("Deployment", "CREATE", ok))
    def scale(replicas):
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {"name": "agent-deployment", "namespace": "agents", "uid": stable_uid("stored", "Deployment", "agent-deployment"),
                             "resourceVersion": "48213", "creationTimestamp": "2026-11-20T09:30:00Z"},
                "spec": {"replicas": replicas}, "status": {"replicas": 1, "selector": "app=agent-deployment"}}
    scale_request = request("Deployment", "UPDATE", scale(3), old=scale(1), sub_resource="scale")
    scale_request["kind"] = {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    scale_request["requestKind"] = dict(scale_request["kind"])
    write("deployment_scale.json", scale_request)

    # --- Pods created by controllers: generateName, an owner, the controller's user -------------
    def controller_user(name):
        return {"username": f"system:serviceaccount:kube-system:{name}", "uid": stable_uid("sa", name),
                "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]}

    def owned_pod(generate_name, owner_kind, owner_name, labels, **spec_extra):
        p = bare_pod("", labels, **spec_extra)
        del p["metadata"]["name"]
        p["metadata"]["generateName"] = generate_name
        p["metadata"]["ownerReferences"] = [{
            "apiVersion": "batch/v1" if owner_kind == "Job" else "apps/v1", "kind": owner_kind, "name": owner_name,
            "uid": stable_uid("stored", owner_kind, owner_name), "controller": True, "blockOwnerDeletion": True}]
        # The controller's field ownership, sent to webhooks as the API server keeps it.
        p["metadata"]["managedFields"] = [{
            "manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
            "time": "2026-11-29T09:30:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, **{f"f:{k}": {} for k in labels}},
                                        "f:ownerReferences": {".": {}, f'k:{{"uid":"{stable_uid("stored", owner_kind, owner_name)}"}}': {}}},
                         "f:spec": {"f:containers": {'k:{"name":"agent"}': {".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {},
                                                                             "f:resources": {}, "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}}},
                                    "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:restartPolicy": {}, "f:schedulerName": {},
                                    "f:securityContext": {}, "f:terminationGracePeriodSeconds": {}}}}]
        return p

    rs_pod = owned_pod("agent-deployment-5d8f7c9b4-", "ReplicaSet", "agent-deployment-5d8f7c9b4",
                       {"app": "agent-deployment", "pod-template-hash": "5d8f7c9b4", "agent.framework": "python"})
    r = request("Pod", "CREATE", rs_pod)
    r["userInfo"] = controller_user("replicaset-controller")
    write("pod_from_replicaset.json", r)
    job_uid = stable_uid("stored", "Job", "agent-job")
    job_pod = owned_pod("agent-job-", "Job", "agent-job",
                        {"app": "agent-job", "batch.kubernetes.io/controller-uid": job_uid, "batch.kubernetes.io/job-name": "agent-job",
                         "controller-uid": job_uid, "job-name": "agent-job", "agent.framework": "python"},
                        restartPolicy="Never")
    r = request("Pod", "CREATE", job_pod)
    r["userInfo"] = controller_user("job-controller")
    write("pod_from_job.json", r)

    # --- Not ours ---------------------------------------------------------------------------------
    write("configmap_create.json", request("ConfigMap", "CREATE", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "agent-settings", "namespace": "agents"}, "data": {"model": "small"}}))


# --- One fixture per rule, both ways -------------------------------------------------------------
# Each case is the compliant pod with one field removed or set; test_data/rules/index.json says
# what the policy must answer, and tests/pod_rules.rs checks every entry.

# Hardened fields filled in when missing: (pointer, JSON value added).
FILLED = [
    ("/spec/securityContext/runAsNonRoot", "true"),
    ("/spec/securityContext/runAsUser", "65534"),
    ("/spec/securityContext/runAsGroup", "65534"),
    ("/spec/securityContext/fsGroup", "65534"),
    ("/spec/securityContext/seccompProfile", "{\"type\":\"RuntimeDefault\"}"),
    ("/spec/containers/0/securityContext/readOnlyRootFilesystem", "true"),
    ("/spec/containers/0/securityContext/allowPrivilegeEscalation", "false"),
    ("/spec/containers/0/securityContext/capabilities", "{\"drop\":[\"ALL\"]}"),
    ("/spec/containers/0/securityContext/capabilities/drop", "[\"ALL\"]"),
]

# Explicit violations: (pointer, JSON value set, the line the rejection must contain).
VIOLATIONS = [
    ("/spec/hostNetwork", "true", "spec.hostNetwork: found true, allowed false or unset"),
    ("/spec/hostPID", "true", "spec.hostPID: found true"),
    ("/spec/hostIPC", "true", "spec.hostIPC: found true"),
    ("/spec/securityContext/runAsNonRoot", "false", "spec.securityContext.runAsNonRoot: found false, allowed true"),
    ("/spec/securityContext/runAsUser", "0", "spec.securityContext.runAsUser: found 0, allowed a non-root user id: 65534"),
    ("/spec/securityContext/runAsUser", "1000", "spec.securityContext.runAsUser: found 1000"),
    ("/spec/securityContext/runAsGroup", "0", "spec.securityContext.runAsGroup: found 0"),
    ("/spec/securityContext/fsGroup", "0", "spec.securityContext.fsGroup: found 0"),
    ("/spec/securityContext/supplementalGroups", "[65534, 0]", "spec.securityContext.supplementalGroups[1]: found 0"),
    ("/spec/securityContext/seccompProfile/type", "\"Unconfined\"", "spec.securityContext.seccompProfile.type: found \"Unconfined\", allowed RuntimeDefault"),
    ("/spec/securityContext/seccompProfile/type", "\"Localhost\"", "spec.securityContext.seccompProfile.type: found \"Localhost\""),
    ("/spec/securityContext/sysctls", "[{\"name\":\"net.core.somaxconn\",\"value\":\"1024\"}]", "spec.securityContext.sysctls[0].name: found \"net.core.somaxconn\""),
    ("/spec/securityContext/seLinuxOptions", "{\"type\":\"spc_t\"}", "spec.securityContext.seLinuxOptions.type: found \"spc_t\""),
    ("/spec/securityContext/seLinuxOptions", "{\"user\":\"system_u\"}", "spec.securityContext.seLinuxOptions.user: found \"system_u\", allowed unset"),
    ("/spec/securityContext/seLinuxOptions", "{\"role\":\"sysadm_r\"}", "spec.securityContext.seLinuxOptions.role: found \"sysadm_r\""),
    ("/spec/securityContext/appArmorProfile", "{\"type\":\"Unconfined\"}", "spec.securityContext.appArmorProfile.type: found \"Unconfined\""),
    ("/spec/securityContext/appArmorProfile", "{\"type\":\"Localhost\"}", "spec.securityContext.appArmorProfile.localhostProfile: found nothing (unset)"),
    ("/spec/securityContext/windowsOptions", "{\"hostProcess\":true}", "spec.securityContext.windowsOptions.hostProcess: found true"),
    ("/metadata/annotations", "{\"container.apparmor.security.beta.kubernetes.io/agent\":\"unconfined\"}", "metadata.annotations[container.apparmor.security.beta.kubernetes.io/agent]: found \"unconfined\""),
    ("/spec/containers/0/securityContext/readOnlyRootFilesystem", "false", "spec.containers[0] (agent).securityContext.readOnlyRootFilesystem: found false, allowed true"),
    ("/spec/containers/0/securityContext/allowPrivilegeEscalation", "true", "spec.containers[0] (agent).securityContext.allowPrivilegeEscalation: found true, allowed false"),
    ("/spec/containers/0/securityContext/privileged", "true", "spec.containers[0] (agent).securityContext.privileged: found true, allowed false or unset"),
    ("/spec/containers/0/securityContext/procMount", "\"Unmasked\"", "spec.containers[0] (agent).securityContext.procMount: found \"Unmasked\", allowed Default or unset"),
    ("/spec/containers/0/securityContext/runAsNonRoot", "false", "spec.containers[0] (agent).securityContext.runAsNonRoot: found false"),
    ("/spec/containers/0/securityContext/runAsUser", "0", "spec.containers[0] (agent).securityContext.runAsUser: found 0"),
    ("/spec/containers/0/securityContext/runAsGroup", "0", "spec.containers[0] (agent).securityContext.runAsGroup: found 0"),
    ("/spec/containers/0/securityContext/seccompProfile", "{\"type\":\"Unconfined\"}", "spec.containers[0] (agent).securityContext.seccompProfile.type: found \"Unconfined\""),
    ("/spec/containers/0/securityContext/seLinuxOptions", "{\"type\":\"unconfined_t\"}", "spec.containers[0] (agent).securityContext.seLinuxOptions.type: found \"unconfined_t\""),
    ("/spec/containers/0/securityContext/appArmorProfile", "{\"type\":\"Unconfined\"}", "spec.containers[0] (agent).securityContext.appArmorProfile.type: found \"Unconfined\""),
    ("/spec/containers/0/securityContext/windowsOptions", "{\"hostProcess\":true}", "spec.containers[0] (agent).securityContext.windowsOptions.hostProcess: found true"),
    ("/spec/containers/0/securityContext/capabilities/add", "[\"SYS_ADMIN\"]", "spec.containers[0] (agent).securityContext.capabilities.add[0]: found \"SYS_ADMIN\", allowed no added capabilities"),
    ("/spec/containers/0/securityContext/capabilities/add", "[\"cap_sys_ptrace\"]", "spec.containers[0] (agent).securityContext.capabilities.add[0]: found \"cap_sys_ptrace\""),
    ("/spec/containers/0/securityContext/capabilities/drop", "\"ALL\"", "spec.containers[0] (agent).securityContext.capabilities.drop: found \"ALL\", allowed a list"),
    ("/spec/containers/0/ports", "[{\"containerPort\":8080,\"hostPort\":8080}]", "spec.containers[0] (agent).ports[0].hostPort: found 8080, allowed 0 or unset"),
    ("/spec/containers/0/readinessProbe", "{\"httpGet\":{\"port\":8080,\"host\":\"example.com\"}}", "spec.containers[0] (agent).readinessProbe.httpGet.host: found \"example.com\""),
    ("/spec/containers/0/startupProbe", "{\"tcpSocket\":{\"port\":8080,\"host\":\"10.1.2.3\"}}", "spec.containers[0] (agent).startupProbe.tcpSocket.host: found \"10.1.2.3\""),
    ("/spec/containers/0/lifecycle", "{\"postStart\":{\"httpGet\":{\"port\":80,\"host\":\"metadata.google.internal\"}}}", "spec.containers[0] (agent).lifecycle.postStart.httpGet.host: found \"metadata.google.internal\""),
    ("/spec/volumes/0", "{\"name\":\"tmp\",\"hostPath\":{\"path\":\"/tmp\"}}", "spec.volumes[0] (tmp).hostPath: found {\"path\":\"/tmp\"}, allowed a volume of type configMap, csi"),
    ("/spec/volumes/0", "{\"name\":\"tmp\",\"nfs\":{\"server\":\"nfs\",\"path\":\"/\"}}", "spec.volumes[0] (tmp).nfs: found"),
    ("/spec/initContainers", "[{\"name\":\"setup\",\"image\":\"busybox\",\"securityContext\":{\"privileged\":true}}]", "spec.initContainers[0] (setup).securityContext.privileged: found true"),
    ("/spec/ephemeralContainers", "[{\"name\":\"debug\",\"image\":\"busybox\",\"securityContext\":{\"runAsUser\":0}}]", "spec.ephemeralContainers[0] (debug).securityContext.runAsUser: found 0"),
    ("/spec/securityContext/runAsUser", "\"abc\"", "spec.securityContext.runAsUser: found \"abc\", allowed a non-root user id"),
    ("/spec/containers/0/securityContext", "[]", "spec.containers[0] (agent).securityContext: found [], allowed an object"),
    ("/spec/containers", "{\"name\":\"agent\"}", "spec.containers: found {\"name\":\"agent\"}, allowed a list"),
    # Found by mutation testing: a drop list holding a non-name is refused, not appended to.
    ("/spec/containers/0/securityContext/capabilities/drop", "[\"NET_RAW\", 5]", "spec.containers[0] (agent).securityContext.capabilities.drop: found [\"NET_RAW\",5], allowed a list of capability names containing ALL"),
]

# Values other than the default that are accepted: (settings JSON, pointer, JSON value).
ALLOWED = [
    ("{}", "/spec/hostNetwork", "false"),
    ("{}", "/spec/containers/0/securityContext/privileged", "false"),
    ("{}", "/spec/containers/0/securityContext/procMount", "\"Default\""),
    ("{}", "/spec/containers/0/securityContext/runAsUser", "65534"),
    ("{}", "/spec/containers/0/securityContext/runAsNonRoot", "true"),
    ("{}", "/spec/containers/0/securityContext/seccompProfile", "{\"type\":\"RuntimeDefault\"}"),
    ("{}", "/spec/containers/0/securityContext/capabilities/drop", "[\"NET_RAW\",\"ALL\"]"),
    ("{}", "/spec/containers/0/ports", "[{\"containerPort\":8080,\"hostPort\":0}]"),
    ("{}", "/spec/containers/0/livenessProbe", "{\"httpGet\":{\"port\":8080,\"path\":\"/healthz\"}}"),
    ("{}", "/spec/securityContext/sysctls", "[{\"name\":\"net.ipv4.ip_unprivileged_port_start\",\"value\":\"0\"}]"),
    ("{}", "/spec/securityContext/seLinuxOptions", "{\"type\":\"container_t\",\"level\":\"s0:c123,c456\"}"),
    ("{}", "/spec/securityContext/appArmorProfile", "{\"type\":\"RuntimeDefault\"}"),
    ("{}", "/spec/securityContext/supplementalGroups", "[65534]"),
    ("{}", "/metadata/annotations", "{\"container.apparmor.security.beta.kubernetes.io/agent\":\"runtime/default\"}"),
    ("{\"allowedCapabilities\":[\"cap_net_bind_service\"]}", "/spec/containers/0/securityContext/capabilities/add", "[\"NET_BIND_SERVICE\"]"),
    ("{\"allowedUserRanges\":[{\"min\":10000,\"max\":20000}]}", "/spec/securityContext/runAsUser", "15000"),
    ("{\"allowedGroupRanges\":[{\"min\":10000,\"max\":20000}]}", "/spec/securityContext/fsGroup", "20000"),
    ("{\"allowedGroupRanges\":[{\"min\":10000,\"max\":20000}]}", "/spec/securityContext/supplementalGroups", "[10000, 65534]"),
    ("{\"runAsUser\":1001,\"runAsGroup\":1001}", "/spec/securityContext/runAsUser", "1001"),
    ("{\"allowedSeccompProfiles\":[\"RuntimeDefault\",\"Localhost\"]}", "/spec/securityContext/seccompProfile", "{\"type\":\"Localhost\",\"localhostProfile\":\"profiles/agent.json\"}"),
]


def json_pointer_parts(pointer):
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


def set_pointer(obj, pointer, value):
    parts = json_pointer_parts(pointer)
    node = obj
    for part in parts[:-1]:
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def remove_pointer(obj, pointer):
    parts = json_pointer_parts(pointer)
    node = obj
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        del node[int(parts[-1])]
    else:
        del node[parts[-1]]


def slug(pointer):
    keep = [p for p in json_pointer_parts(pointer) if not p.isdigit() and p not in ("spec", "securityContext")]
    return "-".join(keep[-2:]).replace(".", "-").replace("/", "-").lower()


def rule_cases():
    os.makedirs(os.path.join(HERE, "rules"), exist_ok=True)
    index = []

    def emit(name, obj, entry):
        write(os.path.join("rules", name), request("Pod", "CREATE", obj, uid=stable_uid("rule", name)))
        entry["file"] = f"rules/{name}"
        index.append(entry)

    for i, (pointer, value) in enumerate(FILLED):
        pod = compliant_pod("agent-rule-missing")
        remove_pointer(pod, pointer)
        emit(f"missing-{i:02d}-{slug(pointer)}.json", pod,
             {"expect": "mutate", "pointer": pointer, "added": json.loads(value)})
    for i, (pointer, value, line) in enumerate(VIOLATIONS):
        pod = compliant_pod("agent-rule-violation")
        set_pointer(pod, pointer, json.loads(value))
        emit(f"violation-{i:02d}-{slug(pointer)}.json", pod,
             {"expect": "reject", "pointer": pointer, "line": line})
    for i, (settings, pointer, value) in enumerate(ALLOWED):
        pod = compliant_pod("agent-rule-allowed")
        set_pointer(pod, pointer, json.loads(value))
        emit(f"allowed-{i:02d}-{slug(pointer)}.json", pod,
             {"expect": "accept", "pointer": pointer, "settings": json.loads(settings)})
    with open(os.path.join(HERE, "rules", "index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


# --- Bypasses and deadlocks (issue 8) ------------------------------------------------------------
def with_log_mount(name, mount_path):
    p = compliant_pod(name)
    p["spec"]["volumes"].append({"name": "logs", "emptyDir": {"sizeLimit": "1Gi"}})
    p["spec"]["containers"][0]["volumeMounts"].append({"name": "logs", "mountPath": mount_path})
    return p


def unhardened_running_pod(name):
    """A pod created before the policy: no pod-level securityContext, nothing hardened."""
    p = bare_pod(name)
    p["spec"]["nodeName"] = "worker-1"
    p["spec"]["volumes"] = [{"name": "scratch", "emptyDir": {}}]
    p["spec"]["containers"][0]["volumeMounts"] = [{"name": "scratch", "mountPath": "/scratch"}]
    return p


def bypass_cases():
    # 1. Path spelling: the runtime cleans mount paths before mounting.
    write("pod_var_log_spelled.json", request("Pod", "CREATE", with_log_mount("agent-var-log-spelled", "/var/./log")))
    write("pod_var_log_backstep.json", request("Pod", "CREATE", with_log_mount("agent-var-log-backstep", "/var/tmp/../log")))
    tmp_dot = bare_pod("agent-tmp-dot")
    tmp_dot["spec"]["containers"][0]["volumeMounts"] = [{"name": "scratch", "mountPath": "/tmp/."}]
    tmp_dot["spec"]["volumes"] = [{"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}]
    write("pod_tmp_dot.json", request("Pod", "CREATE", tmp_dot))

    # 2 and 3. Debug containers on a pod that was never hardened.
    old = unhardened_running_pod("agent-legacy")
    new = copy.deepcopy(old)
    new["spec"]["ephemeralContainers"] = [container("debugger-x1", image="busybox:1.36", stdin=True, tty=True, targetContainerName="agent")]
    write("pod_ephemeral_unhardened.json", request("Pod", "UPDATE", new, old=old, sub_resource="ephemeralcontainers"))
    logs = copy.deepcopy(old)
    logs["spec"]["ephemeralContainers"] = [container("debugger-logs", image="busybox:1.36", securityContext=copy.deepcopy(HARDENED_SC),
                                                     volumeMounts=[{"name": "scratch", "mountPath": "//var/log"}])]
    write("pod_ephemeral_var_log.json", request("Pod", "UPDATE", logs, old=old, sub_resource="ephemeralcontainers"))

    # 4. A running pod's image changed (the image user check looks at that image only).
    running = compliant_pod("agent-running-image")
    running["spec"]["nodeName"] = "worker-1"
    running["spec"]["initContainers"] = [container("setup", image="ghcr.io/example/setup:1.0", securityContext=copy.deepcopy(HARDENED_SC))]
    bumped = copy.deepcopy(running)
    bumped["spec"]["containers"][0]["image"] = "ghcr.io/example/agent:1.5.0"
    write("pod_update_image.json", request("Pod", "UPDATE", bumped, old=running))

    # 5. Workload UPDATEs that do not change the pod template.
    bad_template = bare_pod("t", {"agent.framework": "python"}, hostPID=True)
    bad_template["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    old_dep = workload("Deployment", "agent-legacy", copy.deepcopy(bad_template))
    scaled = copy.deepcopy(old_dep)
    scaled["spec"]["replicas"] = 0
    write("deployment_update_unchanged.json", request("Deployment", "UPDATE", scaled, old=old_dep))
    old_rs = workload("ReplicaSet", "agent-legacy-5d8f", copy.deepcopy(bad_template))
    rs_scaled = copy.deepcopy(old_rs)
    rs_scaled["spec"]["replicas"] = 0
    write("replicaset_update_unchanged.json", request("ReplicaSet", "UPDATE", rs_scaled, old=old_rs))
    old_cron = workload("CronJob", "agent-legacy-cron", copy.deepcopy(bad_template), "batch/v1")
    suspended = copy.deepcopy(old_cron)
    suspended["spec"]["suspend"] = True
    write("cronjob_suspend_unchanged.json", request("CronJob", "UPDATE", suspended, old=old_cron))
    deleting_old = copy.deepcopy(old_dep)
    deleting_old["metadata"]["finalizers"] = ["example.com/cleanup"]
    deleting_old["metadata"]["deletionTimestamp"] = "2026-11-29T10:00:00Z"
    deleting = copy.deepcopy(deleting_old)
    deleting["metadata"]["finalizers"] = []
    deleting["spec"]["template"]["metadata"]["annotations"] = {"example.com/touched": "yes"}
    write("deployment_update_deleting.json", request("Deployment", "UPDATE", deleting, old=deleting_old))

    # 6. A Job created before the policy, updated (e.g. unsuspended): never patched.
    job_old = workload("Job", "agent-legacy-job", bare_pod("t", {"agent.framework": "python"}), "batch/v1")
    job_old["spec"]["suspend"] = True
    job_new = copy.deepcopy(job_old)
    job_new["spec"]["suspend"] = False
    job_new["spec"]["template"]["metadata"]["labels"]["queue"] = "gpu"
    write("job_update_template_changed.json", request("Job", "UPDATE", job_new, old=job_old))

    # 7. A block device occupies its devicePath.
    dev = bare_pod("agent-block-data")
    dev["spec"]["containers"][0]["volumeDevices"] = [{"name": "block", "devicePath": "/data"}]
    dev["spec"]["volumes"] = [{"name": "block", "persistentVolumeClaim": {"claimName": "agent-block"}}]
    write("pod_block_device_at_data.json", request("Pod", "CREATE", dev))

    # 8. A read-only mount above a required path.
    cm = bare_pod("agent-node-configmap-data", {"agent.framework": "node"})
    cm["spec"]["containers"][0]["volumeMounts"] = [{"name": "settings", "mountPath": "/data"}]
    cm["spec"]["volumes"] = [{"name": "settings", "configMap": {"name": "agent-settings", "defaultMode": 420}}]
    write("pod_configmap_at_data_node.json", request("Pod", "CREATE", cm))

    # 9. StatefulSet volumeClaimTemplates are writable volumes.
    claim = {"metadata": {"name": "workspace", "creationTimestamp": None},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}, "volumeMode": "Filesystem"},
             "status": {"phase": "Pending"}}
    sts_tpl = bare_pod("t", {"agent.framework": "node"})
    sts_tpl["spec"]["containers"][0]["volumeMounts"] = [{"name": "workspace", "mountPath": "/data"}]
    sts = workload("StatefulSet", "agent-sts", sts_tpl)
    sts["spec"]["volumeClaimTemplates"] = [copy.deepcopy(claim)]
    write("statefulset_claim_at_data.json", request("StatefulSet", "CREATE", sts))
    sts_log_tpl = compliant_pod("t")
    sts_log_tpl["spec"]["containers"][0]["volumeMounts"].append({"name": "logs", "mountPath": "/var/log"})
    sts_log = workload("StatefulSet", "agent-sts-logs", sts_log_tpl)
    claim_logs = copy.deepcopy(claim)
    claim_logs["metadata"]["name"] = "logs"
    sts_log["spec"]["volumeClaimTemplates"] = [claim_logs]
    write("statefulset_claim_at_var_log.json", request("StatefulSet", "CREATE", sts_log))

    # 11. Windows pods.
    win = bare_pod("agent-windows", os={"name": "windows"})
    win["spec"]["containers"][0]["image"] = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
    write("pod_windows.json", request("Pod", "CREATE", win))

    # 12. Image volumes (Kubernetes 1.33+): models shipped as OCI artifacts.
    model = compliant_pod("agent-with-model")
    model["spec"]["volumes"].append({"name": "model", "image": {"reference": "ghcr.io/example/models/small:1.0", "pullPolicy": "IfNotPresent"}})
    model["spec"]["containers"][0]["volumeMounts"].append({"name": "model", "mountPath": "/models", "readOnly": True})
    write("pod_image_volume.json", request("Pod", "CREATE", model))

    # 13. An empty framework label.
    write("pod_empty_framework_label.json", request("Pod", "CREATE", bare_pod("agent-empty-label", {"agent.framework": ""})))

    # Found by fuzzing: a mount of a volume the pod lacks, named like one the policy injects.
    ghost = bare_pod("agent-ghost-volume")
    ghost["spec"]["containers"][0]["volumeMounts"] = [{"name": "writable-tmp", "mountPath": "/var/log"}]
    write("pod_mount_of_missing_volume.json", request("Pod", "CREATE", ghost))

    # 18. A container named "pod".
    named_pod = pod("agent-container-named-pod", pod_spec([container("pod")]))
    write("pod_container_named_pod.json", request("Pod", "CREATE", named_pod))


# --- Variables that point the frameworks at their writable paths (issue 9) -----------------------
def env_cases():
    own = bare_pod("agent-own-env", {"agent.framework": "python"})
    own["spec"]["containers"][0]["env"] = [
        {"name": "HOME", "value": "/home/agent"},
        {"name": "PIP_CACHE_DIR", "valueFrom": {"configMapKeyRef": {"name": "agent-settings", "key": "pip-cache"}}},
    ]
    write("pod_env_own_values.json", request("Pod", "CREATE", own))


# --- Platforms: sandboxes, meshes, stronger isolation (issue 12) --------------------------------
KUBE_API_ACCESS = {"name": "kube-api-access-7xk2q", "projected": {"defaultMode": 420, "sources": [
    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
    {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
]}}
KUBE_API_MOUNT = {"name": "kube-api-access-7xk2q", "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}


def platform_cases():
    template = bare_pod("t", {"agent.framework": "python"})
    tpl = {"metadata": {"labels": template["metadata"]["labels"]}, "spec": template["spec"]}
    sandbox = {"apiVersion": "agents.x-k8s.io/v1alpha1", "kind": "Sandbox",
               "metadata": {"name": "agent-sandbox", "namespace": "agents"},
               "spec": {"podTemplate": copy.deepcopy(tpl)}}
    write("sandbox_create.json", request("Sandbox", "CREATE", sandbox))
    bad = copy.deepcopy(sandbox)
    bad["spec"]["podTemplate"]["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    write("sandbox_update_privileged.json", request("Sandbox", "UPDATE", bad, old=sandbox))
    st = {"apiVersion": "extensions.agents.x-k8s.io/v1alpha1", "kind": "SandboxTemplate",
          "metadata": {"name": "python-agent", "namespace": "agents"},
          "spec": {"podTemplate": copy.deepcopy(tpl)}}
    st["spec"]["podTemplate"]["spec"]["hostNetwork"] = True
    write("sandboxtemplate_host_network.json", request("SandboxTemplate", "CREATE", st))
    rollout = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
               "metadata": {"name": "agent-rollout", "namespace": "agents"},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "t"}},
                        "strategy": {"canary": {"steps": [{"setWeight": 20}]}},
                        "template": copy.deepcopy(tpl)}}
    write("rollout_create.json", request("Rollout", "CREATE", rollout))

    # An istio-injected agent pod: the proxy runs as 1337, istio-init as root with NET_ADMIN/NET_RAW.
    proxy_image = "docker.io/istio/proxyv2:1.22.0"
    mesh = bare_pod("agent-mesh", {"agent.framework": "python"})
    mesh["spec"]["containers"].append(container("istio-proxy", image=proxy_image, securityContext={
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "privileged": False,
        "readOnlyRootFilesystem": True, "runAsGroup": 1337, "runAsNonRoot": True, "runAsUser": 1337}))
    mesh["spec"]["initContainers"] = [container("istio-init", image=proxy_image, securityContext={
        "allowPrivilegeEscalation": False, "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
        "privileged": False, "readOnlyRootFilesystem": False, "runAsGroup": 0, "runAsNonRoot": False, "runAsUser": 0})]
    write("pod_istio_injected.json", request("Pod", "CREATE", mesh))
    # The same security context on an image that is not the mesh's.
    impostor = copy.deepcopy(mesh)
    impostor["spec"]["initContainers"][0]["image"] = "docker.io/attacker/proxyv2:1.22.0"
    impostor["spec"]["initContainers"][0]["name"] = "istio-init"
    write("pod_istio_impostor.json", request("Pod", "CREATE", impostor))

    # A pod as it reaches the webhook after the ServiceAccount admission plugin.
    token = bare_pod("agent-with-token")
    token["spec"]["volumes"] = [copy.deepcopy(KUBE_API_ACCESS)]
    token["spec"]["containers"][0]["volumeMounts"] = [copy.deepcopy(KUBE_API_MOUNT)]
    write("pod_service_account_token.json", request("Pod", "CREATE", token))

    # The audit scanner's requests carry no user.
    audit = request("Pod", "CREATE", bare_pod("agent-audited"))
    audit["userInfo"] = {}
    write("pod_audit_scanner.json", audit)


# --- Benchmark curve (issue 10): python agents with 1, 10, 30 and 100 containers -----------------
def bench_cases():
    os.makedirs(os.path.join(HERE, "bench"), exist_ok=True)
    for n in (1, 10, 30, 100):
        p = pod(f"agent-bench-{n}", pod_spec([container(f"worker-{i}") for i in range(n)]), {"agent.framework": "python"})
        write(os.path.join("bench", f"pod_{n}_containers.json"), request("Pod", "CREATE", p))


if __name__ == "__main__":
    main()
    rule_cases()
    bypass_cases()
    env_cases()
    platform_cases()
    bench_cases()

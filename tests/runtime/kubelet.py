#!/usr/bin/env python3
"""Runs one container of an admitted pod the way the kubelet would, with bubblewrap.

Reads the admission request and the policy's response (kwctl's JSON on stdout), applies the
JSON Patch to get the pod that would be created, and starts COMMAND as that container:

- the "image" is this machine's system directories (/usr, /etc, /bin, /lib, ...), bound
  read-only on an otherwise empty root, which is then remounted read-only
  (readOnlyRootFilesystem: true);
- the pod's user and group (runAsUser/runAsGroup, container level first), no capabilities,
  every namespace unshared;
- a tmpfs at each emptyDir mount path, 0777 as the kubelet makes emptyDirs, with the volume's
  sizeLimit as its size; an empty read-only tmpfs for projected, configMap, secret and
  downwardAPI volumes (the ServiceAccount token the API server adds to every pod);
- the container's env, and HOME as the runtime resolves it: the container's HOME variable, or
  else the user's home in the image's /etc/passwd (/nonexistent for nobody).

What this loosens compared to a real node: the image is the host's own directories (the probe
needs python3, pip, node and npm, which the host has), and the mount points are created on the
empty root before it is remounted read-only, as a runtime creates them in the container's root
filesystem. Nothing else of the host is visible.

Usage: kubelet.py REQUEST RESPONSE CONTAINER [--without-policy-env] [--bind-ro SRC:DEST]... -- COMMAND...
`--without-policy-env` drops the variables the policy added (to show what happens without them).
"""
import base64
import json
import os
import pwd
import re
import sys

IMAGE_DIRS = ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt", "var"]
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Volumes the kubelet fills itself and mounts read-only (the ServiceAccount token's is projected).
READ_ONLY_KINDS = ("projected", "configMap", "secret", "downwardAPI")
UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "": 1}


def quantity_bytes(text):
    m = re.fullmatch(r"([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T|)", str(text))
    if not m:
        raise SystemExit(f"kubelet.py: unsupported sizeLimit {text!r}")
    return int(float(m.group(1)) * UNITS[m.group(2)])


def pointer_parts(pointer):
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


def apply_patch(doc, patch):
    for op in patch:
        if op["op"] not in ("add", "replace"):
            raise SystemExit(f"kubelet.py: unexpected patch op {op}")
        *parents, last = pointer_parts(op["path"])
        node = doc
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if isinstance(node, list):
            if last == "-":
                node.append(op["value"])
            elif op["op"] == "add":
                node.insert(int(last), op["value"])
            else:
                node[int(last)] = op["value"]
        else:
            node[last] = op["value"]
    return doc


def in_image(path):
    """The mount path as the runtime resolves it in the image: through the image's symlinks
    (/var/run -> /run), as runc does before mounting."""
    top = path.strip("/").split("/")[0]
    return os.path.realpath(path) if top in IMAGE_DIRS else path


def main(argv):
    if "--" not in argv:
        raise SystemExit(__doc__)
    split = argv.index("--")
    args, command = argv[:split], argv[split + 1:]
    request_path, response_path, name, *flags = args
    without_policy_env = "--without-policy-env" in flags
    binds = [flags[i + 1] for i, f in enumerate(flags) if f == "--bind-ro"]

    request = json.load(open(request_path))
    request = request.get("request", request)
    response = json.load(open(response_path))
    if not response.get("allowed"):
        raise SystemExit(f"kubelet.py: the pod was not admitted: {response}")
    original = json.loads(json.dumps(request["object"]))
    pod = request["object"]
    if response.get("patch"):
        pod = apply_patch(pod, json.loads(base64.b64decode(response["patch"])))
    spec = pod["spec"]
    lists = [c for key in ("containers", "initContainers") for c in spec.get(key) or []]
    container = next(c for c in lists if c["name"] == name)
    sc = container.get("securityContext") or {}
    psc = spec.get("securityContext") or {}
    uid = sc.get("runAsUser", psc.get("runAsUser", 0))
    gid = sc.get("runAsGroup", psc.get("runAsGroup", 0))

    env = container.get("env") or []
    if without_policy_env:
        before = next(c for c in (original["spec"].get("containers") or []) + (original["spec"].get("initContainers") or []) if c["name"] == name)
        env = before.get("env") or []
    variables = {"PATH": PATH}
    for e in env:
        if "value" in e:
            variables[e["name"]] = e["value"]
    if "HOME" not in variables:
        try:
            variables["HOME"] = pwd.getpwuid(uid).pw_dir
        except KeyError:
            variables["HOME"] = "/"

    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
           "--uid", str(uid), "--gid", str(gid), "--tmpfs", "/"]
    for d in IMAGE_DIRS:
        if os.path.exists("/" + d):
            if os.path.islink("/" + d):
                cmd += ["--symlink", os.readlink("/" + d), "/" + d]
            else:
                cmd += ["--ro-bind", "/" + d, "/" + d]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    for bind in binds:
        src, dest = bind.split(":", 1)
        cmd += ["--ro-bind", src, dest]
    mounts = [dict(m, mountPath=in_image(m["mountPath"])) for m in container.get("volumeMounts") or []]
    mounts.sort(key=lambda m: m["mountPath"].count("/"))
    # Mount points first (on the still-writable empty root), then the root goes read-only.
    for m in mounts:
        cmd += ["--dir", m["mountPath"]]
    cmd += ["--remount-ro", "/"]
    for m in mounts:
        volume = volumes[m["name"]]
        if any(k in volume for k in READ_ONLY_KINDS):
            # The kubelet writes these files and mounts them read-only: an empty read-only tmpfs
            # stands in (their content is not simulated).
            cmd += ["--tmpfs", m["mountPath"], "--remount-ro", m["mountPath"]]
            continue
        if "emptyDir" not in volume:
            raise SystemExit(f"kubelet.py: only emptyDir and read-only volumes are simulated, not {volume}")
        size = (volume["emptyDir"] or {}).get("sizeLimit")
        if size:
            cmd += ["--size", str(quantity_bytes(size))]
        cmd += ["--perms", "0777", "--tmpfs", m["mountPath"]]
        if m.get("readOnly"):
            cmd += ["--remount-ro", m["mountPath"]]
    cmd += ["--clearenv"]
    for k, v in variables.items():
        cmd += ["--setenv", k, v]
    cmd += ["--chdir", "/"]
    os.execvp("bwrap", cmd + command)


if __name__ == "__main__":
    main(sys.argv[1:])

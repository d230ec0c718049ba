#!/usr/bin/env python3
"""Generates config/crd/*.yaml, the CustomResourceDefinitions of
StoppableContainer and StoppableContainerInstance.

Both kinds share the pod template schema, so it is written once here. The
API's names (group, version, kinds, labels, phases, condition types) are read
from src/lib/sc-api.h, where the C code reads them too.
The same files are written to charts/stoppablecontainer/crds/, the Helm
chart's copy, so the two cannot drift. `hack/gen-crds.py --check` (run by
hack/lint.sh) fails when any committed YAML differs from what this script
writes.

Embedded Kubernetes types whose full schema is large and whose validity the
pod API checks anyway (probes, lifecycle, affinity, tolerations, volume
sources, env valueFrom) are kept with x-kubernetes-preserve-unknown-fields;
everything StoppableContainer itself reads is typed and validated here.
Fields a baseline-PSS pod may not have (privileged, hostPort, host
namespaces, Bidirectional propagation) are deliberately absent, so strict
field validation refuses them at admission."""
import json
import os
import re
import sys

try:
    import yaml  # python3-yaml (hack/deps.sh installs it)
except ImportError:  # pragma: no cover
    sys.exit("gen-crds: needs PyYAML (python3-yaml; hack/deps.sh installs it)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def api_names():
    """The names src/lib/sc-api.h spells, the one place they are spelled:
    {macro: string value} of its `#define NAME ...` lines whose value is
    string literals and names defined before them (C's concatenation), in
    order."""
    names = {}
    token = re.compile(r'\s*(?:"([^"]*)"|([A-Za-z_]\w*))')
    with open(os.path.join(ROOT, "src", "lib", "sc-api.h")) as f:
        for line in f:
            m = re.match(r'#define\s+(\w+)\s+(.+?)\s*$', line)
            if not m:
                continue
            value, rest = "", m.group(2)
            while rest:
                t = token.match(rest)
                if not t or (t.group(2) is not None and t.group(2) not in names):
                    break
                value += t.group(1) if t.group(1) is not None else names[t.group(2)]
                rest = rest[t.end():]
            if not rest:
                names[m.group(1)] = value
    return names


def api_list(prefix):
    """The values of sc-api.h's NAME_* macros for one prefix, in their order."""
    return [v for k, v in API.items() if k.startswith(prefix)]


API = api_names()
GROUP = API["SC_GROUP"]
VERSION = API["SC_API_VER"]
SC_PHASES = api_list("SC_PHASE_")
SCI_PHASES = api_list("SCI_PHASE_")
CONDITIONS = api_list("SC_COND_")


def obj(desc, props=None, required=None, preserve=False, **extra):
    s = {"type": "object", "description": desc}
    if props:
        s["properties"] = props
    if required:
        s["required"] = required
    if preserve:
        s["x-kubernetes-preserve-unknown-fields"] = True
    s.update(extra)
    return s


def string(desc, **extra):
    return dict({"type": "string", "description": desc}, **extra)


def boolean(desc, **extra):
    return dict({"type": "boolean", "description": desc}, **extra)


def integer(desc, fmt="int64", **extra):
    return dict({"type": "integer", "format": fmt, "description": desc}, **extra)


def array(desc, items, **extra):
    return dict({"type": "array", "description": desc, "items": items}, **extra)


def string_map(desc):
    return {"type": "object", "description": desc, "additionalProperties": {"type": "string"}}


def quantity_map(desc):
    return {
        "type": "object",
        "description": desc,
        "additionalProperties": {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            # No leading "-": a pod refuses a negative quantity, so the
            # workload would never start.
            "pattern": r"^\+?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$",
            "x-kubernetes-int-or-string": True,
            "minimum": 0,
        },
    }


def resources(desc):
    return obj(desc, {
        "limits": quantity_map("Maximum amount of compute resources allowed (cpu, memory, ...); "
                               "quantities such as 500m, 1.5 or 64Mi, not negative."),
        "requests": quantity_map("Minimum amount of compute resources required; the scheduler uses "
                                 "it. Quantities as in limits."),
    })


def tolerations(desc):
    return array(desc, obj("A toleration of a node taint (core/v1 Toleration).", preserve=True))


READ_ONLY_ROOTFS_REFUSED = (
    "readOnlyRootFilesystem is not available for the workload container: its root "
    "filesystem is the persistent rootfs, which exists to keep what the workload writes; "
    "mount what must stay read-only as a volume with readOnly: true")

SECURITY_CONTEXT = obj(
    "Security settings of the workload. sc-exec applies the user, groups, capabilities, "
    "no_new_privs and seccomp after entering the persistent rootfs, so the workload runs "
    "with exactly these and never silently as root. Privileged mode is not available.",
    {
        "runAsUser": integer("UID the workload runs as. Default: the image's USER, else 0."),
        "runAsGroup": integer("GID the workload runs as. Default: the image's USER group, else 0."),
        "runAsNonRoot": boolean("Refuse to start the workload if it would run as UID 0."),
        "allowPrivilegeEscalation": boolean(
            "When false, the workload runs with no_new_privs: setuid binaries gain nothing."),
        # declared only to be refused with a reason (the controller refuses
        # it too, for the Pod shape whose container has no CEL rules)
        "readOnlyRootFilesystem": boolean(
            "Not available for the workload: its root filesystem is the persistent rootfs, "
            "there to keep what the workload writes (mount read-only data as a volume with "
            "readOnly: true). false is accepted.",
            **{"x-kubernetes-validations": [{
                "rule": "!self",
                "message": READ_ONLY_ROOTFS_REFUSED,
            }]}),
        "capabilities": obj("Linux capabilities to add to or drop from the runtime's default set.", {
            "add": array("Capabilities to add (baseline Pod Security allows only a short list).",
                         {"type": "string"}),
            "drop": array("Capabilities to drop.", {"type": "string"}),
        }),
        "seccompProfile": obj("The seccomp profile of the workload.", {
            "type": string("Kind of profile.", enum=["RuntimeDefault", "Localhost", "Unconfined"]),
            "localhostProfile": string("Profile file, relative to the kubelet's seccomp directory, "
                                       "when type is Localhost."),
        }, required=["type"]),
        "appArmorProfile": obj("The AppArmor profile of the workload (Unconfined is not "
                               "available).", {
            "type": string("Kind of profile.", enum=["RuntimeDefault", "Localhost"]),
            "localhostProfile": string("Name of a profile loaded on the node, when type is "
                                       "Localhost."),
        }, required=["type"]),
    })

POD_SECURITY_CONTEXT = obj("Pod-level security settings of the consumer pod.", {
    "runAsUser": integer("Default UID for the workload."),
    "runAsGroup": integer("Default GID for the workload."),
    "runAsNonRoot": boolean("Refuse to run the workload as UID 0."),
    "fsGroup": integer("Group that owns the pod's volumes."),
    "supplementalGroups": array("Additional groups of the workload.", {"type": "integer", "format": "int64"}),
    "seccompProfile": SECURITY_CONTEXT["properties"]["seccompProfile"],
    "appArmorProfile": SECURITY_CONTEXT["properties"]["appArmorProfile"],
    "fsGroupChangePolicy": string("When the volumes' ownership is changed to fsGroup.",
                                  enum=["OnRootMismatch", "Always"]),
    "sysctls": array("Namespaced sysctls of the pod (baseline Pod Security allows the safe "
                     "set only).", obj("A sysctl.", {
                         "name": string("Name of the sysctl.", minLength=1),
                         "value": string("Value of the sysctl."),
                     }, required=["name", "value"])),
})

CONTAINER = obj(
    "The workload container. With no command, the image's ENTRYPOINT and CMD run, as "
    "`docker run IMAGE` would; the image's ENV, WORKDIR and USER apply unless set here.",
    {
        "image": string("Container image whose filesystem becomes the persistent rootfs, "
                        "e.g. ubuntu:22.04.", minLength=1),
        "imagePullPolicy": string("When the kubelet pulls the image.",
                                  enum=["Always", "IfNotPresent", "Never"]),
        "command": array("Entrypoint array, run inside the persistent rootfs. Replaces the "
                         "image's ENTRYPOINT.", {"type": "string"}),
        "args": array("Arguments to the entrypoint. Replace the image's CMD.", {"type": "string"}),
        "workingDir": string("Working directory inside the rootfs. Default: the image's WORKDIR, else /."),
        "env": array("Environment variables, added to the image's ENV.", obj(
            "An environment variable (core/v1 EnvVar).", {
                "name": string("Variable name.", minLength=1),
                "value": string("Variable value; $(VAR) references are expanded."),
                "valueFrom": obj("Source of the value (configMapKeyRef, secretKeyRef, fieldRef, "
                                 "resourceFieldRef).", preserve=True),
            }, required=["name"])),
        "envFrom": array("Sources of environment variables (core/v1 EnvFromSource).",
                         obj("configMapRef or secretRef, with an optional prefix.", preserve=True)),
        "resources": resources("Compute resources of the running workload (the consumer pod)."),
        "ports": array("Ports the workload listens on (informational, as for a Pod). Host ports "
                       "are not available. At most 128; each containerPort and protocol, and "
                       "each name, at most once.", obj("A container port.", {
                           "name": string("Name of the port (IANA_SVC_NAME): lowercase letters, "
                                          "digits and single hyphens, at least one letter.",
                                          maxLength=15, pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
                                          **{"x-kubernetes-validations": [{
                                              "rule": "self.matches('[a-z]')",
                                              "message": "must contain a letter (IANA_SVC_NAME)",
                                          }, {
                                              "rule": "!self.contains('--')",
                                              "message": "no two hyphens in a row (IANA_SVC_NAME)",
                                          }]}),
                           "containerPort": integer("Port number.", fmt="int32", minimum=1, maximum=65535),
                           "protocol": string("Protocol.", enum=["TCP", "UDP", "SCTP"], default="TCP"),
                       }, required=["containerPort"]),
                       maxItems=128,
                       **{"x-kubernetes-list-type": "map",
                          "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
                          "x-kubernetes-validations": [{
                              "rule": "self.all(p, !has(p.name) || "
                                      "self.filter(q, has(q.name) && q.name == p.name).size() == 1)",
                              "message": "port names must be unique",
                          }]}),
        "volumeMounts": array("Volumes mounted into the workload's rootfs (they are not part of "
                              "the persistent rootfs).", obj("A volume mount.", {
                                  "name": string("Name of a volume in template.volumes.", minLength=1),
                                  "mountPath": string(
                                      "Absolute path inside the rootfs, without empty, '.' or "
                                      "'..' components and not / itself; each at most once.",
                                      minLength=1, maxLength=4095,
                                      # components that are neither empty, "." nor ".."
                                      pattern=r"^(/([^/.][^/]*|[.][^/.][^/]*|[.][.][^/]+))+$",
                                      **{"x-kubernetes-validations": [{
                                          "rule": "self != '/'",
                                          "message": "must not be /: a volume there would hide "
                                                     "the persistent rootfs",
                                      }]}),
                                  "readOnly": boolean("Mount read-only."),
                                  "subPath": string("Sub-path of the volume to mount."),
                                  "subPathExpr": string("Sub-path with $(VAR) expansion."),
                                  "mountPropagation": string("Propagation of mounts; Bidirectional is "
                                                             "not available.",
                                                             enum=["None", "HostToContainer"]),
                              }, required=["name", "mountPath"]),
                              **{"x-kubernetes-list-type": "map",
                                 "x-kubernetes-list-map-keys": ["mountPath"]}),
        "securityContext": SECURITY_CONTEXT,
        "stdin": boolean("Keep stdin open (for interactive shells with kubectl attach/exec -i)."),
        "stdinOnce": boolean("Close stdin after the first attach session."),
        "tty": boolean("Allocate a TTY."),
        "readinessProbe": obj("Readiness probe (core/v1 Probe); exec probes run inside the rootfs.", preserve=True),
        "livenessProbe": obj("Liveness probe (core/v1 Probe); exec probes run inside the rootfs.", preserve=True),
        "startupProbe": obj("Startup probe (core/v1 Probe); exec probes run inside the rootfs.", preserve=True),
        "lifecycle": obj("postStart and preStop hooks (core/v1 Lifecycle).", preserve=True),
    },
    required=["image"],
)


def without_cel(schema):
    """schema without its x-kubernetes-validations (CEL) rules, at any depth.

    The API server bounds the estimated cost of a CRD's CEL rules; a rule
    under an array without maxItems is counted for as many items as fit in
    a request. The container's own rules (port names, mount paths) fit once,
    not under the Pod shape's containers or under initContainers: there the
    schema's types, patterns and enums still apply, and the pod API checks
    the rest when the pod is created."""
    if isinstance(schema, dict):
        return {k: without_cel(v) for k, v in schema.items() if k != "x-kubernetes-validations"}
    if isinstance(schema, list):
        return [without_cel(v) for v in schema]
    return schema


def init_container():
    """An init container of the consumer pod: its own image, not the persistent rootfs."""
    props = {k: without_cel(CONTAINER["properties"][k]) for k in (
        "image", "imagePullPolicy", "command", "args", "workingDir", "env", "envFrom",
        "resources", "ports", "volumeMounts", "readinessProbe", "livenessProbe",
        "startupProbe", "lifecycle")}
    props["image"] = string("Container image.", minLength=1)
    props["command"] = array("Entrypoint array; replaces the image's ENTRYPOINT.", {"type": "string"})
    props["args"] = array("Arguments to the entrypoint.", {"type": "string"})
    props["workingDir"] = string("Working directory.")
    props["volumeMounts"] = dict(props["volumeMounts"], description="Volumes mounted into the container.")
    props["securityContext"] = obj(
        "Security settings of the container, applied by the kubelet as for any pod. "
        "Privileged mode is not available.",
        dict(without_cel(SECURITY_CONTEXT["properties"]), readOnlyRootFilesystem=boolean(
            "Mount the init container's root filesystem (its own image's) read-only.")))
    props["name"] = string("Name of the container; not workload (the workload container's "
                           "name in the pod).", minLength=1, maxLength=63,
                           pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
                           **{"x-kubernetes-validations": [{
                               "rule": "self != 'workload'",
                               "message": "workload is the name of the workload container in "
                                          "the pod",
                           }]})
    props["restartPolicy"] = string("Always makes it a sidecar: it starts before the workload "
                                    "and runs beside it.", enum=["Always"])
    return obj("A container run from its own image (not in the persistent rootfs): to "
               "completion before the workload starts, or beside it with restartPolicy: "
               "Always (a sidecar).", dict(sorted(props.items())), required=["name", "image"])


METADATA = obj("Labels and annotations copied onto the consumer pod.", {
    "labels": string_map("Labels for the consumer pod."),
    "annotations": string_map("Annotations for the consumer pod."),
})

# The pod's fields a template gives beside its container, in both shapes
# (src/controller/model.c lists the same names: the instance keeps them).
POD_FIELDS = {
    "volumes": array("Pod volumes the workload may mount (core/v1 Volume). hostPath is not available.",
                     obj("A volume: a name and one volume source (emptyDir, configMap, secret, "
                         "persistentVolumeClaim, projected, ...).",
                         {"name": string("Volume name, referenced by volumeMounts.", minLength=1),
                          # declared only to be refused with a reason
                          "hostPath": obj("Not available.", preserve=True, **{
                              "x-kubernetes-validations": [{
                                  "rule": "false",
                                  "message": "hostPath volumes are not available: the workload "
                                             "pod keeps to the baseline Pod Security Standard",
                              }]})},
                         required=["name"], preserve=True)),
    "nodeSelector": string_map("Node labels the provider pod must match (the consumer follows the provider)."),
    "tolerations": tolerations("Tolerations of the pods."),
    "affinity": obj("Scheduling constraints of the provider pod (core/v1 Affinity).", preserve=True),
    "serviceAccountName": string("Service account of the consumer pod."),
    "imagePullSecrets": array("Secrets for pulling the image.", obj("A secret reference.", {
        "name": string("Name of the secret."),
    })),
    "terminationGracePeriodSeconds": integer("Seconds the workload has to stop after SIGTERM "
                                             "when it is stopped. Default 30.", minimum=0),
    "priorityClassName": string("Priority class of the pods."),
    "securityContext": POD_SECURITY_CONTEXT,
    "initContainers": array("Containers of the consumer pod that run from their own images "
                            "before the workload (or beside it, as sidecars). At most 64.",
                            init_container(), maxItems=64),
    "runtimeClassName": string("RuntimeClass of the consumer pod. It must run containers as "
                               "host processes (runc, crun): the rootfs cannot be stacked into "
                               "a VM or user-space kernel sandbox (Kata, gVisor)."),
    "dnsPolicy": string("DNS policy of the consumer pod.",
                        enum=["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]),
    "dnsConfig": obj("DNS settings of the consumer pod (core/v1 PodDNSConfig).", preserve=True),
    "hostAliases": array("Entries added to the consumer pod's /etc/hosts.",
                         obj("An IP and its host names (core/v1 HostAlias).", preserve=True)),
    "hostname": string("Host name of the consumer pod. Default: its name."),
    "subdomain": string("Subdomain of the consumer pod (with a headless Service of that name)."),
    "automountServiceAccountToken": boolean("Mount the service account's token (default true)."),
    "enableServiceLinks": boolean("Put the namespace's Services into the environment as "
                                  "docker links do. Default false."),
}

TEMPLATE = obj("What runs: the workload container and the settings of the pod that runs it.",
               dict({"metadata": METADATA, "container": CONTAINER}, **POD_FIELDS),
               required=["container"])

HOST_NAMESPACE_REFUSED = {
    k: boolean(f"Not available: the consumer pod keeps to the baseline Pod Security Standard.",
               **{"x-kubernetes-validations": [{
                   "rule": "!self",
                   "message": f"{k} is not available: the workload pod keeps to the baseline "
                              "Pod Security Standard",
               }]})
    for k in ("hostNetwork", "hostPID", "hostIPC")
}

POD_SPEC = obj(
    "A PodSpec (the reference's shape), with one container: the workload.",
    dict({
        "containers": array(
            "Exactly one container, the workload: its image's filesystem becomes the "
            "persistent rootfs; in the pod it is named workload.",
            without_cel(dict(CONTAINER, properties=dict(CONTAINER["properties"], name=string(
                "Name of the container (in the pod it is workload; kubectl sc exec -c takes "
                "either).", maxLength=63)), required=["image"])),
            **{"x-kubernetes-validations": [{
                "rule": "self.size() == 1",
                "message": "exactly one container, the workload: run helpers as initContainers, "
                           "sidecars as initContainers with restartPolicy: Always",
            }, {
                # the first item only: a cost that does not grow with the array
                "rule": "self.size() == 0 || !has(self[0].securityContext) || "
                        "!has(self[0].securityContext.readOnlyRootFilesystem) || "
                        "!self[0].securityContext.readOnlyRootFilesystem",
                "message": READ_ONLY_ROOTFS_REFUSED,
            }]}),
        "restartPolicy": string("Always only: the controller restarts the workload.",
                                enum=["Always"]),
    }, **POD_FIELDS, **HOST_NAMESPACE_REFUSED),
    required=["containers"])

SC_TEMPLATE = obj(
    "What runs, in one of two shapes: the container shape {metadata, container, pod "
    "fields}, or the Pod shape {metadata, spec: PodSpec} with one container; the controller "
    "turns the second into the first (docs/templates.md).",
    dict({"metadata": METADATA, "container": CONTAINER, "spec": POD_SPEC}, **POD_FIELDS),
    **{"x-kubernetes-validations": [{
        "rule": "has(self.container) != has(self.spec)",
        "message": "give either template.container (the workload container) or template.spec "
                   "(a PodSpec with one container), not both",
    }, {
        "rule": "!has(self.spec) || !(" + " || ".join(f"has(self.{k})" for k in POD_FIELDS) + ")",
        "message": "with template.spec (a PodSpec) the pod's fields go inside it: " +
                   ", ".join(POD_FIELDS) + " beside spec are not read",
    }]})

PROVIDER = obj("Settings of the provider pod, which keeps the image pulled and unpacked on "
               "its node while the workload is stopped.", {
                   "resources": resources("Resources of the provider pod. Default: a few millicores and MiB."),
                   "nodeSelector": string_map("Node labels the provider pod must match."),
                   "tolerations": tolerations("Tolerations of the provider pod."),
               })

HOST_PATH_PREFIX = string(
    "Directory on the node where the persistent rootfs is kept. The node agent accepts only "
    "prefixes on its administrator's allow-list.", default="/var/lib/stoppablecontainer",
    pattern=r"^(/[^/]+)+$", maxLength=1024,
    **{"x-kubernetes-validations": [{
        "rule": r"!self.matches('/[.][.]?(/|$)')",
        "message": "must be an absolute path without '.' or '..' components",
    }]})

RUNNING = boolean("Whether the workload runs. false stops it (the rootfs is kept); true starts "
                  "it again on the same rootfs.", default=False)


def conditions():
    return array(
        "Current state in detail: " + ", ".join(CONDITIONS) + ".",
        obj("A condition (metav1.Condition).", {
            "type": string("Type of the condition.", minLength=1, maxLength=316),
            "status": string("Status of the condition.", enum=["True", "False", "Unknown"]),
            "reason": string("One-word CamelCase reason for the last transition.", maxLength=1024),
            "message": string("Human-readable details.", maxLength=32768),
            "lastTransitionTime": string("When the status last changed.", format="date-time"),
            "observedGeneration": integer("The .metadata.generation the condition was set for.", minimum=0),
        }, required=["type", "status"]),
        **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]})


IMAGE_CONFIG = obj("The image's configuration as read on the node.", {
    "entrypoint": array("The image's ENTRYPOINT.", {"type": "string"}),
    "cmd": array("The image's CMD.", {"type": "string"}),
    "env": array("The image's ENV, as NAME=value.", {"type": "string"}),
    "workingDir": string("The image's WORKDIR."),
    "user": string("The image's USER."),
})

SC_SCHEMA = obj(
    "A container with a persistent root filesystem: stop it and start it again, and every "
    "package it installed and every file it changed is still there.", {
        "apiVersion": string("Versioned schema of this object."),
        "kind": string("Kind of this object."),
        "metadata": {"type": "object"},
        "spec": obj("Desired state.", {
            "running": RUNNING,
            "template": SC_TEMPLATE,
            "provider": PROVIDER,
            "hostPathPrefix": dict(HOST_PATH_PREFIX, **{"x-kubernetes-validations": [
                HOST_PATH_PREFIX["x-kubernetes-validations"][0], {
                    "rule": "self == oldSelf",
                    "message": "cannot be changed: the rootfs lives under the prefix it was "
                               "created with; delete the StoppableContainer and create it "
                               "again to move it",
                }]}),
        }, required=["template"]),
        "status": obj("Observed state, written by the controller.", {
            "phase": string("Summary of the state: " + SC_PHASES[0] + " (the provider pod "
                            "and the rootfs are being prepared), " + ", ".join(SC_PHASES[1:])
                            + ".", enum=SC_PHASES),
            "message": string("Human-readable explanation of the phase."),
            "instanceName": string("Name of the StoppableContainerInstance."),
            "providerPodName": string("Name of the provider pod."),
            "consumerPodName": string("Name of the consumer pod (the workload), while running."),
            "hostPath": string("Directory on the node that holds the persistent rootfs."),
            "nodeName": string("Node the container lives on."),
            "observedGeneration": integer("The .metadata.generation the status describes.", minimum=0),
            "conditions": conditions(),
        }),
    }, **{"x-kubernetes-validations": [{
        "rule": "size(self.metadata.name) <= 63",
        "message": "metadata.name must be no more than 63 characters: it is the value of its "
                   "pods' " + API["SC_LABEL_INSTANCE"] + " label",
    }, {
        "rule": "!self.metadata.name.endsWith('" + API["SC_PROVIDER_SUFFIX"] + "')",
        "message": "metadata.name must not end in " + API["SC_PROVIDER_SUFFIX"] + ": NAME"
                   + API["SC_PROVIDER_SUFFIX"] + " is the provider pod of the "
                   + API["SC_KIND"] + " NAME",
    }]})

SCI_SCHEMA = obj(
    "The controller's working copy of a StoppableContainer (same name, owned by it); the "
    "pods are built from it and the node agent reports on it.", {
        "apiVersion": string("Versioned schema of this object."),
        "kind": string("Kind of this object."),
        "metadata": {"type": "object"},
        "spec": obj("Desired state, copied from the StoppableContainer.", {
            "stoppableContainerName": string("Name of the owning StoppableContainer.", minLength=1),
            "running": RUNNING,
            "template": TEMPLATE,
            "provider": PROVIDER,
            "hostPathPrefix": HOST_PATH_PREFIX,
        }, required=["stoppableContainerName", "template"]),
        "status": obj("Observed state, written by the controller and the node agent.", {
            "phase": string("Detailed phase.", enum=SCI_PHASES),
            "message": string("Human-readable explanation of the phase."),
            "providerPodName": string("Name of the provider pod."),
            "providerPodUID": string("UID of the provider pod."),
            "consumerPodName": string("Name of the consumer pod."),
            "consumerPodUID": string("UID of the consumer pod."),
            "nodeName": string("Node the instance lives on."),
            "hostPath": string("Directory on the node that holds the persistent rootfs."),
            "imageConfig": IMAGE_CONFIG,
            "rootfs": obj("Written by the node agent: the rootfs it prepared. The controller "
                          "starts the workload only when this names the current provider pod.", {
                              "providerPodUID": string("UID of the provider pod whose image layers "
                                                       "the rootfs is built on."),
                              "nodeName": string("Node that holds the rootfs."),
                              "workloadContainerID": string(
                                  "The workload container the rootfs is stacked on; the "
                                  "instance is Running only when it is the consumer's current one."),
                              "runtimeHook": boolean(
                                  "True when this node's container runtime takes the node agent's "
                                  "rootfs hook (NRI): the consumer is then the template's own "
                                  "container, started by the runtime in the rootfs."),
                          }),
            "observedGeneration": integer("The .metadata.generation the status describes.", minimum=0),
            "conditions": conditions(),
        }),
    })


def crd(kind, plural, singular, short, schema, columns):
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{GROUP}",
            "labels": {"app.kubernetes.io/name": "stoppablecontainer",
                       "app.kubernetes.io/part-of": "stoppablecontainer"},
        },
        "spec": {
            "group": GROUP,
            "names": {"kind": kind, "listKind": kind + "List", "plural": plural,
                      "singular": singular, "shortNames": [short]},
            "scope": "Namespaced",
            "versions": [{
                "name": VERSION,
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": columns,
                "schema": {"openAPIV3Schema": schema},
            }],
        },
    }


def col(name, path, typ="string", **extra):
    return dict({"name": name, "type": typ, "jsonPath": path}, **extra)


AGE = col("Age", ".metadata.creationTimestamp", "date")
# Ready (the workload runs), a pending restart, and the message: every status
# write changes what `kubectl get -w` prints.
STATUS_COLS = [
    col("Ready", '.status.conditions[?(@.type=="%s")].status' % API["SC_COND_READY"]),
    col("Restart-Required",
        '.status.conditions[?(@.type=="%s")].status' % API["SC_COND_RESTART_REQUIRED"]),
]
MESSAGE = col("Message", ".status.message")

CRDS = {
    f"{GROUP}_stoppablecontainers.yaml": crd(
        API["SC_KIND"], "stoppablecontainers", "stoppablecontainer", "stc", SC_SCHEMA, [
            col("Running", ".spec.running", "boolean"),
            col("Phase", ".status.phase"),
            *STATUS_COLS,
            col("Node", ".status.nodeName"),
            AGE,
            MESSAGE,
            col("Image", ".spec.template.container.image", priority=1),
            col("Pod", ".status.consumerPodName", priority=1),
        ]),
    f"{GROUP}_stoppablecontainerinstances.yaml": crd(
        API["SCI_KIND"], "stoppablecontainerinstances", "stoppablecontainerinstance",
        "stci", SCI_SCHEMA, [
            col("Running", ".spec.running", "boolean"),
            col("Phase", ".status.phase"),
            col("Node", ".status.nodeName"),
            AGE,
            col("Provider", ".status.providerPodName", priority=1),
            col("Consumer", ".status.consumerPodName", priority=1),
        ]),
}


def render(doc):
    header = "# Generated by hack/gen-crds.py; do not edit by hand.\n---\n"
    # Block style, keys in the order written here, long descriptions on one line.
    return header + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False,
                                   allow_unicode=True, width=float("inf"))


def doc_rows(schema, path, required=False):
    """Yields (path, type, required, description, extra) for every field."""
    typ = schema.get("type", "")
    if schema.get("x-kubernetes-int-or-string"):
        typ = "int-or-string"
    if typ == "array":
        item = schema.get("items", {})
        typ = f"[]{item.get('type', 'object')}"
    if typ == "object" and "additionalProperties" in schema:
        val = schema["additionalProperties"]
        vt = "int-or-string" if val.get("x-kubernetes-int-or-string") else val.get("type", "")
        typ = f"map[string]{vt}"
    extra = []
    if "default" in schema:
        extra.append(f"default `{json.dumps(schema['default'])}`")
    if "enum" in schema:
        extra.append("one of " + ", ".join(f"`{e}`" for e in schema["enum"]))
    if "minimum" in schema or "maximum" in schema:
        extra.append(f"range {schema.get('minimum', '')}..{schema.get('maximum', '')}")
    if "pattern" in schema:
        extra.append(f"pattern `{schema['pattern']}`")
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        extra.append("free-form (checked by the pod API)")
    yield path, typ, required, schema.get("description", ""), "; ".join(extra)
    props = schema.get("properties", {})
    if typ.startswith("[]") and "properties" in schema.get("items", {}):
        props = schema["items"]["properties"]
        req = set(schema["items"].get("required", []))
        for k, v in props.items():
            yield from doc_rows(v, f"{path}[].{k}", k in req)
        return
    req = set(schema.get("required", []))
    for k, v in props.items():
        yield from doc_rows(v, f"{path}.{k}" if path else k, k in req)


def render_docs():
    out = ["# API reference", "",
           "Generated by `hack/gen-crds.py` from the same description as the CRDs in",
           "`config/crd/`; do not edit by hand. `kubectl explain stoppablecontainer.spec`",
           "shows the same descriptions.", "",
           f"Group `{GROUP}`, version `{VERSION}`, both kinds namespaced with a `status`",
           "subresource.", ""]
    for doc in CRDS.values():
        names = doc["spec"]["names"]
        ver = doc["spec"]["versions"][0]
        schema = ver["schema"]["openAPIV3Schema"]
        out += [f"## {names['kind']}", "",
                f"Short name `{names['shortNames'][0]}`, plural `{names['plural']}`. "
                + schema["description"], "",
                "Printer columns: " + ", ".join(
                    f"{c['name'].upper()} (`{c['jsonPath']}`{', wide' if c.get('priority') else ''})"
                    for c in ver["additionalPrinterColumns"]) + ".", "",
                "| field | type | required | description |", "| --- | --- | --- | --- |"]
        for path, typ, req, desc, extra in doc_rows(schema, ""):
            if not path or path in ("apiVersion", "kind", "metadata"):
                continue
            d = (desc + (f" ({extra})" if extra else "")).replace("|", "\\|")
            out.append(f"| `{path}` | {typ} | {'yes' if req else ''} | {d} |")
        out.append("")
    return "\n".join(out)


def main():
    check = "--check" in sys.argv[1:]
    # config/crd for kustomize; the Helm chart installs its crds/ copy.
    outdirs = [os.path.join(ROOT, "config", "crd"),
               os.path.join(ROOT, "charts", "stoppablecontainer", "crds")]
    stale = []
    for name, doc in CRDS.items():
        text = render(doc)
        # Prove the YAML means exactly the dictionary.
        if list(yaml.safe_load_all(text)) != [doc]:
            print(f"gen-crds: emitted YAML for {name} does not round-trip", file=sys.stderr)
            return 1
        for outdir in outdirs:
            path = os.path.join(outdir, name)
            if check:
                try:
                    current = open(path).read()
                except FileNotFoundError:
                    current = None
                if current != text:
                    stale.append(os.path.relpath(path, ROOT))
            else:
                os.makedirs(outdir, exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
    docs_path = os.path.join(ROOT, "docs", "api-reference.md")
    docs = render_docs()
    if check:
        try:
            current = open(docs_path).read()
        except FileNotFoundError:
            current = None
        if current != docs:
            stale.append(os.path.relpath(docs_path, ROOT))
    else:
        with open(docs_path, "w") as f:
            f.write(docs)
    if stale:
        print("gen-crds: out of date, run hack/gen-crds.py: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

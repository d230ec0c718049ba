#include "controller/model.h"

#include <errno.h>
#include <string.h>

#include "lib/sc-util.h"

const char *sc_sci_rootfs_node(json_t *sci)
{
	const char *n = sc_obj_annotation(sci, SC_ANNOTATION_NODE);
	if (n == NULL || *n == '\0')
		n = sc_json_path_str(sci, "status.rootfs.nodeName");
	return n && *n ? n : NULL;
}

/* The PodSpec fields a template may give (hack/gen-crds.py, POD_FIELDS):
 * the same in both shapes, so the instance (whose schema has the seed's
 * shape only) keeps every one of them. */
static const char *const pod_fields[] = {
    "volumes",
    "nodeSelector",
    "tolerations",
    "affinity",
    "serviceAccountName",
    "imagePullSecrets",
    "terminationGracePeriodSeconds",
    "priorityClassName",
    "securityContext",
    "initContainers",
    "runtimeClassName",
    "dnsPolicy",
    "dnsConfig",
    "hostAliases",
    "hostname",
    "subdomain",
    "automountServiceAccountToken",
    "enableServiceLinks",
};

/* readOnlyRootFilesystem on the workload container: its root filesystem is
 * the persistent rootfs, there to be written, so the template is refused
 * with a reason rather than the setting silently ignored (the CRD refuses
 * it at admission too; docs/templates.md). */
static bool read_only_rootfs(json_t *container)
{
	return json_is_true(sc_json_path(container, "securityContext.readOnlyRootFilesystem"));
}

static const char read_only_rootfs_msg[] =
    "securityContext.readOnlyRootFilesystem is not available for the workload container: its "
    "root filesystem is the persistent rootfs, which exists to keep what the workload writes; "
    "mount what must stay read-only as a volume with readOnly: true";

static json_t *template_from_podspec(json_t *tmpl, json_t *pod, sc_error_t *err);

json_t *sc_template_normalize(json_t *tmpl, sc_error_t *err)
{
	json_t *pod = json_object_get(tmpl, "spec");
	if (!json_is_object(tmpl) || pod == NULL) {
		if (read_only_rootfs(json_object_get(tmpl, "container"))) {
			sc_error_make(err, EINVAL, "spec.template.container.%s",
				      read_only_rootfs_msg);
			return NULL;
		}
		return json_incref(tmpl);
	}
	json_t *out = template_from_podspec(tmpl, pod, err);
	if (out != NULL && read_only_rootfs(json_object_get(out, "container"))) {
		sc_error_make(err, EINVAL, "spec.template.spec.containers[0].%s",
			      read_only_rootfs_msg);
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *template_from_podspec(json_t *tmpl, json_t *pod, sc_error_t *err)
{
	if (json_object_get(tmpl, "container") != NULL) {
		sc_error_make(err, EINVAL,
			      "spec.template has both container (the seed's shape) and spec (a "
			      "PodSpec): give one");
		return NULL;
	}
	json_t *containers = json_object_get(pod, "containers");
	if (!json_is_object(pod) || json_array_size(containers) != 1 ||
	    !json_is_object(json_array_get(containers, 0))) {
		sc_error_make(err, EINVAL,
			      "spec.template.spec.containers must hold exactly one container, the "
			      "workload (it has %zu); run helpers as initContainers, sidecars as "
			      "initContainers with restartPolicy: Always",
			      json_array_size(containers));
		return NULL;
	}
	json_t *out = json_object();
	json_t *meta = json_object_get(tmpl, "metadata");
	if (meta != NULL)
		json_object_set(out, "metadata", meta);
	/* The container's name is the pod's business: there it is "workload". */
	json_t *container = json_copy(json_array_get(containers, 0));
	json_object_del(container, "name");
	json_object_set_new(out, "container", container);
	for (size_t i = 0; i < SC_ARRAY_SIZE(pod_fields); i++) {
		json_t *v = json_object_get(pod, pod_fields[i]);
		if (v != NULL)
			json_object_set(out, pod_fields[i], v);
	}
	return out;
}

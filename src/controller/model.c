#include "controller/model.h"

#include <errno.h>
#include <string.h>

#include "lib/sc-util.h"

bool sc_json_bool_at(json_t *obj, const char *path)
{
	return json_is_true(sc_json_path(obj, path));
}

void sc_json_hash(json_t *v, char out[17])
{
	/* FNV-1a 64 over the canonical (sorted, compact) encoding. Not a
	 * security boundary: it only tells "this pod was built from a different
	 * spec". */
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	unsigned long long h = 0xcbf29ce484222325ULL;
	for (const char *c = s ? s : "null"; *c; c++) {
		h ^= (unsigned char)*c;
		h *= 0x100000001b3ULL;
	}
	free(s);
	snprintf(out, 17, "%016llx", h);
}

bool sc_obj_deleting(json_t *obj)
{
	return sc_json_path_str(obj, "metadata.deletionTimestamp") != NULL;
}

bool sc_obj_has_finalizer(json_t *obj, const char *finalizer)
{
	json_t *list = sc_json_path(obj, "metadata.finalizers");
	size_t i;
	json_t *f;
	json_array_foreach (list, i, f) {
		if (json_is_string(f) && strcmp(json_string_value(f), finalizer) == 0)
			return true;
	}
	return false;
}

const char *sc_obj_annotation(json_t *obj, const char *key)
{
	json_t *ann = sc_json_path(obj, "metadata.annotations");
	return json_string_value(json_object_get(ann, key));
}

json_t *sc_condition_find(json_t *obj, const char *type)
{
	json_t *list = sc_json_path(obj, "status.conditions");
	size_t i;
	json_t *c;
	json_array_foreach (list, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t != NULL && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

bool sc_condition_true(json_t *obj, const char *type)
{
	const char *s = json_string_value(json_object_get(sc_condition_find(obj, type), "status"));
	return s != NULL && strcmp(s, "True") == 0;
}

const char *sc_sci_rootfs_node(json_t *sci)
{
	const char *n = sc_obj_annotation(sci, SC_ANNOTATION_NODE);
	if (n == NULL || *n == '\0')
		n = sc_json_path_str(sci, "status.rootfs.nodeName");
	return n && *n ? n : NULL;
}

const char *sc_pod_phase(json_t *pod)
{
	return sc_json_path_str(pod, "status.phase");
}

const char *sc_pod_node(json_t *pod)
{
	return sc_json_path_str(pod, "spec.nodeName");
}

bool sc_pod_ready(json_t *pod)
{
	const char *phase = sc_pod_phase(pod);
	return phase != NULL && strcmp(phase, "Running") == 0 && sc_condition_true(pod, "Ready");
}

bool sc_pod_terminal(json_t *pod)
{
	const char *phase = sc_pod_phase(pod);
	return phase != NULL && (strcmp(phase, "Failed") == 0 || strcmp(phase, "Succeeded") == 0);
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

#include "controller/pods.h"

#include <errno.h>
#include <string.h>

#include "controller/model.h"
#include "lib/sc-buf.h"
#include "lib/sc-util.h"

void sc_pod_options_defaults(struct sc_pod_options *o)
{
	/* every field: a caller's struct may be uninitialised */
	*o = (struct sc_pod_options){
	    .exec_image = "stoppablecontainer/sc-exec:" SC_VERSION,
	    .exec_image_pull_policy = "IfNotPresent",
	    .provider_cpu_request = "1m",
	    .provider_memory_request = "4Mi",
	    .provider_memory_limit = "32Mi",
	    .runtime_path = false,
	};
}

/* Set key to a deep copy of v when v is present. */
static void set_copy(json_t *obj, const char *key, json_t *v)
{
	if (v != NULL && !json_is_null(v))
		json_object_set_new(obj, key, json_deep_copy(v));
}

static json_t *our_labels(json_t *sci, const char *role)
{
	json_t *l = json_pack("{s:s, s:s, s:s}", SC_LABEL_INSTANCE, sc_json_name(sci),
			      SC_LABEL_ROLE, role, SC_LABEL_MANAGED_BY, SC_MANAGED_BY);
	/* The workload's own label: a Service on it never reaches the
	 * provider, which carries the instance label too. */
	if (strcmp(role, SC_ROLE_CONSUMER) == 0)
		json_object_set_new(l, SC_LABEL_WORKLOAD, json_string(sc_json_name(sci)));
	return l;
}

static json_t *owner_reference(json_t *sci)
{
	return json_pack("[{s:s, s:s, s:s, s:s, s:b, s:b}]", "apiVersion", SC_API_VERSION, "kind",
			 SCI_KIND, "name", sc_json_name(sci), "uid",
			 sc_json_uid(sci) ? sc_json_uid(sci) : "", "controller", 1,
			 "blockOwnerDeletion", 1);
}

/* Security settings of our own containers (init, provider): nothing the
 * restricted Pod Security level would refuse. */
static json_t *locked_down_security_context(void)
{
	return json_pack("{s:b, s:{s:[s]}, s:{s:s}, s:b, s:I, s:I}", "allowPrivilegeEscalation", 0,
			 "capabilities", "drop", "ALL", "seccompProfile", "type", "RuntimeDefault",
			 "runAsNonRoot", 1, "runAsUser", (json_int_t)65534, "runAsGroup",
			 (json_int_t)65534);
}

static json_t *provider_resources(json_t *sci, const struct sc_pod_options *o)
{
	json_t *r = sc_json_path(sci, "spec.provider.resources");
	if (json_is_object(r) && json_object_size(r) > 0)
		return json_deep_copy(r);
	return json_pack("{s:{s:s, s:s}, s:{s:s}}", "requests", "cpu", o->provider_cpu_request,
			 "memory", o->provider_memory_request, "limits", "memory",
			 o->provider_memory_limit);
}

/* nodeSelector of the provider: the template's, overridden key by key by
 * spec.provider.nodeSelector. */
static json_t *provider_node_selector(json_t *sci)
{
	json_t *out = json_object();
	json_t *t = sc_json_path(sci, "spec.template.nodeSelector");
	json_t *p = sc_json_path(sci, "spec.provider.nodeSelector");
	if (json_is_object(t))
		json_object_update(out, t);
	if (json_is_object(p))
		json_object_update(out, p);
	if (json_object_size(out) == 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *concat_arrays(json_t *a, json_t *b)
{
	json_t *out = json_array();
	if (json_is_array(a))
		json_array_extend(out, a);
	if (json_is_array(b))
		json_array_extend(out, b);
	if (json_array_size(out) == 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* obj[key] when it is an object, else a new empty object put there. */
static json_t *object_member(json_t *obj, const char *key)
{
	json_t *m = json_object_get(obj, key);
	if (!json_is_object(m)) {
		m = json_object();
		json_object_set_new(obj, key, m);
	}
	return m;
}

/* Adds "metadata.name In [node]" to every required node selector term of
 * spec's affinity (terms are ORed, a term's requirements ANDed), making one
 * when there is none. Required affinity, not nodeName: the scheduler still
 * checks that the pod fits, and says so when it does not. */
static void require_node(json_t *spec, const char *node)
{
	json_t *req = object_member(object_member(object_member(spec, "affinity"), "nodeAffinity"),
				    "requiredDuringSchedulingIgnoredDuringExecution");
	json_t *terms = json_object_get(req, "nodeSelectorTerms");
	if (!json_is_array(terms) || json_array_size(terms) == 0) {
		terms = json_pack("[{}]");
		json_object_set_new(req, "nodeSelectorTerms", terms);
	}
	size_t i;
	json_t *term;
	json_array_foreach (terms, i, term) {
		json_t *fields = json_object_get(term, "matchFields");
		if (!json_is_array(fields)) {
			fields = json_array();
			json_object_set_new(term, "matchFields", fields);
		}
		json_array_append_new(fields, json_pack("{s:s, s:s, s:[s]}", "key", "metadata.name",
							"operator", "In", "values", node));
	}
}

static json_t *provider_shape(json_t *sci, const struct sc_pod_options *o)
{
	/* Everything the provider pod is built from, for its hash. */
	return json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:s, s:s}", "image",
			 sc_json_path(sci, "spec.template.container.image"), "pullPolicy",
			 sc_json_path(sci, "spec.template.container.imagePullPolicy"), "provider",
			 sc_json_path(sci, "spec.provider"), "nodeSelector",
			 sc_json_path(sci, "spec.template.nodeSelector"), "tolerations",
			 sc_json_path(sci, "spec.template.tolerations"), "affinity",
			 sc_json_path(sci, "spec.template.affinity"), "pullSecrets",
			 sc_json_path(sci, "spec.template.imagePullSecrets"), "execImage",
			 o->exec_image, "priority",
			 sc_json_path_str(sci, "spec.template.priorityClassName")
			     ? sc_json_path_str(sci, "spec.template.priorityClassName")
			     : "");
}

void sc_provider_hash(json_t *sci, const struct sc_pod_options *o, char out[17])
{
	json_t *shape = provider_shape(sci, o);
	sc_json_hash(shape, out);
	json_decref(shape);
}

void sc_consumer_hash(json_t *sci, const struct sc_pod_options *o, char out[17])
{
	json_t *shape =
	    json_pack("{s:O?, s:O?, s:s, s:b}", "template", sc_json_path(sci, "spec.template"),
		      "image", sc_json_path(sci, "status.imageConfig"), "execImage", o->exec_image,
		      "runtime", sc_consumer_runtime_path(sci, o));
	sc_json_hash(shape, out);
	json_decref(shape);
}

json_t *sc_build_provider_pod(json_t *sci, const struct sc_pod_options *o)
{
	const char *name = sc_json_name(sci);
	cleanup_free char *pod_name = sc_xasprintf("%s%s", name, SC_PROVIDER_SUFFIX);
	char hash[17];
	sc_provider_hash(sci, o, hash);

	json_t *container = json_pack(
	    "{s:s, s:O, s:[s], s:o, s:[{s:s, s:s, s:b}], s:o}", "name", SC_CONTAINER_PROVIDER,
	    "image", sc_json_path(sci, "spec.template.container.image"), "command",
	    SC_BIN_DIR "/sc-pause", "resources", provider_resources(sci, o), "volumeMounts", "name",
	    "sc-bin", "mountPath", SC_BIN_DIR, "readOnly", 1, "securityContext",
	    locked_down_security_context());
	set_copy(container, "imagePullPolicy",
		 sc_json_path(sci, "spec.template.container.imagePullPolicy"));

	json_t *init =
	    json_pack("{s:s, s:s, s:s, s:[s, s, s], s:[{s:s, s:s}], s:o, s:{s:{s:s, "
		      "s:s}, s:{s:s}}}",
		      "name", "install-sc-pause", "image", o->exec_image, "imagePullPolicy",
		      o->exec_image_pull_policy, "command", SC_PAUSE_IN_IMAGE, "--install",
		      SC_BIN_DIR "/sc-pause", "volumeMounts", "name", "sc-bin", "mountPath",
		      SC_BIN_DIR, "securityContext", locked_down_security_context(), "resources",
		      "requests", "cpu", "1m", "memory", "4Mi", "limits", "memory", "16Mi");

	json_t *spec = json_pack(
	    "{s:[o], s:[o], s:[{s:s, s:{s:s, s:s}}], s:s, s:I, s:b, s:b, s:{s:{s:s}}}",
	    "initContainers", init, "containers", container, "volumes", "name", "sc-bin",
	    "emptyDir", "medium", "", "sizeLimit", "16Mi", "restartPolicy", "Always",
	    "terminationGracePeriodSeconds", (json_int_t)5, "automountServiceAccountToken", 0,
	    "enableServiceLinks", 0, "securityContext", "seccompProfile", "type", "RuntimeDefault");
	json_t *sel = provider_node_selector(sci);
	if (sel)
		json_object_set_new(spec, "nodeSelector", sel);
	json_t *tol = concat_arrays(sc_json_path(sci, "spec.template.tolerations"),
				    sc_json_path(sci, "spec.provider.tolerations"));
	if (tol)
		json_object_set_new(spec, "tolerations", tol);
	set_copy(spec, "affinity", sc_json_path(sci, "spec.template.affinity"));
	set_copy(spec, "imagePullSecrets", sc_json_path(sci, "spec.template.imagePullSecrets"));
	set_copy(spec, "priorityClassName", sc_json_path(sci, "spec.template.priorityClassName"));
	/* Once a node holds the rootfs, a recreated provider goes back there:
	 * elsewhere the mount-helper would start an empty one. Not part of the
	 * hash: a provider already running is already there. */
	const char *home = sc_sci_rootfs_node(sci);
	if (home != NULL)
		require_node(spec, home);

	return json_pack("{s:s, s:s, s:{s:s, s:s?, s:o, s:{s:s}, s:o}, s:o}", "apiVersion", "v1",
			 "kind", "Pod", "metadata", "name", pod_name, "namespace",
			 sc_json_namespace(sci), "labels", our_labels(sci, SC_ROLE_PROVIDER),
			 "annotations", SC_ANNOTATION_PROVIDER_HASH, hash, "ownerReferences",
			 owner_reference(sci), "spec", spec);
}

json_t *sc_workload_argv(json_t *sci, sc_error_t *err)
{
	json_t *command = sc_json_path(sci, "spec.template.container.command");
	json_t *args = sc_json_path(sci, "spec.template.container.args");
	json_t *entrypoint = sc_json_path(sci, "status.imageConfig.entrypoint");
	json_t *cmd = sc_json_path(sci, "status.imageConfig.cmd");
	json_t *argv = json_array();
	/* Kubernetes' rules, which are docker's: command replaces ENTRYPOINT
	 * and drops CMD; args replaces CMD. */
	if (json_array_size(command) > 0) {
		json_array_extend(argv, command);
		if (json_is_array(args))
			json_array_extend(argv, args);
	} else {
		if (json_is_array(entrypoint))
			json_array_extend(argv, entrypoint);
		if (json_is_array(args))
			json_array_extend(argv, args);
		else if (json_is_array(cmd))
			json_array_extend(argv, cmd);
	}
	if (json_array_size(argv) == 0) {
		json_decref(argv);
		sc_error_make(err, EINVAL,
			      "no command to run: spec.template.container.command is empty and "
			      "image %s has no ENTRYPOINT or CMD",
			      sc_json_path_str(sci, "spec.template.container.image"));
		return NULL;
	}
	return argv;
}

/* --user for sc-exec: securityContext (container, then pod), else the
 * image's USER, else root. sc-exec resolves names inside the rootfs. */
static char *workload_user(json_t *sci)
{
	json_t *uid = sc_json_path(sci, "spec.template.container.securityContext.runAsUser");
	json_t *gid = sc_json_path(sci, "spec.template.container.securityContext.runAsGroup");
	if (!uid)
		uid = sc_json_path(sci, "spec.template.securityContext.runAsUser");
	if (!gid)
		gid = sc_json_path(sci, "spec.template.securityContext.runAsGroup");
	if (json_is_integer(uid) && json_is_integer(gid))
		return sc_xasprintf("%" JSON_INTEGER_FORMAT ":%" JSON_INTEGER_FORMAT,
				    json_integer_value(uid), json_integer_value(gid));
	if (json_is_integer(uid))
		return sc_xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(uid));
	const char *image_user = sc_json_path_str(sci, "status.imageConfig.user");
	if (image_user != NULL && *image_user != '\0') {
		if (json_is_integer(gid)) {
			/* Keep the image's user, override its group. */
			cleanup_free char *u = sc_xstrdup(image_user);
			char *colon = strchr(u, ':');
			if (colon)
				*colon = '\0';
			return sc_xasprintf("%s:%" JSON_INTEGER_FORMAT, u, json_integer_value(gid));
		}
		return sc_xstrdup(image_user);
	}
	if (json_is_integer(gid))
		return sc_xasprintf("0:%" JSON_INTEGER_FORMAT, json_integer_value(gid));
	return NULL;
}

/* The workload's working directory: the template's workingDir, else the
 * image's WORKDIR; NULL for neither ("/"). */
static const char *workload_workdir(json_t *sci)
{
	const char *workdir = sc_json_path_str(sci, "spec.template.container.workingDir");
	if (workdir == NULL || *workdir == '\0')
		workdir = sc_json_path_str(sci, "status.imageConfig.workingDir");
	return workdir != NULL && *workdir != '\0' ? workdir : NULL;
}

static json_t *exec_command(json_t *sci, const char *node, json_t *argv)
{
	json_t *cmd = json_pack("[s]", SC_EXEC_IN_IMAGE);
	/* sc-exec names the node when the rootfs does not come in time. */
	if (node != NULL) {
		json_array_append_new(cmd, json_string("--node"));
		json_array_append_new(cmd, json_string(node));
	}
	const char *workdir = workload_workdir(sci);
	if (workdir != NULL) {
		json_array_append_new(cmd, json_string("--workdir"));
		json_array_append_new(cmd, json_string(workdir));
	}
	cleanup_free char *user = workload_user(sci);
	if (user != NULL) {
		json_array_append_new(cmd, json_string("--user"));
		json_array_append_new(cmd, json_string(user));
	}
	/* supplementalGroups are given to sc-exec as its full list. */
	json_t *sup = sc_json_path(sci, "spec.template.securityContext.supplementalGroups");
	size_t i;
	json_t *g;
	cleanup_buf struct sc_buf groups = SC_BUF_INIT(4096);
	cleanup_error sc_error_t gerr = NULL;
	json_array_foreach (sup, i, g) {
		if (json_is_integer(g) && json_integer_value(g) >= 0)
			sc_buf_printf(&groups, &gerr, "%s%" JSON_INTEGER_FORMAT,
				      groups.len ? "," : "", json_integer_value(g));
	}
	if (groups.len > 0) {
		json_array_append_new(cmd, json_string("--groups"));
		json_array_append_new(cmd, json_string(groups.data));
	}
	json_t *sc = sc_json_path(sci, "spec.template.container.securityContext");
	json_t *ape = json_object_get(sc, "allowPrivilegeEscalation");
	if (json_is_false(ape))
		json_array_append_new(cmd, json_string("--no-new-privs"));
	if (json_is_true(json_object_get(sc, "runAsNonRoot")) ||
	    sc_json_bool_at(sci, "spec.template.securityContext.runAsNonRoot"))
		json_array_append_new(cmd, json_string("--non-root"));
	json_t *caps = json_object_get(json_object_get(sc, "capabilities"), "add");
	bool keep_chroot = false;
	json_array_foreach (caps, i, g) {
		const char *c = json_string_value(g);
		if (c && (strcmp(c, "SYS_CHROOT") == 0 || strcmp(c, "CAP_SYS_CHROOT") == 0))
			keep_chroot = true;
	}
	json_t *drop = json_object_get(json_object_get(sc, "capabilities"), "drop");
	json_array_foreach (drop, i, g) {
		if (!json_is_string(g))
			continue;
		json_array_append_new(cmd, json_string("--cap-drop"));
		json_array_append_new(cmd, json_string(json_string_value(g)));
	}
	if (keep_chroot)
		json_array_append_new(cmd, json_string("--keep-chroot-cap"));
	json_array_append_new(cmd, json_string("--"));
	json_array_extend(cmd, argv);
	return cmd;
}

/* Container capabilities: the runtime's defaults plus SYS_CHROOT (sc-exec
 * needs it once, then drops it) plus what the user added; dropping happens in
 * sc-exec after the chroot, so the container keeps what sc-exec needs. */
static json_t *consumer_capabilities(json_t *sci)
{
	json_t *add = json_pack("[s]", "SYS_CHROOT");
	json_t *user_add =
	    sc_json_path(sci, "spec.template.container.securityContext.capabilities.add");
	size_t i;
	json_t *c;
	json_array_foreach (user_add, i, c) {
		const char *s = json_string_value(c);
		if (s && strcmp(s, "SYS_CHROOT") != 0 && strcmp(s, "CAP_SYS_CHROOT") != 0)
			json_array_append_new(add, json_string(s));
	}
	return json_pack("{s:o}", "add", add);
}

/* Environment: the image's ENV first, then the template's env, so the
 * template wins (the kubelet applies later duplicates over earlier ones). */
static json_t *consumer_env(json_t *sci)
{
	json_t *env = json_array();
	json_t *image_env = sc_json_path(sci, "status.imageConfig.env");
	size_t i;
	json_t *e;
	json_array_foreach (image_env, i, e) {
		const char *kv = json_string_value(e);
		const char *eq = kv ? strchr(kv, '=') : NULL;
		if (eq == NULL || eq == kv)
			continue;
		json_t *name = json_stringn(kv, (size_t)(eq - kv));
		json_t *value = json_string(eq + 1);
		if (name == NULL || value == NULL) {
			json_decref(name);
			json_decref(value);
			continue;
		}
		json_array_append_new(env, json_pack("{s:o, s:o}", "name", name, "value", value));
	}
	json_t *tmpl = sc_json_path(sci, "spec.template.container.env");
	if (json_is_array(tmpl))
		json_array_extend(env, tmpl);
	/* Nothing of ours: the workload's environment is the image's and the
	 * template's (sc-exec gets the node name as an argument). */
	return env;
}

/* The consumer's one container: sc-exec from our image running the
 * workload's command, with what the template's container says carried
 * over. */
static json_t *consumer_container(json_t *sci, const char *node, const struct sc_pod_options *o,
				  json_t *argv)
{
	json_t *tc = sc_json_path(sci, "spec.template.container");
	json_t *container =
	    json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:o}}", "name", SC_CONTAINER_WORKLOAD, "image",
		      o->exec_image, "imagePullPolicy", o->exec_image_pull_policy, "command",
		      exec_command(sci, node, argv), "env", consumer_env(sci), "securityContext",
		      "capabilities", consumer_capabilities(sci));
	static const char *const carried[] = {
	    "envFrom",        "resources",     "ports",        "volumeMounts",
	    "readinessProbe", "livenessProbe", "startupProbe", "lifecycle",
	    "stdin",          "stdinOnce",     "tty",
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(carried); i++)
		set_copy(container, carried[i], json_object_get(tc, carried[i]));
	/* A template that says nothing about stdin keeps it open (as docker
	 * run -i): a shell as the workload ("/bin/bash", as the seed writes
	 * it) then waits for input instead of reading EOF at once and exiting
	 * in a loop. stdin: false stays false. */
	if (json_object_get(tc, "stdin") == NULL)
		json_object_set_new(container, "stdin", json_true());
	/* kubectl exec starts in the container's working directory: the
	 * workload's, which sc-exec creates in the rootfs if missing (the
	 * runtime creates it in the exec image at the container's start). */
	const char *workdir = workload_workdir(sci);
	if (workdir != NULL)
		json_object_set_new(container, "workingDir", json_string(workdir));
	/* Seccomp and AppArmor cannot be applied from inside, so they are the
	 * container's. */
	static const char *const outside[] = {"seccompProfile", "appArmorProfile"};
	for (size_t i = 0; i < SC_ARRAY_SIZE(outside); i++)
		set_copy(json_object_get(container, "securityContext"), outside[i],
			 json_object_get(json_object_get(tc, "securityContext"), outside[i]));
	return container;
}

/* The consumer pod's securityContext. */
static json_t *consumer_pod_security(json_t *sci)
{
	json_t *psc = sc_json_path(sci, "spec.template.securityContext");
	json_t *pod_sc = json_object();
	/* Only what acts at the pod level goes on the pod: the user and groups
	 * are applied by sc-exec inside the rootfs. */
	static const char *const pod_level[] = {"fsGroup", "fsGroupChangePolicy", "sysctls",
						"appArmorProfile"};
	for (size_t i = 0; i < SC_ARRAY_SIZE(pod_level); i++)
		set_copy(pod_sc, pod_level[i], json_object_get(psc, pod_level[i]));
	/* The runtime's default seccomp profile unless the template names
	 * one (at the pod or the container level, which wins), as the
	 * provider has: a workload does not get unshare or mount by default. */
	json_t *pod_seccomp = json_object_get(psc, "seccompProfile");
	if (pod_seccomp != NULL)
		set_copy(pod_sc, "seccompProfile", pod_seccomp);
	else
		json_object_set_new(pod_sc, "seccompProfile",
				    json_pack("{s:s}", "type", "RuntimeDefault"));
	return pod_sc;
}

bool sc_consumer_runtime_path(json_t *sci, const struct sc_pod_options *o)
{
	return o->runtime_path && sc_json_bool_at(sci, "status.rootfs.runtimeHook");
}

/* The runtime path: the template's own container as written — the user's
 * image, command, user, working directory and capabilities — which the
 * runtime starts in the rootfs (the node's NRI plugin adds the hook). */
static json_t *runtime_container(json_t *sci)
{
	json_t *c = json_deep_copy(sc_json_path(sci, "spec.template.container"));
	if (!json_is_object(c)) {
		json_decref(c);
		c = json_object();
	}
	json_object_set_new(c, "name", json_string(SC_CONTAINER_WORKLOAD));
	/* The provider keeps the image on the node; never pull it again. */
	if (json_object_get(c, "imagePullPolicy") == NULL)
		json_object_set_new(c, "imagePullPolicy", json_string("IfNotPresent"));
	if (json_object_get(c, "stdin") == NULL)
		json_object_set_new(c, "stdin", json_true());
	return c;
}

static json_t *runtime_pod_security(json_t *sci)
{
	json_t *pod_sc = json_deep_copy(sc_json_path(sci, "spec.template.securityContext"));
	if (!json_is_object(pod_sc)) {
		json_decref(pod_sc);
		pod_sc = json_object();
	}
	if (json_object_get(pod_sc, "seccompProfile") == NULL)
		json_object_set_new(pod_sc, "seccompProfile",
				    json_pack("{s:s}", "type", "RuntimeDefault"));
	return pod_sc;
}

json_t *sc_build_consumer_pod(json_t *sci, const char *node, const struct sc_pod_options *o,
			      sc_error_t *err)
{
	bool runtime = sc_consumer_runtime_path(sci, o);
	json_t *container;
	if (runtime) {
		container = runtime_container(sci);
	} else {
		json_t *argv = sc_workload_argv(sci, err);
		if (argv == NULL)
			return NULL;
		container = consumer_container(sci, node, o, argv);
		json_decref(argv);
	}
	char hash[17];
	sc_consumer_hash(sci, o, hash);

	json_t *grace = sc_json_path(sci, "spec.template.terminationGracePeriodSeconds");
	json_t *spec = json_pack("{s:[o], s:s, s:I, s:b}", "containers", container, "restartPolicy",
				 "Always", "terminationGracePeriodSeconds",
				 json_is_integer(grace) ? json_integer_value(grace)
							: (json_int_t)SC_DEFAULT_GRACE_SECONDS,
				 "enableServiceLinks", 0);
	/* On the provider's node, where the rootfs is. */
	require_node(spec, node);
	/* The template's pod fields (both shapes, sc_template_normalize). Init
	 * containers run from their own images before the workload, not in the
	 * persistent rootfs. */
	static const char *const pod_carried[] = {"volumes",
						  "tolerations",
						  "serviceAccountName",
						  "imagePullSecrets",
						  "priorityClassName",
						  "initContainers",
						  "runtimeClassName",
						  "dnsPolicy",
						  "dnsConfig",
						  "hostAliases",
						  "hostname",
						  "subdomain",
						  "automountServiceAccountToken",
						  "enableServiceLinks"};
	json_t *tmpl = sc_json_path(sci, "spec.template");
	for (size_t i = 0; i < SC_ARRAY_SIZE(pod_carried); i++)
		set_copy(spec, pod_carried[i], json_object_get(tmpl, pod_carried[i]));
	json_object_set_new(spec, "securityContext",
			    runtime ? runtime_pod_security(sci) : consumer_pod_security(sci));

	json_t *labels = json_object();
	json_t *annotations = json_object();
	json_t *ul = sc_json_path(sci, "spec.template.metadata.labels");
	json_t *ua = sc_json_path(sci, "spec.template.metadata.annotations");
	if (json_is_object(ul))
		json_object_update(labels, ul);
	if (json_is_object(ua))
		json_object_update(annotations, ua);
	/* Ours last, so a template cannot take them over. */
	json_t *ours = our_labels(sci, SC_ROLE_CONSUMER);
	json_object_update(labels, ours);
	json_decref(ours);
	json_object_set_new(annotations, SC_ANNOTATION_CONSUMER_HASH, json_string(hash));
	if (runtime)
		json_object_set_new(annotations, SC_ANNOTATION_ROOTFS_MODE,
				    json_string(SC_ROOTFS_MODE_RUNTIME));

	return json_pack("{s:s, s:s, s:{s:s, s:s?, s:o, s:o, s:o}, s:o}", "apiVersion", "v1",
			 "kind", "Pod", "metadata", "name", sc_json_name(sci), "namespace",
			 sc_json_namespace(sci), "labels", labels, "annotations", annotations,
			 "ownerReferences", owner_reference(sci), "spec", spec);
}

/* The consumer pod of the runtime path (issue 16): when the node's runtime
 * takes the mount-helper's rootfs hook (status.rootfs.runtimeHook), the
 * consumer is the template's own container — the user's image, command,
 * securityContext — annotated rootfs-mode: runtime; otherwise it is today's
 * sc-exec container. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "controller/pods.h"
#include "lib/sc-api.h"
#include "lib/sc-json.h"
#include "lib/sc-util.h"
#include "sc-test.h"

#define SCI_UID "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

static json_t *restricted_sci(bool runtime_hook)
{
	json_error_t e;
	json_t *sci = json_loads(
	    "{\"apiVersion\":\"" SC_API_VERSION "\",\"kind\":\"StoppableContainerInstance\","
	    "\"metadata\":{\"name\":\"dev\",\"namespace\":\"team\",\"uid\":\"" SCI_UID "\"},"
	    "\"spec\":{\"template\":{\"securityContext\":{\"runAsNonRoot\":true,\"runAsUser\":1000,"
	    "\"runAsGroup\":1000,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"
	    "\"container\":{\"image\":\"example/dev:1\",\"command\":[\"sleep\",\"infinity\"],"
	    "\"workingDir\":\"/home/dev\",\"securityContext\":{\"allowPrivilegeEscalation\":false,"
	    "\"capabilities\":{\"drop\":[\"ALL\"]}}}}},"
	    "\"status\":{\"rootfs\":{\"providerPodUID\":\"p\",\"nodeName\":\"node-a\"}}}",
	    0, &e);
	SC_ASSERT(sci != NULL);
	if (runtime_hook)
		json_object_set_new(sc_json_path(sci, "status.rootfs"), "runtimeHook", json_true());
	return sci;
}

SC_TEST(the_runtime_path_runs_the_template_container_as_written)
{
	struct sc_pod_options o;
	sc_pod_options_defaults(&o);
	json_t *sci = restricted_sci(true);
	SC_ASSERT(!sc_consumer_runtime_path(sci, &o)); /* the switch is off by default */
	o.runtime_path = true;
	SC_ASSERT(sc_consumer_runtime_path(sci, &o));
	cleanup_error sc_error_t err = NULL;
	json_t *pod = sc_build_consumer_pod(sci, "node-a", &o, &err);
	SC_ASSERT(pod != NULL);
	json_t *c = json_array_get(sc_json_path(pod, "spec.containers"), 0);
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "name"), "workload");
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "image"), "example/dev:1");
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "imagePullPolicy"), "IfNotPresent");
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "workingDir"), "/home/dev");
	cleanup_free char *cmd = json_dumps(json_object_get(c, "command"), JSON_COMPACT);
	SC_ASSERT_STR_EQ(cmd, "[\"sleep\",\"infinity\"]");
	cleanup_free char *csc =
	    json_dumps(json_object_get(c, "securityContext"), JSON_COMPACT | JSON_SORT_KEYS);
	/* exactly the template's: no SYS_CHROOT, nothing added */
	SC_ASSERT_STR_EQ(csc, "{\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":["
			      "\"ALL\"]}}");
	cleanup_free char *psc =
	    json_dumps(sc_json_path(pod, "spec.securityContext"), JSON_COMPACT | JSON_SORT_KEYS);
	SC_ASSERT_STR_EQ(psc, "{\"runAsGroup\":1000,\"runAsNonRoot\":true,\"runAsUser\":1000,"
			      "\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}");
	json_t *ann = sc_json_path(pod, "metadata.annotations");
	SC_ASSERT_STR_EQ(json_string_value(json_object_get(ann, SC_ANNOTATION_ROOTFS_MODE)),
			 "runtime");
	SC_ASSERT(json_object_get(ann, SC_ANNOTATION_CONSUMER_HASH) != NULL);
	SC_ASSERT(json_is_true(json_object_get(c, "stdin")));
	/* Still pinned to the rootfs's node. */
	cleanup_free char *aff = json_dumps(sc_json_path(pod, "spec.affinity"), JSON_COMPACT);
	SC_ASSERT(aff != NULL && strstr(aff, "node-a") != NULL);
	json_decref(pod);
	json_decref(sci);
}

SC_TEST(without_the_switch_or_the_hook_the_consumer_is_todays_sc_exec_container)
{
	struct sc_pod_options o;
	sc_pod_options_defaults(&o);
	o.runtime_path = true;
	json_t *sci = restricted_sci(false);
	SC_ASSERT(!sc_consumer_runtime_path(sci, &o));
	cleanup_error sc_error_t err = NULL;
	json_t *pod = sc_build_consumer_pod(sci, "node-a", &o, &err);
	SC_ASSERT(pod != NULL);
	json_t *c = json_array_get(sc_json_path(pod, "spec.containers"), 0);
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "image"), o.exec_image);
	SC_ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(c, "command"), 0)),
			 "/sc-exec");
	SC_ASSERT(json_object_get(sc_json_path(pod, "metadata.annotations"),
				  SC_ANNOTATION_ROOTFS_MODE) == NULL);
	json_decref(pod);
	json_decref(sci);
}

SC_TEST(switching_paths_changes_the_consumer_hash)
{
	struct sc_pod_options o;
	sc_pod_options_defaults(&o);
	o.runtime_path = true;
	json_t *a = restricted_sci(false), *b = restricted_sci(true);
	char ha[17], hb[17];
	sc_consumer_hash(a, &o, ha);
	sc_consumer_hash(b, &o, hb);
	SC_ASSERT(strcmp(ha, hb) != 0);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	return sc_test_run();
}

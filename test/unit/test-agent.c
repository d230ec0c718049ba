/* The mount-helper's pure status helpers (src/mount-helper/agent.c): what it
 * applies to an instance's status, and whether a write is needed at all. */
#include "lib/sc-api.h"
#include "lib/sc-json.h"
#include "mount-helper/agent.h"
#include "sc-test.h"

#define NODE     "node-a"
#define PROVIDER "11111111-2222-3333-4444-555555555555"
#define HOSTPATH "/var/lib/stoppablecontainer/ns1/demo/uid"
#define CID      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static json_t *instance(void)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "apiVersion", SC_API_VERSION, "kind",
			 SCI_KIND, "metadata", "name", "demo", "namespace", "ns1", "uid", "uid");
}

/* The instance's status as the API server holds it after status was applied
 * (a server-side apply of our fields onto an empty status). */
static void applied(json_t *sci, json_t *status)
{
	json_object_set_new(sci, "status", json_deep_copy(status));
}

SC_TEST(ready_status_names_the_node_the_provider_and_the_path)
{
	json_t *sci = instance();
	json_t *st =
	    sc_agent_ready_status(sci, NODE, PROVIDER, HOSTPATH, NULL, 3, "2026-11-29T00:00:00Z");
	SC_ASSERT_STR_EQ(sc_json_path_str(st, "rootfs.nodeName"), NODE);
	SC_ASSERT_STR_EQ(sc_json_path_str(st, "rootfs.providerPodUID"), PROVIDER);
	SC_ASSERT_STR_EQ(sc_json_path_str(st, "hostPath"), HOSTPATH);
	json_t *c = json_array_get(json_object_get(st, "conditions"), 0);
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "type"), SC_COND_ROOTFS_READY);
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "status"), "True");
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "message"),
			 "rootfs mounted on node node-a over 3 image layers");
	SC_ASSERT(sc_json_path(st, "rootfs.workloadContainerID") == NULL);
	SC_ASSERT(sc_agent_status_differs(sci, st));
	json_decref(st);
	json_decref(sci);
}

SC_TEST(ready_status_keeps_the_stacked_container_and_settles)
{
	/* The rootfs was reported ready, then stacked on workload container
	 * CID. The next reconcile must find nothing to write: an apply without
	 * the container ID would remove it, and the stacking would put it back,
	 * forever. */
	json_t *sci = instance();
	json_t *ready =
	    sc_agent_ready_status(sci, NODE, PROVIDER, HOSTPATH, NULL, 3, "2026-11-29T00:00:00Z");
	applied(sci, ready);
	json_object_set_new(json_object_get(sc_json_path(sci, "status"), "rootfs"),
			    "workloadContainerID", json_string(CID));

	json_t *again =
	    sc_agent_ready_status(sci, NODE, PROVIDER, HOSTPATH, NULL, 3, "2026-11-29T00:05:00Z");
	SC_ASSERT_STR_EQ(sc_json_path_str(again, "rootfs.workloadContainerID"), CID);
	SC_ASSERT(!sc_agent_status_differs(sci, again));
	/* Nor was the transition time moved by a later reconcile. */
	json_t *c = json_array_get(json_object_get(again, "conditions"), 0);
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "lastTransitionTime"), "2026-11-29T00:00:00Z");

	/* A new provider pod is a change to report, and the workload is still
	 * stacked on the same container. */
	json_t *moved = sc_agent_ready_status(sci, NODE, "99999999-2222-3333-4444-555555555555",
					      HOSTPATH, NULL, 3, "2026-11-29T00:06:00Z");
	SC_ASSERT(sc_agent_status_differs(sci, moved));
	SC_ASSERT_STR_EQ(sc_json_path_str(moved, "rootfs.workloadContainerID"), CID);
	json_decref(moved);
	json_decref(again);
	json_decref(ready);
	json_decref(sci);
}

SC_TEST(failure_after_ready_is_a_change)
{
	json_t *sci = instance();
	json_t *ready =
	    sc_agent_ready_status(sci, NODE, PROVIDER, HOSTPATH, NULL, 1, "2026-11-29T00:00:00Z");
	applied(sci, ready);
	json_t *failed =
	    sc_agent_failed_status(sci, "PrefixNotAllowed", "not allowed", "2026-11-29T00:01:00Z");
	SC_ASSERT(sc_agent_status_differs(sci, failed));
	json_t *c = json_array_get(json_object_get(failed, "conditions"), 0);
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "status"), "False");
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "reason"), "PrefixNotAllowed");
	json_decref(failed);
	json_decref(ready);
	json_decref(sci);
}

SC_TEST(stack_failure_keeps_the_rootfs_and_settles_on_retry)
{
	/* The rootfs is mounted, the stack on the workload fails: RootfsReady
	 * False (StackFailed) with the error naming the path, the rootfs and
	 * the host path kept; a retry with the same error writes nothing (no
	 * flip back to True between retries). */
	json_t *sci = instance();
	json_t *ready =
	    sc_agent_ready_status(sci, NODE, PROVIDER, HOSTPATH, NULL, 2, "2026-11-29T00:00:00Z");
	applied(sci, ready);
	SC_ASSERT(sc_agent_stack_failure(sci) == NULL);

	const char *msg = "mountpoint for /newvol: opening mountpoint /newvol";
	json_t *failed =
	    sc_agent_ready_status(sci, NODE, PROVIDER, HOSTPATH, NULL, 2, "2026-11-29T00:01:00Z");
	sc_agent_mark_stack_failed(sci, failed, msg, "2026-11-29T00:01:00Z");
	SC_ASSERT(sc_agent_status_differs(sci, failed));
	json_t *c = json_array_get(json_object_get(failed, "conditions"), 0);
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "type"), SC_COND_ROOTFS_READY);
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "status"), "False");
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "reason"), SC_REASON_STACK_FAILED);
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "message"), msg);
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "lastTransitionTime"), "2026-11-29T00:01:00Z");
	SC_ASSERT_STR_EQ(sc_json_path_str(failed, "hostPath"), HOSTPATH);
	SC_ASSERT_STR_EQ(sc_json_path_str(failed, "rootfs.providerPodUID"), PROVIDER);
	applied(sci, failed);
	SC_ASSERT_STR_EQ(sc_agent_stack_failure(sci), msg);

	json_t *retry =
	    sc_agent_ready_status(sci, NODE, PROVIDER, HOSTPATH, NULL, 2, "2026-11-29T00:02:00Z");
	sc_agent_mark_stack_failed(sci, retry, msg, "2026-11-29T00:02:00Z");
	SC_ASSERT(!sc_agent_status_differs(sci, retry));

	/* Once it works: True again, on the container it is stacked on. */
	json_t *ok =
	    sc_agent_ready_status(sci, NODE, PROVIDER, HOSTPATH, NULL, 2, "2026-11-29T00:03:00Z");
	sc_agent_mark_stacked(ok, CID);
	SC_ASSERT(sc_agent_status_differs(sci, ok));
	SC_ASSERT_STR_EQ(sc_json_path_str(ok, "rootfs.workloadContainerID"), CID);
	c = json_array_get(json_object_get(ok, "conditions"), 0);
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "status"), "True");
	SC_ASSERT_STR_EQ(sc_json_path_str(c, "lastTransitionTime"), "2026-11-29T00:03:00Z");
	applied(sci, ok);
	SC_ASSERT(sc_agent_stack_failure(sci) == NULL);

	/* Another failure reason is not a stack failure. */
	json_t *other = sc_agent_failed_status(sci, "MountFailed", "x", "2026-11-29T00:04:00Z");
	applied(sci, other);
	SC_ASSERT(sc_agent_stack_failure(sci) == NULL);
	json_decref(other);
	json_decref(ok);
	json_decref(retry);
	json_decref(failed);
	json_decref(ready);
	json_decref(sci);
}

SC_TEST(running_container_id_from_pod_status)
{
	json_t *pod = json_pack("{s:{s:[{s:s, s:s, s:s, s:{s:{}}}]}}", "status",
				"containerStatuses", "name", "workload", "containerID",
				"containerd://" CID, "imageID", "sha256:abc", "state", "running");
	char id[65];
	const char *image = NULL;
	SC_ASSERT(sc_agent_running_container(pod, "workload", id, &image));
	SC_ASSERT_STR_EQ(id, CID);
	SC_ASSERT_STR_EQ(image, "sha256:abc");
	SC_ASSERT(!sc_agent_running_container(pod, "other", id, NULL));
	json_decref(pod);
}

int main(void)
{
	return sc_test_run();
}

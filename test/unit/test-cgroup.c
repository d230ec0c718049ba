/* Unit tests of the cgroup parser and the container matcher on saved files
 * (test/unit/data/cgroup/). */
#include <errno.h>
#include <string.h>

#include "lib/sc-buf.h"
#include "node/sc-cgroup.h"
#include "node/sc-proc.h"
#include "sc-test.h"

#define POD_A "6b0f3c1e-8d2a-4f5b-9c3d-2e1a0b9c8d7f"
#define CID_A "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e"
#define POD_B "0c9e8f7a-6b5d-4c3e-8a1f-2b3c4d5e6f70"
#define CID_B "a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6f7081"
#define POD_R "3f7c5b1e-2a4d-4c8e-9b1a-7d2e6f0a1c55"
#define CID_R "4e5b0d8c1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4"

static void load(const char *name, struct sc_cgroup *cg)
{
	cleanup_free char *path = sc_xasprintf("%s/cgroup/%s", SC_TEST_DATA, name);
	cleanup_free char *data = NULL;
	size_t len = 0;
	cleanup_error sc_error_t err = NULL;
	if (sc_read_file(path, SC_CGROUP_MAX_BYTES, &data, &len, &err) < 0 ||
	    sc_cgroup_parse(data, len, cg, &err) < 0)
		sc_test_fail(__FILE__, __LINE__, "%s: %s", name, sc_error_message(err));
}

static int belongs(const char *file, const char *pod, const char *cid)
{
	cleanup_cgroup struct sc_cgroup cg = {0};
	load(file, &cg);
	cleanup_error sc_error_t err = NULL;
	int r = sc_cgroup_belongs(&cg, pod, cid, &err);
	if (r < 0)
		sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(err));
	return r;
}

SC_TEST(parse_v1_hybrid_runc)
{
	cleanup_cgroup struct sc_cgroup cg = {0};
	load("runc-cgroupfs-v1-hybrid.cgroup", &cg);
	SC_ASSERT_INT_EQ(cg.n, 10);
	SC_ASSERT_INT_EQ(cg.entries[0].hierarchy, 9);
	SC_ASSERT_STR_EQ(cg.entries[0].controllers, "name=systemd");
	SC_ASSERT_INT_EQ(cg.entries[9].hierarchy, 0);
	SC_ASSERT_STR_EQ(cg.entries[9].controllers, "");
	SC_ASSERT_STR_EQ(cg.entries[9].path, "/kubepods/besteffort/pod" POD_R "/" CID_R);
}

SC_TEST(match_each_driver_and_version)
{
	SC_ASSERT_INT_EQ(belongs("runc-cgroupfs-v1-hybrid.cgroup", POD_R, CID_R), 1);
	SC_ASSERT_INT_EQ(belongs("containerd-systemd-v2.cgroup", POD_B, CID_B), 1);
	SC_ASSERT_INT_EQ(belongs("containerd-systemd-v1.cgroup", POD_A, CID_A), 1);
	SC_ASSERT_INT_EQ(belongs("containerd-cgroupfs-v2.cgroup", POD_B, CID_B), 1);
	SC_ASSERT_INT_EQ(belongs("containerd-cgroupfs-v2-guaranteed.cgroup", POD_A, CID_A), 1);
	SC_ASSERT_INT_EQ(belongs("containerd-systemd-v2-guaranteed.cgroup", POD_A, CID_A), 1);
}

SC_TEST(wrong_pod_or_container_does_not_match)
{
	/* right container ID, wrong pod UID */
	SC_ASSERT_INT_EQ(belongs("containerd-systemd-v2.cgroup", POD_A, CID_B), 0);
	SC_ASSERT_INT_EQ(belongs("runc-cgroupfs-v1-hybrid.cgroup", POD_A, CID_R), 0);
	/* right pod, another container of it (the sandbox) */
	SC_ASSERT_INT_EQ(belongs("containerd-cgroupfs-v2-sandbox.cgroup", POD_B, CID_B), 0);
	SC_ASSERT_INT_EQ(belongs("containerd-systemd-v1.cgroup", POD_A, CID_B), 0);
	/* a host process is in no container */
	SC_ASSERT_INT_EQ(belongs("host-process-v1.cgroup", POD_A, CID_A), 0);
}

static enum sc_cgroup_match m(const char *path)
{
	return sc_cgroup_path_match(path, POD_A, CID_A);
}

SC_TEST(path_match_is_exact)
{
	SC_ASSERT_INT_EQ(m("/kubepods/pod" POD_A "/" CID_A), SC_CGROUP_MATCH_YES);
	SC_ASSERT_INT_EQ(m("/../../kubepods/besteffort/pod" POD_A "/" CID_A), SC_CGROUP_MATCH_YES);
	/* ID with a suffix or prefix, upper case, or short */
	SC_ASSERT_INT_EQ(m("/kubepods/pod" POD_A "/" CID_A "0"), SC_CGROUP_MATCH_NONE);
	SC_ASSERT_INT_EQ(m("/kubepods/pod" POD_A "/x" CID_A), SC_CGROUP_MATCH_NONE);
	SC_ASSERT_INT_EQ(m("/kubepods/pod" POD_A "/" CID_A "/"), SC_CGROUP_MATCH_NONE);
	SC_ASSERT_INT_EQ(m("/kubepods/pod" POD_A
			   "/9F2C4E6A8B0D1F3E5A7C9B1D3F5E7A9C1B3D5F7E9A1C3B5D7F"
			   "9E1A3C5B7D9F1E"),
			 SC_CGROUP_MATCH_NONE);
	/* the pod component must be exactly pod<uid> */
	SC_ASSERT_INT_EQ(m("/kubepods/xpod" POD_A "/" CID_A), SC_CGROUP_MATCH_OTHER);
	SC_ASSERT_INT_EQ(m("/kubepods/pod" POD_A "x/" CID_A), SC_CGROUP_MATCH_OTHER);
	SC_ASSERT_INT_EQ(m("/" CID_A), SC_CGROUP_MATCH_OTHER);
	/* deleted cgroups never match */
	SC_ASSERT_INT_EQ(m("/kubepods/pod" POD_A "/" CID_A " (deleted)"), SC_CGROUP_MATCH_NONE);
	/* systemd form: underscores in the slice, dashes in the plain UID fail */
	SC_ASSERT_INT_EQ(m("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
			   "6b0f3c1e_8d2a_4f5b_9c3d_2e1a0b9c8d7f.slice/cri-containerd-" CID_A
			   ".scope"),
			 SC_CGROUP_MATCH_YES);
	SC_ASSERT_INT_EQ(m("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_A
			   ".slice/cri-containerd-" CID_A ".scope"),
			 SC_CGROUP_MATCH_OTHER);
	SC_ASSERT_INT_EQ(m("/system.slice/x-pod6b0f3c1e_8d2a_4f5b_9c3d_2e1a0b9c8d7f.slice/"
			   "cri-containerd-" CID_A ".scope"),
			 SC_CGROUP_MATCH_OTHER);
	SC_ASSERT_INT_EQ(m("/kubepods.slice/kubepods-pod6b0f3c1e_8d2a_4f5b_9c3d_2e1a0b9c8d7f.slice/"
			   "crio-" CID_A ".scope"),
			 SC_CGROUP_MATCH_YES);
	SC_ASSERT_INT_EQ(m("/kubepods.slice/kubepods-pod6b0f3c1e_8d2a_4f5b_9c3d_2e1a0b9c8d7f.slice/"
			   "crio-conmon-" CID_A ".scope"),
			 SC_CGROUP_MATCH_NONE);
	SC_ASSERT_INT_EQ(m("/"), SC_CGROUP_MATCH_NONE);
}

SC_TEST(contradicting_hierarchies_do_not_match)
{
	cleanup_cgroup struct sc_cgroup cg = {0};
	cleanup_error sc_error_t err = NULL;
	const char *s = "2:memory:/kubepods/pod" POD_A "/" CID_A "\n"
			"1:pids:/kubepods/pod" POD_A "/" CID_B "\n";
	SC_ASSERT_INT_EQ(sc_cgroup_parse(s, strlen(s), &cg, &err), 0);
	SC_ASSERT_INT_EQ(sc_cgroup_belongs(&cg, POD_A, CID_A, &err), 0);
}

SC_TEST(invalid_arguments)
{
	cleanup_cgroup struct sc_cgroup cg = {0};
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_cgroup_belongs(&cg, "not-a-uid", CID_A, &err), -1);
	sc_error_release(&err);
	SC_ASSERT_INT_EQ(sc_cgroup_belongs(&cg, POD_A, "abc", &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, "64 lower-case hex");
}

SC_TEST(malformed_files_are_refused)
{
	static const char *bad[] = {
	    "x:cpu:/a\n", "1:cpu\n", "1:cpu:relative\n", "0:cpu:/a\n", "1:cpu:\n", "-1:cpu:/\n",
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(bad); i++) {
		struct sc_cgroup cg = {0};
		cleanup_error sc_error_t err = NULL;
		if (sc_cgroup_parse(bad[i], strlen(bad[i]), &cg, &err) == 0)
			sc_test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
		SC_ASSERT_INT_EQ(err->code, EINVAL);
		SC_ASSERT(cg.entries == NULL);
	}
	/* more lines than the cap */
	cleanup_buf struct sc_buf b = SC_BUF_INIT(1 << 20);
	cleanup_error sc_error_t err = NULL;
	for (int i = 0; i < 100; i++)
		sc_buf_printf(&b, &err, "%d:c%d:/\n", i + 1, i);
	struct sc_cgroup cg = {0};
	SC_ASSERT_INT_EQ(sc_cgroup_parse(b.data, b.len, &cg, &err), -1);
	SC_ASSERT_INT_EQ(err->code, EMSGSIZE);
}

SC_TEST(container_id_from_pod_status)
{
	cleanup_error sc_error_t err = NULL;
	cleanup_free char *rt = NULL, *id = NULL;
	SC_ASSERT_INT_EQ(sc_container_id_parse("containerd://" CID_A, &rt, &id, &err), 0);
	SC_ASSERT_STR_EQ(rt, "containerd");
	SC_ASSERT_STR_EQ(id, CID_A);
	static const char *bad[] = {"",
				    CID_A,
				    "containerd://",
				    "containerd://" CID_A "0",
				    "://" CID_A,
				    "Docker://" CID_A,
				    "containerd://../" CID_A};
	for (size_t i = 0; i < SC_ARRAY_SIZE(bad); i++) {
		sc_error_release(&err);
		SC_ASSERT_INT_EQ(sc_container_id_parse(bad[i], NULL, NULL, &err), -1);
	}
}

SC_TEST(proc_stat_parent_and_start_time)
{
	cleanup_error sc_error_t err = NULL;
	pid_t ppid;
	unsigned long long start;
	/* a command name with spaces and parentheses: fields count from the
	 * last ')' */
	const char *s = "4242 (evil) 1 2 (x) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 "
			"1 0 987654 1000 100 18446744073709551615\n";
	SC_ASSERT_INT_EQ(sc_proc_parse_stat(s, strlen(s), &ppid, &start, &err), 0);
	SC_ASSERT_INT_EQ(ppid, 17);
	SC_ASSERT_INT_EQ(start, 987654);
	static const char *bad[] = {"", "1 (x S 1", "1 (x) S",
				    ("1 (x) S -1 1 1 0 -1 0 0 0 0 0 0 0 "
				     "0 0 0 0 1 0 5"),
				    "1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 0 0 1 0 5x"};
	for (size_t i = 0; i < SC_ARRAY_SIZE(bad); i++) {
		sc_error_release(&err);
		SC_ASSERT_INT_EQ(sc_proc_parse_stat(bad[i], strlen(bad[i]), &ppid, &start, &err),
				 -1);
	}
}

int main(void)
{
	return sc_test_run();
}

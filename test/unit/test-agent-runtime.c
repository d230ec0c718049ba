/* The agent's check on the runtime path (issue 16): the workload's "/" must
 * be the instance's overlay, which the runtime's hook stacked before
 * pivot_root; anything else (the plugin was not consulted) is not. */
#include <string.h>

#include "mount-helper/agent.h"
#include "node/sc-mountinfo.h"
#include "sc-test.h"

#define UPPER "/var/lib/stoppablecontainer/team/dev/3d4c5b6a-7988-4a1b-9c2d-3e4f5a6b7c8d/upper"

/* A container after the runtime pivoted into the stacked rootfs: its root is
 * our overlay (lowerdir+ layers), with the runtime's /proc on it. */
static const char runtime_path[] =
    "1201 1187 0:63 / / rw,nodev,relatime - overlay none rw,lowerdir+=/var/lib/containerd/"
    "io.containerd.snapshotter.v1.overlayfs/snapshots/9/fs,upperdir=" UPPER ",workdir=/var/lib/"
    "stoppablecontainer/team/dev/3d4c5b6a-7988-4a1b-9c2d-3e4f5a6b7c8d/work,index=off\n"
    "1202 1201 0:70 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n";

/* The same container created without the hook: the image's own snapshot. */
static const char image_root[] =
    "1301 1287 0:64 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containerd/"
    "io.containerd.snapshotter.v1.overlayfs/snapshots/9/fs,upperdir=/var/lib/containerd/"
    "io.containerd.snapshotter.v1.overlayfs/snapshots/12/fs,workdir=/var/lib/containerd/"
    "io.containerd.snapshotter.v1.overlayfs/snapshots/12/work\n"
    "1302 1301 0:71 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n";

static bool check(const char *text, const char *upper)
{
	struct sc_mountinfo mi = {0};
	SC_ASSERT_INT_EQ(sc_mountinfo_parse(text, strlen(text), &mi, NULL), 0);
	bool r = sc_agent_root_is_instance(&mi, upper);
	sc_mountinfo_free(&mi);
	return r;
}

SC_TEST(the_instance_overlay_as_root_is_the_runtime_path)
{
	SC_ASSERT(check(runtime_path, UPPER));
}

SC_TEST(another_upper_or_the_image_snapshot_is_not)
{
	SC_ASSERT(!check(runtime_path, "/var/lib/stoppablecontainer/team/other/x/upper"));
	SC_ASSERT(!check(image_root, UPPER));
	SC_ASSERT(!check("1 0 0:1 / /proc rw - proc proc rw\n", UPPER));
	SC_ASSERT(!check("1 0 0:1 / / rw - tmpfs tmpfs rw\n", UPPER));
}

int main(void)
{
	return sc_test_run();
}

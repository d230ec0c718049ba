/* The kernel probe: this machine is above the floor (CI's kernel is), the
 * description names what is used, and a missing feature gives the message
 * that the conditions and /readyz carry. */
#include <string.h>
#include <sys/utsname.h>

#include "node/sc-kernel.h"
#include "sc-test.h"

SC_TEST(this_kernel_is_supported_and_described)
{
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_kernel_probe(&err), 0);
	const struct sc_kernel *k = sc_kernel();
	struct utsname u;
	SC_ASSERT_INT_EQ(uname(&u), 0);
	SC_ASSERT_STR_EQ(k->release, u.release);
	SC_ASSERT(k->missing == NULL);
	SC_ASSERT_STR_EQ(sc_kernel_unsupported(), "");
	cleanup_free char *d = sc_kernel_describe();
	SC_ASSERT_STR_CONTAINS(d, u.release);
	SC_ASSERT_STR_CONTAINS(d, "stacking in a scratch mount namespace");
	SC_ASSERT_STR_CONTAINS(d, k->overlay_fd_layers ? "by fd (lowerdir+)"
						       : "as relative paths (classic lowerdir=)");
}

SC_TEST(forcing_the_classic_overlay_is_seen)
{
	sc_kernel_force_classic_overlay(true);
	SC_ASSERT(!sc_kernel_overlay_fd_layers());
	cleanup_free char *d = sc_kernel_describe();
	SC_ASSERT_STR_CONTAINS(d, "classic lowerdir=");
	sc_kernel_force_classic_overlay(false);
	SC_ASSERT(sc_kernel_overlay_fd_layers() == sc_kernel()->overlay_fd_layers);
}

SC_TEST(a_missing_feature_names_itself_and_the_release)
{
	sc_kernel_pretend_missing("setns on a pidfd", "5.8");
	const char *m = sc_kernel_unsupported();
	SC_ASSERT_STR_CONTAINS(m, sc_kernel()->release);
	SC_ASSERT_STR_CONTAINS(m, "lacks setns on a pidfd (Linux 5.8");
	SC_ASSERT_STR_CONTAINS(m, "needs Linux 5.10 or later");
	cleanup_free char *d = sc_kernel_describe();
	SC_ASSERT_STR_CONTAINS(d, "unsupported");
	/* probing again finds the real kernel */
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_kernel_probe(&err), 0);
	SC_ASSERT_STR_EQ(sc_kernel_unsupported(), "");
}

int main(void)
{
	return sc_test_run();
}

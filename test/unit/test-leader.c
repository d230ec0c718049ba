#include "lib/sc-json.h"
#include "lib/sc-leader.h"
#include "sc-test.h"

static json_t *lease(const char *holder, const char *renew, int transitions)
{
	return json_pack("{s:{s:s, s:s}, s:{s:s, s:i, s:s, s:i}}", "metadata", "name", "l",
			 "namespace", "ns", "spec", "holderIdentity", holder,
			 "leaseDurationSeconds", 15, "renewTime", renew, "leaseTransitions",
			 transitions);
}

SC_TEST(no_lease_means_create)
{
	struct sc_lease_observer o = {0};
	SC_ASSERT_INT_EQ(sc_lease_decide(NULL, "me", &o, 1000, 15), SC_LEASE_CREATE);
	sc_lease_observer_free(&o);
}

SC_TEST(our_lease_is_renewed)
{
	struct sc_lease_observer o = {0};
	json_t *l = lease("me", "t1", 0);
	SC_ASSERT_INT_EQ(sc_lease_decide(l, "me", &o, 1000, 15), SC_LEASE_RENEW);
	json_decref(l);
	sc_lease_observer_free(&o);
}

SC_TEST(live_holder_is_waited_for_and_expiry_uses_our_clock)
{
	struct sc_lease_observer o = {0};
	json_t *l = lease("other", "2000-01-01T00:00:00.000000Z", 3);
	/* A renewTime far in the past says nothing: we time from first sight. */
	SC_ASSERT_INT_EQ(sc_lease_decide(l, "me", &o, 100000, 15), SC_LEASE_WAIT);
	SC_ASSERT_INT_EQ(sc_lease_decide(l, "me", &o, 114000, 15), SC_LEASE_WAIT);
	/* The holder renews: the clock starts again. */
	json_t *renewed = lease("other", "2000-01-01T00:00:10.000000Z", 3);
	SC_ASSERT_INT_EQ(sc_lease_decide(renewed, "me", &o, 114500, 15), SC_LEASE_WAIT);
	SC_ASSERT_INT_EQ(sc_lease_decide(renewed, "me", &o, 129000, 15), SC_LEASE_WAIT);
	/* Unchanged for more than the duration: take it over. */
	SC_ASSERT_INT_EQ(sc_lease_decide(renewed, "me", &o, 129600, 15), SC_LEASE_ACQUIRE);
	json_decref(l);
	json_decref(renewed);
	sc_lease_observer_free(&o);
}

SC_TEST(released_lease_is_acquired_at_once)
{
	struct sc_lease_observer o = {0};
	json_t *l = lease("", "t", 1);
	SC_ASSERT_INT_EQ(sc_lease_decide(l, "me", &o, 5, 15), SC_LEASE_ACQUIRE);
	json_decref(l);
	sc_lease_observer_free(&o);
}

SC_TEST(build_counts_transitions)
{
	json_t *l = lease("other", "t", 4);
	json_t *taken = sc_lease_build(l, SC_LEASE_ACQUIRE, "ns", "l", "me", 15, "NOW");
	SC_ASSERT_STR_EQ(sc_json_path_str(taken, "spec.holderIdentity"), "me");
	SC_ASSERT_STR_EQ(sc_json_path_str(taken, "spec.acquireTime"), "NOW");
	SC_ASSERT_INT_EQ(json_integer_value(sc_json_path(taken, "spec.leaseTransitions")), 5);
	json_t *renewed = sc_lease_build(taken, SC_LEASE_RENEW, "ns", "l", "me", 15, "LATER");
	SC_ASSERT_STR_EQ(sc_json_path_str(renewed, "spec.renewTime"), "LATER");
	SC_ASSERT_STR_EQ(sc_json_path_str(renewed, "spec.acquireTime"), "NOW");
	SC_ASSERT_INT_EQ(json_integer_value(sc_json_path(renewed, "spec.leaseTransitions")), 5);
	json_t *created = sc_lease_build(NULL, SC_LEASE_CREATE, "ns", "l", "me", 15, "NOW");
	SC_ASSERT_STR_EQ(sc_json_path_str(created, "kind"), "Lease");
	SC_ASSERT_STR_EQ(sc_json_path_str(created, "metadata.namespace"), "ns");
	SC_ASSERT_INT_EQ(json_integer_value(sc_json_path(created, "spec.leaseTransitions")), 0);
	json_decref(l);
	json_decref(taken);
	json_decref(renewed);
	json_decref(created);
}

SC_TEST(micro_time_format)
{
	char t[SC_TIME_LEN];
	sc_time_now_micro(t);
	SC_ASSERT_INT_EQ(strlen(t), 27);
	SC_ASSERT(t[10] == 'T' && t[19] == '.' && t[26] == 'Z');
}

int main(void)
{
	return sc_test_run();
}

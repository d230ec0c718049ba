/* Leader election on a coordination.k8s.io/v1 Lease, so that of several
 * controller replicas exactly one reconciles.
 *
 * Expiry is judged on the local monotonic clock from the moment this replica
 * last saw the lease record change, never by comparing the holder's
 * timestamps with our clock: replicas' clocks may disagree. The decision is
 * pure (sc_lease_decide) and unit-tested; sc_leader_* run it against the API. */
#ifndef SC_LEADER_H
#define SC_LEADER_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "lib/sc-error.h"
#include "lib/sc-kube-client.h"

enum sc_lease_step {
	SC_LEASE_CREATE,  /* no lease yet: create it holding it */
	SC_LEASE_ACQUIRE, /* free or expired: take it over (update) */
	SC_LEASE_RENEW,   /* ours: renew it (update) */
	SC_LEASE_WAIT,    /* someone else holds it and is alive */
};

struct sc_lease_observer {
	char *record;         /* holder + renewTime + transitions, as last seen */
	long long seen_at_ms; /* local monotonic time the record last changed */
};

void sc_lease_observer_free(struct sc_lease_observer *o);

enum sc_lease_step sc_lease_decide(json_t *lease, const char *me, struct sc_lease_observer *obs,
				   long long now_ms, long lease_duration_s);

/* The lease object to create or update for `step`, from `lease` (NULL for
 * create); `now` is an RFC 3339 MicroTime. */
json_t *sc_lease_build(json_t *lease, enum sc_lease_step step, const char *ns, const char *name,
		       const char *me, long lease_duration_s, const char *now);

/* The running election. */
struct sc_leader_config {
	const char *namespace;
	const char *name;
	const char *identity;
	long lease_duration_s; /* 15 */
	long renew_deadline_s; /* 10: give up leadership if renewing fails this long */
	long retry_period_s;   /* 2 */
};

struct sc_leader;

/* Blocks until this replica leads (returns 0) or *stop turns true
 * (returns -1 with ECANCELED). Then a thread renews the lease; on losing it,
 * on_lost is called (the controller exits, as client-go's do). Copies the
 * strings of cfg. Takes ownership of client, which must not be shared (a renewal must not queue
 * behind other requests). */
int sc_leader_acquire(struct sc_kube_client *client, const struct sc_leader_config *cfg,
		      const atomic_bool *stop, void (*on_lost)(void), struct sc_leader **out,
		      sc_error_t *err);
/* True while we hold the lease: acquired, not lost, and renewed within the
 * renew deadline. A process that wakes from a freeze longer than that is not
 * the leader any more, before its renewer even notices. */
bool sc_leader_is_leader(struct sc_leader *l);
/* Stops renewing and releases the lease so a standby takes over at once. */
void sc_leader_release(struct sc_leader *l);

#endif

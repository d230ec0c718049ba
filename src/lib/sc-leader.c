#include "lib/sc-leader.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/sc-json.h"
#include "lib/sc-log.h"
#include "lib/sc-util.h"

void sc_lease_observer_free(struct sc_lease_observer *o)
{
	free(o->record);
	o->record = NULL;
}

static char *lease_record(json_t *lease)
{
	const char *holder = sc_json_path_str(lease, "spec.holderIdentity");
	const char *renew = sc_json_path_str(lease, "spec.renewTime");
	json_int_t transitions = json_integer_value(sc_json_path(lease, "spec.leaseTransitions"));
	return sc_xasprintf("%s|%s|%" JSON_INTEGER_FORMAT, holder ? holder : "", renew ? renew : "",
			    transitions);
}

enum sc_lease_step sc_lease_decide(json_t *lease, const char *me, struct sc_lease_observer *obs,
				   long long now_ms, long lease_duration_s)
{
	if (lease == NULL)
		return SC_LEASE_CREATE;
	char *record = lease_record(lease);
	if (obs->record == NULL || strcmp(obs->record, record) != 0) {
		free(obs->record);
		obs->record = record;
		obs->seen_at_ms = now_ms;
	} else {
		free(record);
	}
	const char *holder = sc_json_path_str(lease, "spec.holderIdentity");
	if (holder != NULL && strcmp(holder, me) == 0)
		return SC_LEASE_RENEW;
	if (holder == NULL || *holder == '\0')
		return SC_LEASE_ACQUIRE;
	json_t *d = sc_json_path(lease, "spec.leaseDurationSeconds");
	long long duration_ms =
	    (json_is_integer(d) ? json_integer_value(d) : lease_duration_s) * 1000;
	if (now_ms - obs->seen_at_ms > duration_ms)
		return SC_LEASE_ACQUIRE;
	return SC_LEASE_WAIT;
}

json_t *sc_lease_build(json_t *lease, enum sc_lease_step step, const char *ns, const char *name,
		       const char *me, long lease_duration_s, const char *now)
{
	json_t *obj = lease ? json_deep_copy(lease)
			    : json_pack("{s:s, s:s, s:{s:s, s:s}, s:{}}", "apiVersion",
					"coordination.k8s.io/v1", "kind", "Lease", "metadata",
					"name", name, "namespace", ns, "spec");
	json_t *spec = json_object_get(obj, "spec");
	if (!json_is_object(spec)) {
		spec = json_object();
		json_object_set_new(obj, "spec", spec);
	}
	json_object_set_new(spec, "holderIdentity", json_string(me));
	json_object_set_new(spec, "leaseDurationSeconds", json_integer(lease_duration_s));
	json_object_set_new(spec, "renewTime", json_string(now));
	if (step != SC_LEASE_RENEW) {
		json_int_t t = json_integer_value(json_object_get(spec, "leaseTransitions"));
		json_object_set_new(spec, "acquireTime", json_string(now));
		json_object_set_new(spec, "leaseTransitions",
				    json_integer(step == SC_LEASE_CREATE ? 0 : t + 1));
	}
	return obj;
}

struct sc_leader {
	struct sc_kube_client *client;
	struct sc_leader_config cfg;
	struct sc_lease_observer obs;
	json_t *lease; /* last lease we wrote or read */
	atomic_bool leading;
	/* sc_now_ms() of the last write of ours that the API server took: a
	 * process frozen (SIGSTOP, a paused VM) past the renew deadline knows
	 * on waking, before its renewer runs, that it may no longer lead. */
	atomic_llong renewed_at_ms;
	atomic_bool stopping;
	pthread_t renewer;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	void (*on_lost)(void);
};

/* One round: read the lease, decide, write. Returns 1 when we lead after
 * it, 0 when someone else does, -1 on an API error. */
static int try_once(struct sc_leader *l, sc_error_t *err)
{
	cleanup_json json_t *lease = NULL;
	cleanup_error sc_error_t get_err = NULL;
	if (sc_kube_get(l->client, &sc_kube_leases, l->cfg.namespace, l->cfg.name, &lease,
			&get_err) < 0) {
		if (!sc_error_is_not_found(get_err)) {
			*err = steal_pointer(&get_err);
			return -1;
		}
		lease = NULL;
	}
	enum sc_lease_step step =
	    sc_lease_decide(lease, l->cfg.identity, &l->obs, sc_now_ms(), l->cfg.lease_duration_s);
	if (step == SC_LEASE_WAIT)
		return 0;
	char now[SC_TIME_LEN];
	sc_time_now_micro(now);
	cleanup_json json_t *want = sc_lease_build(lease, step, l->cfg.namespace, l->cfg.name,
						   l->cfg.identity, l->cfg.lease_duration_s, now);
	json_t *written = NULL;
	cleanup_error sc_error_t write_err = NULL;
	int r = step == SC_LEASE_CREATE
		    ? sc_kube_create(l->client, &sc_kube_leases, l->cfg.namespace, want, NULL,
				     &written, &write_err)
		    : sc_kube_update(l->client, &sc_kube_leases, l->cfg.namespace, want, NULL,
				     &written, &write_err);
	if (r < 0) {
		/* Another replica wrote first: it leads. */
		if (sc_error_is_conflict(write_err))
			return 0;
		*err = steal_pointer(&write_err);
		return -1;
	}
	if (step != SC_LEASE_RENEW)
		SC_LOG_KV(SC_LOG_LEVEL_INFO, "became leader", "lease", l->cfg.name, "identity",
			  l->cfg.identity, NULL);
	json_decref(l->lease);
	l->lease = written;
	return 1;
}

/* Waits up to `ms` or until released. Returns true when stopping. */
static bool pause_ms(struct sc_leader *l, long long ms)
{
	return sc_wait_or_stop(&l->lock, &l->wake, &l->stopping, ms);
}

static void *renew_loop(void *data)
{
	struct sc_leader *l = data;
	long long period_ms = l->cfg.retry_period_s * 1000;
	while (!pause_ms(l, period_ms)) {
		cleanup_error sc_error_t err = NULL;
		int r = try_once(l, &err);
		if (r == 1) {
			atomic_store(&l->renewed_at_ms, sc_now_ms());
			continue;
		}
		if (r < 0)
			SC_LOG_WARN("renewing lease %s: %s", l->cfg.name, sc_error_message(err));
		if (r == 0 ||
		    sc_now_ms() - atomic_load(&l->renewed_at_ms) > l->cfg.renew_deadline_s * 1000) {
			atomic_store(&l->leading, false);
			SC_LOG_ERROR("lost leadership of lease %s", l->cfg.name);
			if (l->on_lost)
				l->on_lost();
			return NULL;
		}
	}
	return NULL;
}

int sc_leader_acquire(struct sc_kube_client *client, const struct sc_leader_config *cfg,
		      const atomic_bool *stop, void (*on_lost)(void), struct sc_leader **out,
		      sc_error_t *err)
{
	struct sc_leader *l = sc_xzalloc(sizeof(*l));
	l->client = client;
	/* Own copies: the caller's strings may not outlive this call. */
	l->cfg = *cfg;
	l->cfg.namespace = sc_xstrdup(cfg->namespace);
	l->cfg.name = sc_xstrdup(cfg->name);
	l->cfg.identity = sc_xstrdup(cfg->identity);
	l->on_lost = on_lost;
	pthread_mutex_init(&l->lock, NULL);
	sc_cond_init_monotonic(&l->wake);
	bool logged_wait = false;
	for (;;) {
		if (stop && atomic_load(stop)) {
			sc_leader_release(l);
			return sc_error_make(err, ECANCELED, "stopped before becoming leader");
		}
		cleanup_error sc_error_t e = NULL;
		int r = try_once(l, &e);
		if (r == 1)
			break;
		if (r < 0)
			SC_LOG_WARN("leader election on lease %s/%s: %s", cfg->namespace, cfg->name,
				    sc_error_message(e));
		else if (!logged_wait) {
			SC_LOG_INFO("waiting to become leader of lease %s/%s (held by another "
				    "replica)",
				    cfg->namespace, cfg->name);
			logged_wait = true;
		}
		/* A short wait between rounds; `stop` is checked each round. */
		struct timespec ts = {.tv_sec = cfg->retry_period_s, .tv_nsec = 0};
		nanosleep(&ts, NULL);
	}
	atomic_store(&l->renewed_at_ms, sc_now_ms());
	atomic_store(&l->leading, true);
	if (pthread_create(&l->renewer, NULL, renew_loop, l) != 0) {
		sc_leader_release(l);
		return sc_error_make_errno(err, "starting the lease renewer");
	}
	*out = l;
	return 0;
}

bool sc_leader_is_leader(struct sc_leader *l)
{
	return l != NULL && atomic_load(&l->leading) &&
	       sc_now_ms() - atomic_load(&l->renewed_at_ms) <= l->cfg.renew_deadline_s * 1000;
}

void sc_leader_release(struct sc_leader *l)
{
	if (l == NULL)
		return;
	bool was_leading = atomic_exchange(&l->leading, false);
	pthread_mutex_lock(&l->lock);
	atomic_store(&l->stopping, true);
	pthread_cond_broadcast(&l->wake);
	pthread_mutex_unlock(&l->lock);
	if (l->renewer)
		pthread_join(l->renewer, NULL);
	if (was_leading && l->lease != NULL) {
		/* Hand over at once instead of making a standby wait out the
		 * lease duration. */
		json_t *spec = json_object_get(l->lease, "spec");
		json_object_set_new(spec, "holderIdentity", json_string(""));
		json_object_set_new(spec, "leaseDurationSeconds", json_integer(1));
		cleanup_error sc_error_t err = NULL;
		if (sc_kube_update(l->client, &sc_kube_leases, l->cfg.namespace, l->lease, NULL,
				   NULL, &err) < 0)
			SC_LOG_WARN("releasing lease %s: %s", l->cfg.name, sc_error_message(err));
		else
			SC_LOG_INFO("released lease %s", l->cfg.name);
	}
	json_decref(l->lease);
	sc_kube_client_free(l->client);
	sc_lease_observer_free(&l->obs);
	free((char *)l->cfg.namespace);
	free((char *)l->cfg.name);
	free((char *)l->cfg.identity);
	pthread_cond_destroy(&l->wake);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

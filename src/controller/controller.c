#include "controller/controller.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "controller/decide.h"
#include "controller/execute.h"
#include "controller/model.h"
#include "lib/sc-informer.h"
#include "lib/sc-json.h"
#include "lib/sc-leader.h"
#include "lib/sc-log.h"
#include "lib/sc-reconciler.h"

/* The reconciler's sources, in this order. */
enum { SRC_SCS, SRC_INSTANCES, SRC_PODS, NSOURCES };

struct sc_controller {
	struct sc_controller_options opts;
	struct sc_kube_config *cfg;
	struct sc_kube_client *client; /* writes; the informers have their own */
	struct sc_reconciler *rec;
	struct sc_informer *scs, *instances, *pods; /* the reconciler's */
	/* metrics */
	struct sc_metric *m_writes, *m_phases;
	/* Phase of every StoppableContainer by key, for m_phases. */
	pthread_mutex_t phases_lock;
	json_t *phases;
};

/* Records the phase of key (from obj's status; NULL obj: gone) and sets the
 * sc_controller_stoppablecontainers gauge by phase from the whole table. */
static void note_phase(struct sc_controller *c, const char *key, json_t *obj)
{
	static const char *const phases[] = {SC_PHASE_PENDING,  SC_PHASE_STARTING, SC_PHASE_RUNNING,
					     SC_PHASE_STOPPING, SC_PHASE_STOPPED,  SC_PHASE_FAILED};
	const char *phase = obj ? sc_json_path_str(obj, "status.phase") : NULL;
	pthread_mutex_lock(&c->phases_lock);
	if (obj == NULL)
		json_object_del(c->phases, key);
	else
		json_object_set_new(c->phases, key, json_string(phase ? phase : SC_PHASE_PENDING));
	for (size_t i = 0; i < SC_ARRAY_SIZE(phases); i++) {
		size_t n = 0;
		const char *k;
		json_t *v;
		json_object_foreach (c->phases, k, v) {
			if (strcmp(json_string_value(v), phases[i]) == 0)
				n++;
		}
		sc_metric_set(c->m_phases, (double)n, phases[i]);
	}
	pthread_mutex_unlock(&c->phases_lock);
}

/* One reconcile of one key. Returns 0 when done, -1 to retry later. */
static int reconcile(void *data, const char *key, sc_error_t *err)
{
	struct sc_controller *c = data;
	const char *slash = strchr(key, '/');
	if (slash == NULL)
		return 0;
	cleanup_free char *ns = sc_xstrndup(key, (size_t)(slash - key));
	const char *name = slash + 1;
	cleanup_free char *provider_name = sc_xasprintf("%s%s", name, SC_PROVIDER_SUFFIX);

	cleanup_free char *provider_key = sc_xasprintf("%s/%s", ns, provider_name);
	cleanup_json json_t *sc_stored = sc_informer_get(c->scs, key);
	cleanup_json json_t *sci_stored = sc_informer_get(c->instances, key);
	cleanup_json json_t *sc = NULL, *sci = NULL;
	sc_obj_unpack_pair(sc_stored, sci_stored, "spec.template", &sc, &sci);
	cleanup_json json_t *provider = sc_informer_get(c->pods, provider_key);
	cleanup_json json_t *consumer = sc_informer_get(c->pods, key);
	/* Only pods this instance created count (our role label and a
	 * controller reference to the instance's UID): a pod anyone else made
	 * with our name and labels is never touched, and is reported. */
	const char *sci_uid = sci ? sc_json_uid(sci) : NULL;
	cleanup_json json_t *foreign_provider = NULL, *foreign_consumer = NULL;
	if (provider != NULL && !sc_pod_is_ours(provider, SC_ROLE_PROVIDER, sci_uid))
		foreign_provider = steal_pointer(&provider);
	if (consumer != NULL && !sc_pod_is_ours(consumer, SC_ROLE_CONSUMER, sci_uid))
		foreign_consumer = steal_pointer(&consumer);
	char now[SC_TIME_LEN];
	sc_time_now(now);
	note_phase(c, key, sc);
	struct sc_observed obs = {.sc = sc,
				  .sci = sci,
				  .provider = provider,
				  .consumer = consumer,
				  .foreign_provider = sci_uid ? foreign_provider : NULL,
				  .foreign_consumer = sci_uid ? foreign_consumer : NULL,
				  .now = now};
	struct sc_plan plan = {0};
	sc_decide(&obs, &c->opts.pods, &plan);
	if (plan.count == 0)
		return 0;
	const struct sc_action *st = sc_plan_find(&plan, SC_ACT_APPLY_STATUS);
	if (st != NULL)
		note_phase(c, key, st->object);
	if (c->opts.may_write != NULL && !c->opts.may_write(c->opts.may_write_data)) {
		/* The lease was not renewed in time (a frozen API server): no
		 * write, but the key is kept and retried, so it converges once
		 * the lease is renewed (or a new leader resyncs). */
		sc_plan_free(&plan);
		return sc_error_make(err, EAGAIN, "not the leader right now; writing nothing");
	}
	struct sc_execute_stats stats = {0};
	int r = sc_execute_plan(c->client, sc, &plan, &stats, err);
	sc_metric_add(c->m_writes, stats.writes);
	sc_plan_free(&plan);
	return r;
}

int sc_controller_new(const struct sc_kube_config *cfg, const struct sc_kube_client_options *copts,
		      const struct sc_controller_options *opts, struct sc_controller **out,
		      sc_error_t *err)
{
	struct sc_controller *c = sc_xzalloc(sizeof(*c));
	c->opts = *opts;
	c->cfg = sc_kube_config_dup(cfg);
	if (sc_kube_client_new(cfg, copts, &c->client, err) < 0) {
		sc_controller_free(c);
		return -1;
	}
	/* Every event maps to the StoppableContainer key it concerns: our own
	 * kinds by namespace/name, pods through their instance label. The
	 * stores keep templates as text and pods without their spec: a
	 * reconcile unpacks the one object it works on (see reconcile). Only
	 * our pods: one list+watch, selected by our label. */
	struct sc_reconciler_source sources[NSOURCES] = {
	    [SRC_SCS] = {.informer = {.resource = &sc_kube_stoppablecontainers,
				      .namespace = opts->namespace,
				      .transform = sc_informer_pack_template},
			 .resync = true},
	    [SRC_INSTANCES] = {.informer = {.resource = &sc_kube_stoppablecontainerinstances,
					    .namespace = opts->namespace,
					    .transform = sc_informer_pack_template},
			       .resync = true},
	    [SRC_PODS] = {.informer = {.resource = &sc_kube_pods,
				       .namespace = opts->namespace,
				       .label_selector = SC_MANAGED_BY_SELECTOR,
				       .transform = sc_informer_pod_status_only},
			  .key_label = SC_LABEL_INSTANCE},
	};
	struct sc_metrics *m = opts->metrics;
	struct sc_reconciler_metrics rm = {0};
	rm.results = sc_metrics_counter(m, "sc_controller_reconcile_total", "Reconciles by result.",
					"result");
	rm.duration = sc_metrics_histogram(
	    m, "sc_controller_reconcile_duration_seconds", "Time to decide and act on one key.",
	    sc_metrics_duration_buckets, sc_metrics_duration_nbuckets);
	rm.queue_depth = sc_metrics_gauge(m, "sc_controller_workqueue_depth",
					  "Keys waiting in the work queue.", NULL);
	rm.queue_latency =
	    sc_metrics_histogram(m, "sc_controller_workqueue_latency_seconds",
				 "Time a key waited in the queue before a worker took it.",
				 sc_metrics_duration_buckets, sc_metrics_duration_nbuckets);
	c->m_writes = sc_metrics_counter(m, "sc_controller_api_writes_total",
					 "API writes made by reconciles.", NULL);
	c->m_phases = sc_metrics_gauge(m, "sc_controller_stoppablecontainers",
				       "StoppableContainers by phase.", "phase");
	struct sc_reconciler_options ro = {
	    .sources = sources,
	    .nsources = NSOURCES,
	    .workers = opts->workers,
	    .resync_ms = opts->resync_ms == 0 ? SC_CONTROLLER_DEFAULT_RESYNC_MS : opts->resync_ms,
	    .reconcile = reconcile,
	    .data = c,
	    .failed_message = "reconcile failed",
	    .quiet_retries = true,
	    .metrics = rm};
	if (sc_reconciler_new(cfg, &ro, &c->rec, err) < 0) {
		sc_controller_free(c);
		return -1;
	}
	c->scs = sc_reconciler_informer(c->rec, SRC_SCS);
	c->instances = sc_reconciler_informer(c->rec, SRC_INSTANCES);
	c->pods = sc_reconciler_informer(c->rec, SRC_PODS);
	pthread_mutex_init(&c->phases_lock, NULL);
	c->phases = json_object();
	*out = c;
	return 0;
}

bool sc_controller_healthy(struct sc_controller *c, const char **why)
{
	return sc_reconciler_healthy(c->rec, why);
}

int sc_controller_start(struct sc_controller *c, sc_error_t *err)
{
	return sc_reconciler_start(c->rec, err);
}

void sc_controller_free(struct sc_controller *c)
{
	if (c == NULL)
		return;
	sc_reconciler_free(c->rec);
	if (c->phases != NULL) { /* set up last in sc_controller_new */
		json_decref(c->phases);
		pthread_mutex_destroy(&c->phases_lock);
	}
	sc_kube_client_free(c->client);
	sc_kube_config_free(c->cfg);
	free(c);
}

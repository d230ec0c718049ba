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
#include "lib/sc-ticker.h"
#include "lib/sc-workqueue.h"

struct sc_controller {
	struct sc_controller_options opts;
	struct sc_kube_config *cfg;
	struct sc_kube_client *client; /* writes; the informers have their own */
	struct sc_informer *scs, *instances, *pods;
	struct sc_workqueue *queue;
	struct sc_ticker *resync;
	pthread_t *workers;
	int nworkers;
	/* metrics */
	struct sc_metric *m_reconciles, *m_duration, *m_queue_depth, *m_queue_latency, *m_writes,
	    *m_phases;
	/* Phase of every StoppableContainer by key, for m_phases. */
	pthread_mutex_t phases_lock;
	json_t *phases;
};

/* Every event maps to the StoppableContainer key it concerns: our own kinds
 * by namespace/name, pods through their instance label. (Objects from a list
 * carry no kind, so each informer has its own handlers.) */
static void enqueue(struct sc_controller *c, const json_t *obj, bool is_pod)
{
	const char *ns = sc_json_namespace(obj);
	const char *name = sc_json_name(obj);
	if (is_pod)
		name = json_string_value(
		    json_object_get(sc_json_path(obj, "metadata.labels"), SC_LABEL_INSTANCE));
	if (ns == NULL || name == NULL)
		return;
	cleanup_free char *key = sc_xasprintf("%s/%s", ns, name);
	sc_workqueue_add(c->queue, key);
}

static void object_changed(const json_t *obj, void *data)
{
	enqueue(data, obj, false);
}

static void object_updated(const json_t *old, const json_t *obj, void *data)
{
	(void)old;
	enqueue(data, obj, false);
}

static void pod_changed(const json_t *obj, void *data)
{
	enqueue(data, obj, true);
}

static void pod_updated(const json_t *old, const json_t *obj, void *data)
{
	(void)old;
	enqueue(data, obj, true);
}

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
static int reconcile(struct sc_controller *c, const char *key, sc_error_t *err)
{
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

static void *worker(void *data)
{
	struct sc_controller *c = data;
	char *key;
	long long queued_ms;
	while (sc_workqueue_get(c->queue, &key, &queued_ms)) {
		sc_metric_observe(c->m_queue_latency, (double)queued_ms / 1000.0);
		long long start = sc_now_ms();
		cleanup_error sc_error_t err = NULL;
		int r = reconcile(c, key, &err);
		sc_metric_observe(c->m_duration, (double)(sc_now_ms() - start) / 1000.0);
		if (r < 0) {
			/* Conflicts are expected under concurrent writers: retry
			 * from fresh state without shouting. */
			bool expected = sc_error_is_conflict(err) || err->code == EAGAIN;
			if (expected)
				SC_LOG_V(1, "reconciling %s: %s (retrying)", key,
					 sc_error_message(err));
			else
				SC_LOG_KV(SC_LOG_LEVEL_WARNING, "reconcile failed", "key", key,
					  "error", sc_error_message(err), NULL);
			sc_metric_add(c->m_reconciles, 1,
				      sc_error_is_conflict(err) ? "conflict"
				      : err->code == EAGAIN     ? "not_leader"
								: "error");
			sc_workqueue_add_rate_limited(c->queue, key);
		} else {
			sc_metric_add(c->m_reconciles, 1, "success");
			sc_workqueue_forget(c->queue, key);
		}
		sc_workqueue_done(c->queue, key);
		size_t depth = sc_workqueue_len(c->queue);
		sc_metric_set(c->m_queue_depth, (double)depth);
		free(key);
		/* nothing left to do: what the reconciles freed goes back */
		if (depth == 0)
			sc_obj_release();
	}
	return NULL;
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
	c->queue = sc_workqueue_new(NULL);
	struct sc_informer_handlers handlers = {.on_add = object_changed,
						.on_update = object_updated,
						.on_delete = object_changed,
						.userdata = c};
	struct sc_informer_handlers pod_handlers = {.on_add = pod_changed,
						    .on_update = pod_updated,
						    .on_delete = pod_changed,
						    .userdata = c};
	/* The stores keep templates as text and pods without their spec: a
	 * reconcile unpacks the one object it works on (see reconcile). */
	struct sc_informer_options scs = {.resource = &sc_kube_stoppablecontainers,
					  .namespace = opts->namespace,
					  .transform = sc_informer_pack_template};
	struct sc_informer_options instances = {.resource = &sc_kube_stoppablecontainerinstances,
						.namespace = opts->namespace,
						.transform = sc_informer_pack_template};
	/* Only our pods: one list+watch, selected by our label. */
	struct sc_informer_options pods = {.resource = &sc_kube_pods,
					   .namespace = opts->namespace,
					   .label_selector = SC_MANAGED_BY_SELECTOR,
					   .transform = sc_informer_pod_status_only};
	if (sc_informer_new(cfg, &scs, &handlers, &c->scs, err) < 0 ||
	    sc_informer_new(cfg, &instances, &handlers, &c->instances, err) < 0 ||
	    sc_informer_new(cfg, &pods, &pod_handlers, &c->pods, err) < 0) {
		sc_controller_free(c);
		return sc_error_wrap(err, "creating informers");
	}
	struct sc_metrics *m = opts->metrics;
	c->m_reconciles = sc_metrics_counter(m, "sc_controller_reconcile_total",
					     "Reconciles by result.", "result");
	c->m_duration = sc_metrics_histogram(
	    m, "sc_controller_reconcile_duration_seconds", "Time to decide and act on one key.",
	    sc_metrics_duration_buckets, sc_metrics_duration_nbuckets);
	c->m_queue_depth = sc_metrics_gauge(m, "sc_controller_workqueue_depth",
					    "Keys waiting in the work queue.", NULL);
	c->m_queue_latency =
	    sc_metrics_histogram(m, "sc_controller_workqueue_latency_seconds",
				 "Time a key waited in the queue before a worker took it.",
				 sc_metrics_duration_buckets, sc_metrics_duration_nbuckets);
	c->m_writes = sc_metrics_counter(m, "sc_controller_api_writes_total",
					 "API writes made by reconciles.", NULL);
	c->m_phases = sc_metrics_gauge(m, "sc_controller_stoppablecontainers",
				       "StoppableContainers by phase.", "phase");
	pthread_mutex_init(&c->phases_lock, NULL);
	c->phases = json_object();
	*out = c;
	return 0;
}

static void resync_one(const json_t *obj, void *data)
{
	enqueue(data, obj, false);
}

/* The periodic resync: every object in the caches back into the queue. */
static void resync(void *data)
{
	struct sc_controller *c = data;
	sc_informer_for_each(c->scs, resync_one, c);
	sc_informer_for_each(c->instances, resync_one, c);
	sc_obj_release();
	SC_LOG_V(2, "resync: %zu keys queued", sc_workqueue_len(c->queue));
}

bool sc_controller_healthy(struct sc_controller *c, const char **why)
{
	return sc_informer_healthy(c->scs, why) && sc_informer_healthy(c->instances, why) &&
	       sc_informer_healthy(c->pods, why);
}

int sc_controller_start(struct sc_controller *c, sc_error_t *err)
{
	if (sc_informer_start(c->scs, err) < 0 || sc_informer_start(c->instances, err) < 0 ||
	    sc_informer_start(c->pods, err) < 0)
		return sc_error_wrap(err, "starting informers");
	c->workers = sc_xzalloc(sizeof(pthread_t) * (size_t)c->opts.workers);
	for (int i = 0; i < c->opts.workers; i++) {
		if (pthread_create(&c->workers[i], NULL, worker, c) != 0)
			return sc_error_make_errno(err, "starting worker %d", i);
		c->nworkers++;
	}
	long long period =
	    c->opts.resync_ms == 0 ? SC_CONTROLLER_DEFAULT_RESYNC_MS : c->opts.resync_ms;
	if (period > 0 && sc_ticker_start(period, resync, c, &c->resync, err) < 0)
		return sc_error_wrap(err, "starting the resync");
	return 0;
}

void sc_controller_free(struct sc_controller *c)
{
	if (c == NULL)
		return;
	sc_ticker_stop(c->resync);
	if (c->queue)
		sc_workqueue_shutdown(c->queue);
	for (int i = 0; i < c->nworkers; i++)
		pthread_join(c->workers[i], NULL);
	free(c->workers);
	sc_informer_free(c->scs);
	sc_informer_free(c->instances);
	sc_informer_free(c->pods);
	sc_workqueue_free(c->queue);
	if (c->phases != NULL) { /* set up last in sc_controller_new */
		json_decref(c->phases);
		pthread_mutex_destroy(&c->phases_lock);
	}
	sc_kube_client_free(c->client);
	sc_kube_config_free(c->cfg);
	free(c);
}

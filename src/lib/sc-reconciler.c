#include "lib/sc-reconciler.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "lib/sc-json.h"
#include "lib/sc-log.h"
#include "lib/sc-ticker.h"
#include "lib/sc-util.h"
#include "lib/sc-workqueue.h"

/* What an informer's handlers need: where to queue, and how to name a key. */
struct source {
	struct sc_reconciler *r;
	const char *key_label;
	bool resync;
	struct sc_informer *informer;
};

struct sc_reconciler {
	struct sc_reconciler_options opts;
	struct source *sources;
	struct sc_workqueue *queue;
	struct sc_ticker *resync;
	pthread_t *workers;
	int nworkers;
};

static void enqueue(const json_t *obj, void *data)
{
	struct source *s = data;
	const char *ns = sc_json_namespace(obj);
	const char *name = sc_json_name(obj);
	if (s->key_label != NULL)
		name = json_string_value(
		    json_object_get(sc_json_path(obj, "metadata.labels"), s->key_label));
	if (ns == NULL || name == NULL)
		return;
	cleanup_free char *key = sc_xasprintf("%s/%s", ns, name);
	sc_workqueue_add(s->r->queue, key);
}

static void updated(const json_t *old, const json_t *obj, void *data)
{
	(void)old;
	enqueue(obj, data);
}

static void metric_add(struct sc_metric *m, const char *result)
{
	if (m != NULL)
		sc_metric_add(m, 1, result);
}

static void metric_observe(struct sc_metric *m, double v)
{
	if (m != NULL)
		sc_metric_observe(m, v);
}

/* The outcome of one reconcile: logged, counted, and the key forgotten or
 * queued again with its backoff. */
static void settle(struct sc_reconciler *r, const char *key, int rc, sc_error_t err)
{
	const struct sc_reconciler_metrics *m = &r->opts.metrics;
	if (rc == 0) {
		metric_add(m->results, "success");
		sc_workqueue_forget(r->queue, key);
		return;
	}
	bool conflict = sc_error_is_conflict(err);
	bool expected = conflict || err->code == EAGAIN;
	if (r->opts.quiet_retries && expected)
		SC_LOG_V(1, "reconciling %s: %s (retrying)", key, sc_error_message(err));
	else
		SC_LOG_KV(SC_LOG_LEVEL_WARNING, r->opts.failed_message, "key", key, "error",
			  sc_error_message(err), NULL);
	metric_add(m->results, conflict              ? "conflict"
			       : err->code == EAGAIN ? "not_leader"
						     : "error");
	if (m->errors != NULL)
		sc_metric_add(m->errors, 1);
	sc_workqueue_add_rate_limited(r->queue, key);
}

static void *worker(void *data)
{
	struct sc_reconciler *r = data;
	const struct sc_reconciler_metrics *m = &r->opts.metrics;
	char *key;
	long long queued_ms;
	while (sc_workqueue_get(r->queue, &key, &queued_ms)) {
		metric_observe(m->queue_latency, (double)queued_ms / 1000.0);
		long long start = sc_now_ms();
		cleanup_error sc_error_t err = NULL;
		int rc = r->opts.reconcile(r->opts.data, key, &err);
		metric_observe(m->duration, (double)(sc_now_ms() - start) / 1000.0);
		settle(r, key, rc, err);
		sc_workqueue_done(r->queue, key);
		size_t depth = sc_workqueue_len(r->queue);
		if (m->queue_depth != NULL)
			sc_metric_set(m->queue_depth, (double)depth);
		free(key);
		/* nothing left to do: what the reconciles freed goes back */
		if (depth == 0)
			sc_obj_release();
	}
	return NULL;
}

static void resync_one(const json_t *obj, void *data)
{
	struct source by_name = *(struct source *)data;
	by_name.key_label = NULL;
	enqueue(obj, &by_name);
}

/* The periodic resync: every object of the resynced informers back into the
 * queue, by its own namespace/name. */
static void resync(void *data)
{
	struct sc_reconciler *r = data;
	for (size_t i = 0; i < r->opts.nsources; i++) {
		if (r->sources[i].resync)
			sc_informer_for_each(r->sources[i].informer, resync_one, &r->sources[i]);
	}
	sc_obj_release();
	SC_LOG_V(2, "resync: %zu keys queued", sc_workqueue_len(r->queue));
}

int sc_reconciler_new(const struct sc_kube_config *cfg, const struct sc_reconciler_options *opts,
		      struct sc_reconciler **out, sc_error_t *err)
{
	struct sc_reconciler *r = sc_xzalloc(sizeof(*r));
	r->opts = *opts;
	r->opts.sources = NULL;
	r->queue = sc_workqueue_new(NULL);
	r->sources = sc_xzalloc(sizeof(struct source) * (opts->nsources ? opts->nsources : 1));
	for (size_t i = 0; i < opts->nsources; i++) {
		struct source *s = &r->sources[i];
		*s = (struct source){.r = r,
				     .key_label = opts->sources[i].key_label,
				     .resync = opts->sources[i].resync};
		struct sc_informer_handlers h = {
		    .on_add = enqueue, .on_update = updated, .on_delete = enqueue, .userdata = s};
		if (sc_informer_new(cfg, &opts->sources[i].informer, &h, &s->informer, err) < 0) {
			sc_reconciler_free(r);
			return sc_error_wrap(err, "creating informers");
		}
	}
	*out = r;
	return 0;
}

struct sc_informer *sc_reconciler_informer(struct sc_reconciler *r, size_t i)
{
	return i < r->opts.nsources ? r->sources[i].informer : NULL;
}

int sc_reconciler_start(struct sc_reconciler *r, sc_error_t *err)
{
	for (size_t i = 0; i < r->opts.nsources; i++) {
		if (sc_informer_start(r->sources[i].informer, err) < 0)
			return sc_error_wrap(err, "starting informers");
	}
	r->workers = sc_xzalloc(sizeof(pthread_t) * (size_t)r->opts.workers);
	for (int i = 0; i < r->opts.workers; i++) {
		if (pthread_create(&r->workers[i], NULL, worker, r) != 0)
			return sc_error_make_errno(err, "starting worker %d", i);
		r->nworkers++;
	}
	if (r->opts.resync_ms > 0 &&
	    sc_ticker_start(r->opts.resync_ms, resync, r, &r->resync, err) < 0)
		return sc_error_wrap(err, "starting the resync");
	return 0;
}

bool sc_reconciler_healthy(struct sc_reconciler *r, const char **why)
{
	for (size_t i = 0; i < r->opts.nsources; i++) {
		if (!sc_informer_healthy(r->sources[i].informer, why))
			return false;
	}
	return true;
}

void sc_reconciler_free(struct sc_reconciler *r)
{
	if (r == NULL)
		return;
	sc_ticker_stop(r->resync);
	if (r->queue)
		sc_workqueue_shutdown(r->queue);
	for (int i = 0; i < r->nworkers; i++)
		pthread_join(r->workers[i], NULL);
	free(r->workers);
	for (size_t i = 0; i < r->opts.nsources; i++)
		sc_informer_free(r->sources[i].informer);
	free(r->sources);
	sc_workqueue_free(r->queue);
	free(r);
}

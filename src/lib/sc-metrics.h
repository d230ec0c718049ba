/* A small Prometheus metrics registry: counters and gauges with up to a few
 * label values, and histograms, rendered in the text exposition format.
 * Thread-safe (one mutex; metric updates are rare next to API calls).
 *
 *   static struct sc_metric *reconciles;
 *   reconciles = sc_metrics_counter(reg, "sc_reconcile_total",
 *                                   "Reconciles by result.", "result");
 *   sc_metric_add(reconciles, 1, "success");
 */
#ifndef SC_METRICS_H
#define SC_METRICS_H

#include <stddef.h>

#include "lib/sc-buf.h"

struct sc_metrics;
struct sc_metric;

struct sc_metrics *sc_metrics_new(void);
void sc_metrics_free(struct sc_metrics *reg);

/* label_names: NULL for none, else a comma-separated list ("result,kind"). */
struct sc_metric *sc_metrics_counter(struct sc_metrics *reg, const char *name, const char *help,
				     const char *label_names);
struct sc_metric *sc_metrics_gauge(struct sc_metrics *reg, const char *name, const char *help,
				   const char *label_names);
/* Histogram with the given upper bounds (ascending; +Inf is implicit). */
struct sc_metric *sc_metrics_histogram(struct sc_metrics *reg, const char *name, const char *help,
				       const double *bounds, size_t nbounds);

/* Label values follow in the order of label_names. */
void sc_metric_add(struct sc_metric *m, double v, ...);
void sc_metric_set(struct sc_metric *m, double v, ...);
/* For gauges whose label set is replaced as a whole (SCs by phase). */
void sc_metric_reset(struct sc_metric *m);
void sc_metric_observe(struct sc_metric *m, double v);

/* sc_build_info{component,version,commit} 1: which build runs (SC_VERSION,
 * and SC_COMMIT when the build was given one, else "unknown"). */
void sc_metrics_build_info(struct sc_metrics *reg, const char *component);

/* Prometheus text format (version 0.0.4). */
int sc_metrics_render(struct sc_metrics *reg, struct sc_buf *out, sc_error_t *err);

/* Default buckets for durations in seconds: 1 ms .. 60 s. */
extern const double sc_metrics_duration_buckets[];
extern const size_t sc_metrics_duration_nbuckets;

#endif

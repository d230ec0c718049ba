/* The small HTTP endpoint every daemon serves: /metrics (Prometheus text),
 * /healthz (alive) and /readyz (ready: caches synced, leader or standby).
 * Built on libmicrohttpd with its own thread; GET only, no request bodies. */
#ifndef SC_HTTPD_H
#define SC_HTTPD_H

#include <stdbool.h>

#include "lib/sc-metrics.h"

/* Returns true when ready; on false, *why (static or owned by the callee's
 * data) says what is missing. */
typedef bool (*sc_ready_fn)(void *data, const char **why);

struct sc_httpd;

/* addr: ":8080" or "127.0.0.1:8080"; port 0 picks a free port (tests). */
int sc_httpd_start(const char *addr, struct sc_metrics *metrics, sc_ready_fn ready,
		   void *ready_data, struct sc_httpd **out, sc_error_t *err);
int sc_httpd_port(struct sc_httpd *h);
void sc_httpd_stop(struct sc_httpd *h);

#endif

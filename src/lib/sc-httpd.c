#include "lib/sc-httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>

struct sc_httpd {
	struct MHD_Daemon *daemon;
	struct sc_metrics *metrics;
	sc_ready_fn ready;
	void *ready_data;
	int port;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *content_type, const char *body, size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", content_type);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **req_cls)
{
	(void)version;
	(void)upload_data;
	struct sc_httpd *h = cls;
	/* The first call only announces the request headers. */
	if (*req_cls == NULL) {
		*req_cls = h;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;
		return reply(conn, 413, "text/plain", "no request bodies\n", 18);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(conn, 405, "text/plain", "method not allowed\n", 19);
	if (strcmp(url, "/healthz") == 0 || strcmp(url, "/livez") == 0)
		return reply(conn, 200, "text/plain", "ok\n", 3);
	if (strcmp(url, "/readyz") == 0) {
		const char *why = "not ready";
		if (h->ready == NULL || h->ready(h->ready_data, &why))
			return reply(conn, 200, "text/plain", "ok\n", 3);
		cleanup_free char *body = sc_xasprintf("%s\n", why);
		return reply(conn, 503, "text/plain", body, strlen(body));
	}
	if (strcmp(url, "/metrics") == 0 && h->metrics != NULL) {
		cleanup_buf struct sc_buf b = SC_BUF_INIT(16 * 1024 * 1024);
		cleanup_error sc_error_t err = NULL;
		if (sc_metrics_render(h->metrics, &b, &err) < 0)
			return reply(conn, 500, "text/plain", sc_error_message(err),
				     strlen(sc_error_message(err)));
		return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8",
			     b.data ? b.data : "", b.len);
	}
	return reply(conn, 404, "text/plain", "not found\n", 10);
}

int sc_httpd_start(const char *addr, struct sc_metrics *metrics, sc_ready_fn ready,
		   void *ready_data, struct sc_httpd **out, sc_error_t *err)
{
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	if (colon == NULL)
		return sc_error_make(err, EINVAL, "invalid listen address \"%s\": want [HOST]:PORT",
				     addr ? addr : "");
	long port;
	if (sc_parse_long(colon + 1, 0, 65535, &port) < 0)
		return sc_error_make(err, EINVAL, "invalid port in listen address \"%s\"", addr);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (colon == addr) {
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
	} else {
		cleanup_free char *host = sc_xstrndup(addr, (size_t)(colon - addr));
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			return sc_error_make(err, EINVAL,
					     "invalid host in listen address \"%s\": want an IPv4 "
					     "address",
					     addr);
	}
	struct sc_httpd *h = sc_xzalloc(sizeof(*h));
	h->metrics = metrics;
	h->ready = ready;
	h->ready_data = ready_data;
	h->daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, h,
	    MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10, MHD_OPTION_END);
	if (h->daemon == NULL) {
		free(h);
		return sc_error_make(err, EADDRINUSE, "listening on %s failed", addr);
	}
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : (int)port;
	*out = h;
	return 0;
}

int sc_httpd_port(struct sc_httpd *h)
{
	return h->port;
}

void sc_httpd_stop(struct sc_httpd *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}

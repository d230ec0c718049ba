/* An NRI (Node Resource Interface) plugin: the messages it exchanges with a
 * container runtime (nri.pkg.api.v1alpha1, field numbers from the published
 * api.proto) and the loop that serves one connection.
 *
 * The plugin registers (Runtime/RegisterPlugin on connection 2), answers
 * Configure with its event mask, Synchronize with nothing (echoing `more`,
 * which the runtime checks), CreateContainer with the adjustment its
 * callback decides, and Shutdown by ending the loop. Only the fields it
 * needs are decoded; all others are skipped. See docs/architecture.md,
 * "Restricted Pod Security and the runtime". */
#ifndef SC_NRI_H
#define SC_NRI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sc-buf.h"
#include "lib/sc-error.h"

#define SC_NRI_RUNTIME_SERVICE "nri.pkg.api.v1alpha1.Runtime"
#define SC_NRI_PLUGIN_SERVICE  "nri.pkg.api.v1alpha1.Plugin"

/* api.proto's enum Event; a plugin subscribes with the mask 1 << (e - 1). */
enum sc_nri_event {
	SC_NRI_RUN_POD_SANDBOX = 1,
	SC_NRI_CREATE_CONTAINER = 4,
	SC_NRI_START_CONTAINER = 6,
	SC_NRI_EVENT_LAST = 15,
};
static inline uint32_t sc_nri_event_mask(enum sc_nri_event e)
{
	return 1u << (e - 1);
}

/* Per map (labels, annotations): more entries are refused. */
#define SC_NRI_MAX_MAP_ENTRIES 1024

struct sc_nri_kv {
	char *key;
	char *value;
};
struct sc_nri_map {
	struct sc_nri_kv *kv;
	size_t n;
};
const char *sc_nri_map_get(const struct sc_nri_map *m, const char *key);

struct sc_nri_create_request {
	struct { /* PodSandbox */
		char *id, *name, *uid, *namespace;
		struct sc_nri_map labels, annotations;
	} pod;
	struct { /* Container */
		char *id, *pod_sandbox_id, *name;
	} container;
};
void sc_nri_create_request_clear(struct sc_nri_create_request *r);
int sc_nri_decode_create(const void *p, size_t len, struct sc_nri_create_request *r,
			 sc_error_t *err);

/* What a CreateContainer answer adds: annotations (key, value, ..., NULL)
 * and at most one createRuntime OCI hook (hook_path NULL: none). */
struct sc_nri_adjustment {
	char **annotations;
	char *hook_path;
	char **hook_args; /* argv, argv[0] included, as in the OCI spec */
	char **hook_env;
	int hook_timeout; /* seconds; 0: none */
};
void sc_nri_adjustment_clear(struct sc_nri_adjustment *a);

int sc_nri_put_register(struct sc_buf *out, const char *name, const char *idx, sc_error_t *err);
int sc_nri_put_configure_response(struct sc_buf *out, uint32_t events, sc_error_t *err);
int sc_nri_put_synchronize_response(struct sc_buf *out, bool more, sc_error_t *err);
int sc_nri_put_create_response(struct sc_buf *out, const struct sc_nri_adjustment *a,
			       sc_error_t *err);
/* The runtime's name and version from a ConfigureRequest. */
int sc_nri_decode_configure(const void *p, size_t len, char **runtime_name, char **runtime_version,
			    sc_error_t *err);
/* `more` of a SynchronizeRequest. */
int sc_nri_decode_synchronize(const void *p, size_t len, bool *more, sc_error_t *err);

/* Valid as NRI requires: a name of [A-Za-z0-9_.+-], an index of two digits. */
bool sc_nri_valid_name(const char *name);
bool sc_nri_valid_index(const char *idx);

struct sc_nri_plugin {
	const char *name; /* e.g. "stoppablecontainer" */
	const char *idx;  /* e.g. "50" */
	uint32_t events;  /* mask; CreateContainer is always answered */
	/* Fill *adj for one new container; -1 with err fails its creation
	 * (the runtime reports err's message). NULL: empty adjustments. */
	int (*create_container)(void *data, const struct sc_nri_create_request *req,
				struct sc_nri_adjustment *adj, sc_error_t *err);
	/* Called once registered and configured (may be NULL). */
	void (*configured)(void *data, const char *runtime_name, const char *runtime_version);
	void *data;
};

/* Connect to the runtime's NRI socket. */
int sc_nri_dial(const char *path, sc_error_t *err);
/* Register on fd and serve it until the runtime sends Shutdown or closes
 * the connection (0), or a protocol or I/O error (-1). To stop it from
 * another thread: shutdown(fd, SHUT_RDWR). */
int sc_nri_serve(const struct sc_nri_plugin *p, int fd, sc_error_t *err);

#endif

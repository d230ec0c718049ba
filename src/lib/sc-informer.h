/* An informer: list + watch one kind of object into an in-memory store, and
 * tell the program about every add, update and delete.
 *
 *   static void on_add(const json_t *obj, void *ud) { enqueue(key of obj); }
 *   struct sc_informer_options o = {.resource = &sc_kube_pods,
 *                                   .field_selector = "spec.nodeName=node-1"};
 *   struct sc_informer_handlers h = {.on_add = on_add, ...};
 *   sc_informer_new(cfg, &o, &h, &inf, err);
 *   sc_informer_start(inf, err);
 *   sc_informer_wait_for_sync(inf, 60000);
 *   ...
 *   sc_informer_stop(inf); sc_informer_free(inf);
 *
 * The informer runs in its own thread with its own client (list and watch
 * share it, one after the other). It lists page by page (limit/continue),
 * replaces the store — reporting the difference as adds, updates (objects
 * whose resourceVersion changed) and deletes (objects gone since) — then
 * watches from the list's resourceVersion. A 410 Gone makes it list again;
 * other failures are retried with capped exponential backoff and jitter.
 *
 * Handlers run on the informer thread, in event order, with no lock held:
 * they may read the store. Objects passed to them are borrowed for the
 * call (json_incref to keep one). Keep handlers short — hand keys to a
 * work queue (sc-workqueue.h) and do the work elsewhere.
 *
 * The store is thread-safe; get and list return new references. */
#ifndef SC_INFORMER_H
#define SC_INFORMER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/sc-buf.h"
#include "lib/sc-error.h"
#include "lib/sc-kube-client.h"
#include "lib/sc-watch.h"

/* ---- the store ---- */

/* "namespace/name", or "name" for cluster-scoped objects (client-go's
 * MetaNamespaceKeyFunc); NULL when the object has no name. */
char *sc_kube_object_key(const json_t *obj);

enum sc_store_change {
	SC_STORE_UNCHANGED,
	SC_STORE_ADDED,
	SC_STORE_UPDATED,
	SC_STORE_DELETED,
};

/* One difference; the references are owned by the delta. */
struct sc_store_delta {
	enum sc_store_change change;
	json_t *old_obj; /* UPDATED, DELETED */
	json_t *new_obj; /* ADDED, UPDATED */
};

struct sc_store;

struct sc_store *sc_store_new(void);
void sc_store_free(struct sc_store *s);
json_t *sc_store_get(struct sc_store *s, const char *key); /* new reference or NULL */
json_t *sc_store_list(struct sc_store *s);                 /* new array */
size_t sc_store_len(struct sc_store *s);
/* Insert or replace (the store takes its own reference). *old (may be NULL)
 * receives the previous object. Same resourceVersion and content:
 * UNCHANGED. */
enum sc_store_change sc_store_upsert(struct sc_store *s, json_t *obj, json_t **old);
/* Remove the object with obj's key; DELETED when it was there. */
enum sc_store_change sc_store_delete(struct sc_store *s, const json_t *obj, json_t **old);
/* Make the store hold exactly `items` (a JSON array) and return what
 * changed: adds and updates in list order, then deletes. */
size_t sc_store_replace(struct sc_store *s, const json_t *items, struct sc_store_delta **deltas);
void sc_store_deltas_free(struct sc_store_delta *deltas, size_t n);

/* ---- a list response, item by item ---- */

/* Decodes a list response ({"kind": ..., "metadata": ..., "items": [...]})
 * as its bytes arrive: each item is parsed alone and handed to fn, so one
 * item's text and tree are held at a time, not the page's (500 objects of up
 * to the API server's 1.5 MB each). The rest of the response (the list's
 * metadata) is kept and parsed at the end. Items must be objects. */
struct sc_list_decoder {
	/* item is borrowed for the call (json_incref to keep it); -1 with *err
	 * set ends the decoding */
	int (*fn)(json_t *item, void *userdata, sc_error_t *err);
	void *userdata;
	struct sc_buf rest; /* the response without its items */
	struct sc_buf item; /* the item being read */
	size_t items;       /* handed to fn so far */
	int depth;
	bool in_string, escape, in_items, in_item, key_is_items;
	char key[8]; /* the start of the last string at depth 1 */
	size_t key_len;
};

/* max: the cap on one item's bytes and on the rest's (EMSGSIZE over it). */
void sc_list_decoder_init(struct sc_list_decoder *d, size_t max,
			  int (*fn)(json_t *item, void *userdata, sc_error_t *err), void *userdata);
/* Feed the next bytes, split anywhere. EBADMSG for an item that is not an
 * object or is not JSON; EMSGSIZE over the cap; fn's own errors. */
int sc_list_decoder_feed(struct sc_list_decoder *d, const char *data, size_t len, sc_error_t *err);
/* At the end of the body: the response without its items (new reference);
 * EBADMSG when the bytes did not make one JSON document. */
int sc_list_decoder_finish(struct sc_list_decoder *d, json_t **rest, sc_error_t *err);
void sc_list_decoder_free(struct sc_list_decoder *d);

/* ---- the informer ---- */

struct sc_informer_handlers {
	void (*on_add)(const json_t *obj, void *userdata);
	void (*on_update)(const json_t *old_obj, const json_t *new_obj, void *userdata);
	void (*on_delete)(const json_t *obj, void *userdata);
	void *userdata;
};

/* Call the handlers for deltas, in order. */
void sc_informer_dispatch(const struct sc_informer_handlers *h, const struct sc_store_delta *d,
			  size_t n);
/* Apply one watch event to a store and call the handlers (pure but for
 * the handlers). Events without a name are ignored. */
void sc_informer_apply_event(struct sc_store *s, const struct sc_informer_handlers *h,
			     const struct sc_watch_event *ev);

struct sc_informer_options {
	const struct sc_kube_resource *resource;
	const char *namespace; /* NULL: all namespaces */
	const char *label_selector;
	const char *field_selector;
	long page_size;             /* 0: 500 */
	long watch_timeout_seconds; /* 0: 300 */
	long backoff_initial_ms;    /* 0: 200 */
	long backoff_max_ms;        /* 0: 30 s */
	struct sc_kube_client_options client;
	/* What the store keeps of each object, from a list or a watch event:
	 * called on the informer thread with an object of the informer's own,
	 * to change in place (sc-json.h: drop managedFields, keep only some
	 * fields, pack a big subtree). The store and the handlers see the result.
	 * NULL: objects are kept as the API server sent them. */
	void (*transform)(json_t *obj);
};

/* Ready-made transforms. */
/* For StoppableContainers and instances: no managedFields, and spec.template
 * (the user's container: env, volumes... up to the API server's size limit)
 * packed as text; sc_obj_unpack(obj, "spec.template") before reading it. */
void sc_informer_pack_template(json_t *obj);
/* For pods: no managedFields, and of the spec only nodeName: the daemons
 * tell a pod's shape by the hash annotation they set, and read its status. */
void sc_informer_pod_status_only(json_t *obj);

struct sc_informer;

int sc_informer_new(const struct sc_kube_config *cfg, const struct sc_informer_options *opts,
		    const struct sc_informer_handlers *handlers, struct sc_informer **out,
		    sc_error_t *err);
int sc_informer_start(struct sc_informer *inf, sc_error_t *err);
/* Ends the thread (within about a second) and waits for it. */
void sc_informer_stop(struct sc_informer *inf);
void sc_informer_free(struct sc_informer *inf);

/* Synced, and neither listing nor watching fails right now (a watch that went
 * silent counts as failing: see SC_WATCH_IDLE_TIMEOUT_MS); else false with
 * *why set. For /readyz. */
bool sc_informer_healthy(struct sc_informer *inf, const char **why);
/* fn(obj, data) for every object in the store (a snapshot), on the caller's
 * thread: a periodic resync feeds these to the work queue. */
void sc_informer_for_each(struct sc_informer *inf, void (*fn)(const json_t *obj, void *data),
			  void *data);
/* True once the first list is in the store. */
bool sc_informer_has_synced(struct sc_informer *inf);
/* Wait until synced, stopped or timeout_ms passed; true when synced. */
bool sc_informer_wait_for_sync(struct sc_informer *inf, long timeout_ms);
json_t *sc_informer_get(struct sc_informer *inf, const char *key);
json_t *sc_informer_list(struct sc_informer *inf);
struct sc_store *sc_informer_store(struct sc_informer *inf);
/* Lists done so far: 1 after the first sync, +1 for every relist. */
unsigned sc_informer_lists(struct sc_informer *inf);

#endif

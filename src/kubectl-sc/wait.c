/* --wait: watch one StoppableContainer until it reaches a phase (or is gone),
 * printing the phases as they happen. Event-driven (a watch from the
 * resourceVersion last seen, with a field selector on the name), never a
 * polling loop. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kubectl-sc/kubectl-sc.h"
#include "lib/sc-json.h"
#include "lib/sc-util.h"
#include "lib/sc-watch.h"

const char *sc_wait_target_phase(enum sc_wait_target target)
{
	switch (target) {
	case SC_WAIT_RUNNING:
		return SC_PHASE_RUNNING;
	case SC_WAIT_STOPPED:
		return SC_PHASE_STOPPED;
	case SC_WAIT_DELETED:
		return "deleted";
	}
	return "?";
}

enum sc_wait_verdict sc_wait_check(const json_t *obj, enum sc_wait_target target,
				   long long generation)
{
	if (target == SC_WAIT_DELETED)
		return SC_WAIT_NOT_YET; /* only a DELETED event or a 404 says so */
	json_t *og = sc_json_path(obj, "status.observedGeneration");
	if (generation > 0 && json_is_integer(og) && json_integer_value(og) < generation)
		return SC_WAIT_NOT_YET; /* the status still describes the old spec */
	const char *phase = sc_json_path_str(obj, "status.phase");
	if (phase == NULL)
		return SC_WAIT_NOT_YET;
	if (strcmp(phase, SC_PHASE_FAILED) == 0)
		return SC_WAIT_FAILED;
	if (strcmp(phase, sc_wait_target_phase(target)) == 0)
		return SC_WAIT_REACHED;
	return SC_WAIT_NOT_YET;
}

struct wait_state {
	const struct sc_wait_options *o;
	char *phase;   /* last printed */
	char *message; /* last printed */
	enum sc_wait_verdict verdict;
	bool deleted;
};

static bool same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void observe(struct wait_state *st, const json_t *obj)
{
	const char *phase = sc_json_path_str(obj, "status.phase");
	const char *message = sc_json_path_str(obj, "status.message");
	if (message != NULL && *message == '\0')
		message = NULL;
	if (st->o->progress != NULL && st->o->target != SC_WAIT_DELETED &&
	    (!same(phase, st->phase) || !same(message, st->message))) {
		fprintf(st->o->progress, "phase: %s", phase ? phase : "<none>");
		if (message != NULL)
			fprintf(st->o->progress, " (%s)", message);
		fputc('\n', st->o->progress);
		fflush(st->o->progress);
	}
	free(st->phase);
	free(st->message);
	st->phase = phase ? sc_xstrdup(phase) : NULL;
	st->message = message ? sc_xstrdup(message) : NULL;
	st->verdict = sc_wait_check(obj, st->o->target, st->o->generation);
}

static bool finished(const struct wait_state *st)
{
	return st->deleted || st->verdict != SC_WAIT_NOT_YET;
}

static int on_event(const struct sc_watch_event *ev, void *userdata, sc_error_t *err)
{
	struct wait_state *st = userdata;
	if (ev->type == SC_WATCH_BOOKMARK)
		return 0;
	const char *name = sc_json_name(ev->object);
	if (name == NULL || strcmp(name, st->o->name) != 0)
		return 0;
	if (ev->type == SC_WATCH_DELETED)
		st->deleted = true;
	else
		observe(st, ev->object);
	/* Ending the stream from the callback is how a watch is left early;
	 * the caller tells this apart by the state, not the error. */
	if (finished(st))
		return sc_error_make(err, ECANCELED, "done");
	return 0;
}

/* Worth retrying: the server could not be reached or was briefly unwell. */
static bool transient(const sc_error_t e)
{
	return sc_error_is_unreachable(e) || e->http_status == 429 || e->http_status >= 500;
}

static int outcome(struct sc_session *s, struct wait_state *st, sc_error_t *err)
{
	const struct sc_wait_options *o = st->o;
	if (o->target == SC_WAIT_DELETED)
		return 0; /* finished() holds only once it is gone */
	if (st->deleted)
		return sc_error_make(
		    err, ENOENT,
		    "stoppablecontainer \"%s\" was deleted while waiting for it to "
		    "be %s",
		    o->name, sc_wait_target_phase(o->target));
	if (st->verdict == SC_WAIT_FAILED)
		return sc_error_make(err, ENOTRECOVERABLE,
				     "stoppablecontainer \"%s\" in namespace \"%s\" failed%s%s",
				     o->name, s->ns, st->message ? ": " : "",
				     st->message ? st->message : "");
	return 0;
}

/* The watch's resourceVersion is too old to resume from: read the object
 * again and watch from there (a 404 means it is gone: st->deleted). */
static int read_again(struct sc_session *s, const struct sc_wait_options *o, struct wait_state *st,
		      char **rv, sc_error_t *err)
{
	cleanup_json json_t *obj = NULL;
	if (sc_kube_get(s->client, &sc_kube_stoppablecontainers, s->ns, o->name, &obj, err) < 0) {
		if (!sc_error_is_not_found(*err))
			return -1;
		sc_error_release(err);
		st->deleted = true;
		return 0;
	}
	observe(st, obj);
	free(*rv);
	*rv = sc_xstrdup(sc_json_resource_version(obj));
	return 0;
}

/* The watch said 404: the collection itself is gone (its CRD deleted), and
 * so is the object when a GET confirms it. */
static bool confirm_gone(struct sc_session *s, const struct sc_wait_options *o)
{
	cleanup_error sc_error_t ge = NULL;
	cleanup_json json_t *again = NULL;
	return sc_kube_get(s->client, &sc_kube_stoppablecontainers, s->ns, o->name, &again, &ge) <
		   0 &&
	       sc_error_is_not_found(ge);
}

static void timed_out(const struct sc_wait_options *o, const struct wait_state *st, sc_error_t *err)
{
	char dur[32];
	sc_format_duration(o->timeout_ms, dur, sizeof(dur));
	if (o->target == SC_WAIT_DELETED)
		sc_error_make(
		    err, ETIME,
		    "timed out after %s waiting for stoppablecontainer \"%s\" to be deleted", dur,
		    o->name);
	else
		sc_error_make(err, ETIME,
			      "timed out after %s waiting for stoppablecontainer \"%s\" to be %s "
			      "(phase: %s%s%s)",
			      dur, o->name, sc_wait_target_phase(o->target),
			      st->phase ? st->phase : "<none>", st->message ? ": " : "",
			      st->message ? st->message : "");
}

int sc_wait(struct sc_session *s, const struct sc_wait_options *o, const json_t *initial,
	    sc_error_t *err)
{
	struct wait_state st = {.o = o};
	long long deadline = sc_now_ms() + o->timeout_ms;
	cleanup_free char *rv = NULL;
	cleanup_free char *selector = sc_xasprintf("metadata.name=%s", o->name);
	int r = -1;

	cleanup_json json_t *obj = initial ? json_deep_copy(initial) : NULL;
	if (obj == NULL) {
		if (sc_kube_get(s->client, &sc_kube_stoppablecontainers, s->ns, o->name, &obj,
				err) < 0) {
			if (sc_error_is_not_found(*err) && o->target == SC_WAIT_DELETED) {
				sc_error_release(err);
				r = 0;
			} else {
				sc_not_found_error(s, o->name, err);
			}
			goto out;
		}
	}
	observe(&st, obj);
	rv = sc_xstrdup(sc_json_resource_version(obj));

	unsigned attempt = 0;
	while (!finished(&st)) {
		long long remaining = deadline - sc_now_ms();
		if (remaining <= 0)
			break;
		struct sc_watch_options wo = {
		    .namespace = s->ns,
		    .field_selector = selector,
		    .resource_version = rv,
		    .timeout_seconds = (remaining + 999) / 1000,
		};
		struct sc_watch *w = NULL;
		if (sc_watch_new(s->client, &sc_kube_stoppablecontainers, &wo, &w, err) < 0)
			goto out;
		cleanup_error sc_error_t e = NULL;
		int wr = sc_watch_once(w, on_event, &st, &e);
		free(rv);
		rv = sc_xstrdup(sc_watch_resource_version(w));
		sc_watch_free(w);
		if (finished(&st) || wr == 0) {
			attempt = 0;
			continue;
		}
		if (sc_error_is_gone(e)) {
			sc_debug(1, "watch: %s; reading the object again", sc_error_message(e));
			if (read_again(s, o, &st, &rv, err) < 0)
				goto out;
			continue;
		}
		if (sc_error_is_not_found(e) && confirm_gone(s, o)) {
			st.deleted = true;
			break;
		}
		if (!transient(e)) {
			*err = steal_pointer(&e);
			sc_error_wrap(err, "watching stoppablecontainer \"%s\"", o->name);
			goto out;
		}
		long long delay = sc_backoff_delay(500, 5000, attempt++, 0.5);
		sc_debug(1, "watch: %s; retrying in %lld ms", sc_error_message(e), delay);
		if (delay > deadline - sc_now_ms())
			delay = deadline - sc_now_ms();
		if (delay > 0)
			usleep((useconds_t)(delay * 1000));
	}
	if (finished(&st)) {
		r = outcome(s, &st, err);
		goto out;
	}
	timed_out(o, &st, err);
out:
	free(st.phase);
	free(st.message);
	return r;
}

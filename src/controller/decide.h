/* The controller's reconcile decision for one StoppableContainer: observed
 * objects in, an ordered list of actions out. Pure (no I/O, the clock is an
 * input), so it is tested with plain JSON tables; the caller executes the
 * actions in order and stops at the first failure (the next reconcile starts
 * again from fresh observations, so every decision is level-triggered and
 * idempotent). */
#ifndef SC_CONTROLLER_DECIDE_H
#define SC_CONTROLLER_DECIDE_H

#include <jansson.h>

#include "controller/pods.h"

enum sc_action_kind {
	SC_ACT_ADD_FINALIZER,         /* on the StoppableContainer */
	SC_ACT_REMOVE_FINALIZER,      /* on the StoppableContainer */
	SC_ACT_CREATE_INSTANCE,       /* object: the instance */
	SC_ACT_UPDATE_INSTANCE,       /* object: the instance with its new spec (PUT) */
	SC_ACT_DELETE_INSTANCE,       /* name, uid */
	SC_ACT_CREATE_POD,            /* object: the pod */
	SC_ACT_DELETE_POD,            /* name, uid, grace_seconds */
	SC_ACT_APPLY_INSTANCE_STATUS, /* object: {status} owned by the controller */
	SC_ACT_APPLY_STATUS,          /* object: {status} of the StoppableContainer */
	SC_ACT_EVENT,                 /* event_type, reason, message, on the StoppableContainer */
};

struct sc_action {
	enum sc_action_kind kind;
	json_t *object;
	char *name;
	char *uid;
	long long grace_seconds; /* -1: the object's own */
	const char *event_type;  /* "Normal" or "Warning" */
	char *reason;
	char *message;
};

struct sc_plan {
	struct sc_action *actions;
	size_t count;
	size_t alloc;
};

struct sc_observed {
	json_t *sc;       /* the StoppableContainer, or NULL when gone */
	json_t *sci;      /* its instance, or NULL */
	json_t *provider; /* the provider pod, or NULL */
	json_t *consumer; /* the consumer pod, or NULL */
	/* A pod with the provider's or the consumer's name that this instance
	 * did not create (no controller reference to it): never adopted, never
	 * replaced; the status says it is in the way. NULL when none. */
	json_t *foreign_provider;
	json_t *foreign_consumer;
	const char *now; /* RFC 3339, for lastTransitionTime */
};

void sc_decide(const struct sc_observed *obs, const struct sc_pod_options *o, struct sc_plan *plan);
void sc_plan_free(struct sc_plan *plan);
const char *sc_action_kind_name(enum sc_action_kind kind);
/* The first action of the given kind, or NULL (for tests and logs). */
const struct sc_action *sc_plan_find(const struct sc_plan *plan, enum sc_action_kind kind);

/* A pod with one of our names that this instance did not create: the
 * reason and message on ProviderReady or ConsumerReady, and the event. */
#define SC_REASON_POD_NAME_TAKEN "PodNameTaken"
char *sc_pod_taken_message(const char *pod_name, const char *instance_uid);

/* The StoppableContainer phase shown for an instance phase. */
const char *sc_phase_for_instance_phase(const char *instance_phase);

#endif

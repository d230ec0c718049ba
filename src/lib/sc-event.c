#include "lib/sc-event.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/sc-json.h"
#include "lib/sc-log.h"
#include "lib/sc-object.h"
#include "lib/sc-util.h"

json_t *sc_build_event(json_t *obj, const char *type, const char *reason, const char *message,
		       const char *now, const char *component)
{
	/* Unique enough per object: a nanosecond clock suffix, as kubectl's
	 * event recorder uses a time-derived one. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	cleanup_free char *name = sc_xasprintf("%s.%llx", sc_json_name(obj),
					       (unsigned long long)ts.tv_sec * 1000000000ULL +
						   (unsigned long long)ts.tv_nsec);
	/* Events take seconds-precision times in these fields. */
	char secs[21];
	snprintf(secs, sizeof(secs), "%.19sZ", now);
	const char *api_version = sc_json_path_str(obj, "apiVersion");
	const char *kind = sc_json_path_str(obj, "kind");
	return json_pack("{s:s, s:s, s:{s:s, s:s?}, s:{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}, s:s, "
			 "s:s, s:s, s:{s:s}, s:s, s:s, s:i, s:s, s:s}",
			 "apiVersion", "v1", "kind", "Event", "metadata", "name", name, "namespace",
			 sc_json_namespace(obj), "involvedObject", "apiVersion", api_version,
			 "kind", kind, "name", sc_json_name(obj), "namespace",
			 sc_json_namespace(obj), "uid", sc_json_uid(obj), "resourceVersion",
			 sc_json_path_str(obj, "metadata.resourceVersion"), "type", type, "reason",
			 reason, "message", message, "source", "component", component,
			 "firstTimestamp", secs, "lastTimestamp", secs, "count", 1,
			 "reportingComponent", component, "reportingInstance", component);
}

void sc_event_record(struct sc_kube_client *client, json_t *obj, const char *type,
		     const char *reason, const char *message, const char *component)
{
	char now[SC_TIME_LEN];
	sc_time_now_micro(now);
	cleanup_json json_t *ev = sc_build_event(obj, type, reason, message, now, component);
	cleanup_error sc_error_t e = NULL;
	if (sc_kube_create(client, &sc_kube_events, sc_json_namespace(obj), ev, NULL, NULL, &e) < 0)
		SC_LOG_WARN("recording event %s on %s/%s: %s", reason, sc_json_namespace(obj),
			    sc_json_name(obj), sc_error_message(e));
}

bool sc_condition_says(json_t *obj, const char *cond_type, const char *reason)
{
	json_t *c = sc_condition_find(obj, cond_type);
	const char *r = json_string_value(json_object_get(c, "reason"));
	return r != NULL && strcmp(r, reason) == 0;
}

bool sc_event_said_already(struct sc_kube_client *client, const struct sc_kube_resource *res,
			   json_t *obj, const char *cond_type, const char *reason)
{
	if (sc_condition_says(obj, cond_type, reason))
		return true;
	cleanup_json json_t *fresh = NULL;
	cleanup_error sc_error_t e = NULL;
	if (sc_kube_get(client, res, sc_json_namespace(obj), sc_json_name(obj), &fresh, &e) < 0)
		return false; /* at worst a second event */
	return sc_condition_says(fresh, cond_type, reason);
}

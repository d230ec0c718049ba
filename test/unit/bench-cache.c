/* Benchmark, not a test: what one cached object costs in the controller's
 * informer stores.
 *
 *   build/test/unit/bench-cache FILE.json [COUNT]
 *
 * FILE.json: a `kubectl get -o json` of one object or of a List (e.g. a
 * StoppableContainer, its instance and its provider pod). Each item goes
 * through the transform the controller's informer applies to its kind
 * (sc_informer_pack_template for the two custom kinds,
 * sc_informer_pod_status_only for pods), COUNT times (default 1000), each
 * copy with its own UID and template so no two share memory, and is kept,
 * as the stores keep them. Prints, per item, the compact JSON size after the
 * transform and the heap in use per copy (glibc's mallinfo2, malloc tuned
 * as the daemons tune it), then the total for COUNT of each. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/sc-informer.h"
#include "lib/sc-json.h"
#include "lib/sc-util.h"

static size_t in_use(void)
{
	return mallinfo2().uordblks;
}

/* One copy of item, made distinct (UID, and the template when there is
 * one), transformed as its informer would. */
static json_t *cached_copy(const json_t *item, int i)
{
	json_t *copy = json_deep_copy(item);
	char uid[32];
	snprintf(uid, sizeof(uid), "bench-%d", i);
	json_object_set_new(json_object_get(copy, "metadata"), "uid", json_string(uid));
	json_t *tmpl = sc_json_path(copy, "spec.template");
	if (json_is_object(tmpl))
		json_object_set_new(tmpl, "x-bench", json_integer(i));
	const char *kind = json_string_value(json_object_get(copy, "kind"));
	if (kind != NULL && strcmp(kind, "Pod") == 0)
		sc_informer_pod_status_only(copy);
	else
		sc_informer_pack_template(copy);
	return copy;
}

static void measure(const json_t *item, long count, size_t *total)
{
	json_t **kept = calloc((size_t)count, sizeof(json_t *));
	if (kept == NULL)
		abort();
	json_t *one = cached_copy(item, -1);
	char *text = json_dumps(one, JSON_COMPACT);
	size_t before = in_use();
	for (long i = 0; i < count; i++)
		kept[i] = cached_copy(item, (int)i);
	size_t used = in_use() - before;
	printf("%-28s %-40s compact JSON %7zu B, in the store %7zu B a copy (%.1fx)\n",
	       json_string_value(json_object_get(item, "kind")), sc_json_name(item),
	       text ? strlen(text) : 0, used / (size_t)count,
	       text ? (double)used / (double)count / (double)strlen(text) : 0.0);
	*total += used;
	free(text);
	json_decref(one);
	for (long i = 0; i < count; i++)
		json_decref(kept[i]);
	free(kept);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: bench-cache FILE.json [COUNT]\n");
		return 2;
	}
	char *end = NULL;
	long count = argc == 3 ? strtol(argv[2], &end, 10) : 1000;
	if ((end != NULL && (*end != '\0' || end == argv[2])) || count < 1 || count > 1000000) {
		fprintf(stderr, "bench-cache: COUNT must be a number from 1 to 1000000\n");
		return 2;
	}
	sc_malloc_tune();
	json_error_t jerr;
	json_t *doc = json_load_file(argv[1], 0, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "bench-cache: %s: %s (line %d)\n", argv[1], jerr.text, jerr.line);
		return 1;
	}
	json_t *items = json_object_get(doc, "items");
	size_t total = 0, n = json_is_array(items) ? json_array_size(items) : 1;
	for (size_t i = 0; i < n; i++)
		measure(json_is_array(items) ? json_array_get(items, i) : doc, count, &total);
	printf("all %zu kinds, %ld copies each: %.1f MiB in the stores\n", n, count,
	       (double)total / 1048576.0);
	json_decref(doc);
	return 0;
}

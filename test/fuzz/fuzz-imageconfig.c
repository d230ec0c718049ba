/* libFuzzer target: the image config resolution (index -> manifest ->
 * config) over blobs a registry or an image's author controls.
 *
 * The input is split at NUL bytes: the image ID, then the blobs of the
 * digests 11..1, 22..2 and 33..3 (64 hex characters each); an absent part is
 * a missing blob. The reader parses as sc_content_store_read does, with its
 * size cap. Anything may fail; nothing may crash, leak, ask the reader for a
 * digest that is not 64 lower-case hex, read more than three blobs, or
 * return anything but the documented fields. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/sc-json.h"
#include "node/sc-imageconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NBLOBS 3

struct store {
	const char *blob[NBLOBS];
	size_t len[NBLOBS];
	int reads;
};

static int fuzz_read(void *data, const char *hex, json_t **out, sc_error_t *err)
{
	struct store *s = data;
	if (hex == NULL || strlen(hex) != 64)
		__builtin_trap();
	for (size_t i = 0; i < 64; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			__builtin_trap();
	s->reads++;
	for (int b = 0; b < NBLOBS; b++) {
		if (strspn(hex, (const char[]){(char)('1' + b), '\0'}) != 64)
			continue;
		if (s->blob[b] == NULL)
			break;
		if (s->len[b] > SC_IMAGE_BLOB_MAX)
			return sc_error_make(err, EMSGSIZE, "blob over the cap");
		return sc_json_parse(s->blob[b], s->len[b], out, err);
	}
	return sc_error_make(err, ENOENT, "no blob %.12s", hex);
}

static bool string_array(json_t *a)
{
	size_t i;
	json_t *v;
	if (!json_is_array(a))
		return false;
	json_array_foreach (a, i, v)
		if (!json_is_string(v))
			return false;
	return true;
}

static void check_output(json_t *out)
{
	if (!json_is_object(out))
		__builtin_trap();
	const char *key;
	json_t *v;
	json_object_foreach (out, key, v) {
		if (strcmp(key, "entrypoint") == 0 || strcmp(key, "cmd") == 0 ||
		    strcmp(key, "env") == 0) {
			if (!string_array(v))
				__builtin_trap();
		} else if (strcmp(key, "workingDir") == 0 || strcmp(key, "user") == 0) {
			if (!json_is_string(v) || json_string_value(v)[0] == '\0')
				__builtin_trap();
		} else {
			__builtin_trap();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	const char *nul = memchr(p, '\0', size);
	if (nul == NULL)
		return 0; /* the image ID must end */
	const char *image_id = p;
	struct store s = {0};
	p = nul + 1;
	for (int b = 0; b < NBLOBS && p <= end; b++) {
		nul = memchr(p, '\0', (size_t)(end - p));
		const char *stop = nul ? nul : end;
		s.blob[b] = p;
		s.len[b] = (size_t)(stop - p);
		p = stop + 1;
	}

	char hex[65];
	sc_error_t err = NULL;
	bool digest_ok = sc_image_digest(image_id, hex, &err) == 0;
	sc_error_release(&err);

	json_t *out = NULL;
	if (sc_image_config_resolve(image_id, fuzz_read, &s, &out, &err) == 0) {
		if (!digest_ok || err != NULL || s.reads < 1 || s.reads > 3)
			__builtin_trap();
		check_output(out);
		json_decref(out);
	} else {
		if (err == NULL || err->code <= 0 || sc_error_message(err)[0] == '\0' ||
		    out != NULL || s.reads > 3 || (!digest_ok && s.reads != 0))
			__builtin_trap();
		sc_error_release(&err);
	}
	return 0;
}

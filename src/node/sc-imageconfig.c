#include "node/sc-imageconfig.h"

#include <errno.h>
#include <string.h>

#include "lib/sc-buf.h"
#include "lib/sc-json.h"

static bool is_hex64(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int sc_image_digest(const char *image_id, char hex[65], sc_error_t *err)
{
	const char *p = image_id ? strstr(image_id, "sha256:") : NULL;
	if (p == NULL)
		return sc_error_make(err, EINVAL, "image ID \"%s\" has no sha256 digest",
				     image_id ? image_id : "");
	p += strlen("sha256:");
	if (!is_hex64(p, strlen(p)))
		return sc_error_make(err, EINVAL, "image ID \"%s\": malformed sha256 digest",
				     image_id);
	memcpy(hex, p, 64);
	hex[64] = '\0';
	return 0;
}

static int digest_of(json_t *descriptor, char hex[65], sc_error_t *err)
{
	return sc_image_digest(sc_json_path_str(descriptor, "digest"), hex, err);
}

/* The linux/amd64 entry of an index (or the first one with no platform). */
static json_t *pick_manifest(json_t *index)
{
	size_t i;
	json_t *m, *fallback = NULL;
	json_array_foreach (json_object_get(index, "manifests"), i, m) {
		const char *os = sc_json_path_str(m, "platform.os");
		const char *arch = sc_json_path_str(m, "platform.architecture");
		if (os && arch && strcmp(os, "linux") == 0 && strcmp(arch, "amd64") == 0)
			return m;
		if (!os && !fallback)
			fallback = m;
	}
	return fallback;
}

static void copy_string_array(json_t *out, const char *key, json_t *v)
{
	if (!json_is_array(v))
		return;
	json_t *a = json_array();
	size_t i;
	json_t *s;
	json_array_foreach (v, i, s) {
		if (json_is_string(s))
			json_array_append(a, s);
	}
	json_object_set_new(out, key, a);
}

int sc_image_config_resolve(const char *image_id, sc_blob_reader read, void *data, json_t **out,
			    sc_error_t *err)
{
	char hex[65];
	if (sc_image_digest(image_id, hex, err) < 0)
		return -1;
	/* At most index -> manifest -> config: three blobs. */
	for (int depth = 0; depth < 3; depth++) {
		cleanup_json json_t *blob = NULL;
		if (read(data, hex, &blob, err) < 0)
			return sc_error_wrap(err, "reading image %s", image_id);
		if (json_object_get(blob, "manifests")) {
			json_t *m = pick_manifest(blob);
			if (m == NULL)
				return sc_error_make(err, ENOENT,
						     "image %s: no linux/amd64 manifest", image_id);
			if (digest_of(m, hex, err) < 0)
				return -1;
			continue;
		}
		if (json_object_get(blob, "config") && json_object_get(blob, "layers")) {
			if (digest_of(json_object_get(blob, "config"), hex, err) < 0)
				return -1;
			continue;
		}
		if (json_object_get(blob, "rootfs") == NULL)
			return sc_error_make(err, EINVAL,
					     "image %s: blob %.12s is not an index, manifest or "
					     "config",
					     image_id, hex);
		json_t *cfg = json_object_get(blob, "config");
		json_t *res = json_object();
		copy_string_array(res, "entrypoint", json_object_get(cfg, "Entrypoint"));
		copy_string_array(res, "cmd", json_object_get(cfg, "Cmd"));
		copy_string_array(res, "env", json_object_get(cfg, "Env"));
		const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
		if (wd && *wd)
			json_object_set_new(res, "workingDir", json_string(wd));
		const char *user = json_string_value(json_object_get(cfg, "User"));
		if (user && *user)
			json_object_set_new(res, "user", json_string(user));
		*out = res;
		return 0;
	}
	return sc_error_make(err, ELOOP, "image %s: too many levels of indexes", image_id);
}

int sc_content_store_read(void *root, const char *hex, json_t **out, sc_error_t *err)
{
	cleanup_free char *path = sc_xasprintf("%s/blobs/sha256/%s", (const char *)root, hex);
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (sc_read_file(path, SC_IMAGE_BLOB_MAX, &data, &len, err) < 0)
		return -1;
	return sc_json_parse(data, len, out, err) < 0 ? sc_error_wrap(err, "parsing %s", path) : 0;
}

#include "nri/sc-nri.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/sc-log.h"
#include "lib/sc-util.h"
#include "nri/sc-pb.h"
#include "nri/sc-ttrpc.h"

/* Whole messages are capped by ttrpc; anything we build is far smaller. */
#define MAX_OUT (SC_TTRPC_MAX_MESSAGE)

const char *sc_nri_map_get(const struct sc_nri_map *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->kv[i].key, key) == 0)
			return m->kv[i].value;
	return NULL;
}

static void map_clear(struct sc_nri_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->kv[i].key);
		free(m->kv[i].value);
	}
	free(m->kv);
	m->kv = NULL;
	m->n = 0;
}

void sc_nri_create_request_clear(struct sc_nri_create_request *r)
{
	free(r->pod.id);
	free(r->pod.name);
	free(r->pod.uid);
	free(r->pod.namespace);
	map_clear(&r->pod.labels);
	map_clear(&r->pod.annotations);
	free(r->container.id);
	free(r->container.pod_sandbox_id);
	free(r->container.name);
	memset(r, 0, sizeof(*r));
}

/* A later entry with the same key replaces an earlier one (protobuf maps). */
static int map_add(struct sc_nri_map *m, const struct sc_pb_field *f, sc_error_t *err)
{
	char *key = NULL, *value = NULL;
	if (sc_pb_map_entry(f, &key, &value, err) < 0) {
		free(key);
		free(value);
		return -1;
	}
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->kv[i].key, key) == 0) {
			free(key);
			free(m->kv[i].value);
			m->kv[i].value = value;
			return 0;
		}
	}
	if (m->n >= SC_NRI_MAX_MAP_ENTRIES) {
		free(key);
		free(value);
		return sc_error_make(err, E2BIG, "nri: more than %d map entries",
				     SC_NRI_MAX_MAP_ENTRIES);
	}
	m->kv = sc_xrealloc(m->kv, (m->n + 1) * sizeof(*m->kv));
	m->kv[m->n++] = (struct sc_nri_kv){key, value};
	return 0;
}

static int decode_pod(const struct sc_pb_field *pf, struct sc_nri_create_request *r,
		      sc_error_t *err)
{
	struct sc_pb_reader rd;
	struct sc_pb_field f;
	int rc;
	if (pf->wire != SC_PB_BYTES)
		return sc_error_make(err, EPROTO, "nri: pod is not a message");
	sc_pb_reader_init(&rd, pf->data, pf->len);
	while ((rc = sc_pb_next(&rd, &f, err)) > 0) {
		int ok = 0;
		switch (f.number) {
		case 1:
			ok = sc_pb_dup_string(&f, &r->pod.id, err);
			break;
		case 2:
			ok = sc_pb_dup_string(&f, &r->pod.name, err);
			break;
		case 3:
			ok = sc_pb_dup_string(&f, &r->pod.uid, err);
			break;
		case 4:
			ok = sc_pb_dup_string(&f, &r->pod.namespace, err);
			break;
		case 5:
			ok = map_add(&r->pod.labels, &f, err);
			break;
		case 6:
			ok = map_add(&r->pod.annotations, &f, err);
			break;
		default:
			break;
		}
		if (ok < 0)
			return sc_error_wrap(err, "nri: pod field %u", f.number);
	}
	return rc;
}

static int decode_container(const struct sc_pb_field *cf, struct sc_nri_create_request *r,
			    sc_error_t *err)
{
	struct sc_pb_reader rd;
	struct sc_pb_field f;
	int rc;
	if (cf->wire != SC_PB_BYTES)
		return sc_error_make(err, EPROTO, "nri: container is not a message");
	sc_pb_reader_init(&rd, cf->data, cf->len);
	while ((rc = sc_pb_next(&rd, &f, err)) > 0) {
		int ok = 0;
		if (f.number == 1)
			ok = sc_pb_dup_string(&f, &r->container.id, err);
		else if (f.number == 2)
			ok = sc_pb_dup_string(&f, &r->container.pod_sandbox_id, err);
		else if (f.number == 3)
			ok = sc_pb_dup_string(&f, &r->container.name, err);
		if (ok < 0)
			return sc_error_wrap(err, "nri: container field %u", f.number);
	}
	return rc;
}

int sc_nri_decode_create(const void *p, size_t len, struct sc_nri_create_request *r,
			 sc_error_t *err)
{
	struct sc_pb_reader rd;
	struct sc_pb_field f;
	int rc;
	memset(r, 0, sizeof(*r));
	sc_pb_reader_init(&rd, p, len);
	while ((rc = sc_pb_next(&rd, &f, err)) > 0) {
		if ((f.number == 1 && decode_pod(&f, r, err) < 0) ||
		    (f.number == 2 && decode_container(&f, r, err) < 0)) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && (r->container.id == NULL || r->container.name == NULL))
		rc = sc_error_make(err, EPROTO, "nri: CreateContainer without a container %s",
				   r->container.id ? "name" : "ID");
	if (rc < 0) {
		sc_nri_create_request_clear(r);
		return -1;
	}
	return 0;
}

void sc_nri_adjustment_clear(struct sc_nri_adjustment *a)
{
	sc_strv_free(a->annotations);
	free(a->hook_path);
	sc_strv_free(a->hook_args);
	sc_strv_free(a->hook_env);
	memset(a, 0, sizeof(*a));
}

int sc_nri_put_register(struct sc_buf *out, const char *name, const char *idx, sc_error_t *err)
{
	if (sc_pb_put_string(out, 1, name, err) < 0 || sc_pb_put_string(out, 2, idx, err) < 0)
		return -1;
	return 0;
}

int sc_nri_put_configure_response(struct sc_buf *out, uint32_t events, sc_error_t *err)
{
	return events ? sc_pb_put_uint(out, 2, events, err) : 0;
}

int sc_nri_put_synchronize_response(struct sc_buf *out, bool more, sc_error_t *err)
{
	return more ? sc_pb_put_uint(out, 2, 1, err) : 0;
}

static int put_strings(struct sc_buf *b, uint32_t field, char *const *v, sc_error_t *err)
{
	for (size_t i = 0; v && v[i]; i++)
		if (sc_pb_put_string(b, field, v[i], err) < 0)
			return -1;
	return 0;
}

/* Hooks { repeated Hook create_runtime = 2; }, Hook { path = 1; args = 2;
 * env = 3; OptionalInt timeout = 4 { int64 value = 1; } } */
static int put_hooks(struct sc_buf *out, const struct sc_nri_adjustment *a, sc_error_t *err)
{
	cleanup_buf struct sc_buf hook = SC_BUF_INIT(MAX_OUT);
	cleanup_buf struct sc_buf hooks = SC_BUF_INIT(MAX_OUT);
	if (sc_pb_put_string(&hook, 1, a->hook_path, err) < 0 ||
	    put_strings(&hook, 2, a->hook_args, err) < 0 ||
	    put_strings(&hook, 3, a->hook_env, err) < 0)
		return -1;
	if (a->hook_timeout > 0) {
		cleanup_buf struct sc_buf t = SC_BUF_INIT(16);
		if (sc_pb_put_uint(&t, 1, (uint64_t)a->hook_timeout, err) < 0 ||
		    sc_pb_put_bytes(&hook, 4, t.data, t.len, err) < 0)
			return -1;
	}
	if (sc_pb_put_bytes(&hooks, 2, hook.data, hook.len, err) < 0)
		return -1;
	return sc_pb_put_bytes(out, 5, hooks.data, hooks.len, err);
}

/* CreateContainerResponse { ContainerAdjustment adjust = 1; }
 * ContainerAdjustment { map<string,string> annotations = 2; Hooks hooks = 5; } */
int sc_nri_put_create_response(struct sc_buf *out, const struct sc_nri_adjustment *a,
			       sc_error_t *err)
{
	cleanup_buf struct sc_buf adj = SC_BUF_INIT(MAX_OUT);
	size_t n = sc_strv_len(a->annotations);
	if (n % 2)
		return sc_error_make(err, EINVAL, "nri: annotation %s without a value",
				     a->annotations[n - 1]);
	for (size_t i = 0; i < n; i += 2)
		if (sc_pb_put_map_entry(&adj, 2, a->annotations[i], a->annotations[i + 1], err) < 0)
			return -1;
	if (a->hook_path && put_hooks(&adj, a, err) < 0)
		return -1;
	if (adj.len == 0)
		return 0;
	return sc_pb_put_bytes(out, 1, adj.data, adj.len, err);
}

int sc_nri_decode_configure(const void *p, size_t len, char **runtime_name, char **runtime_version,
			    sc_error_t *err)
{
	struct sc_pb_reader rd;
	struct sc_pb_field f;
	int rc;
	sc_pb_reader_init(&rd, p, len);
	while ((rc = sc_pb_next(&rd, &f, err)) > 0) {
		if (f.number == 2 && sc_pb_dup_string(&f, runtime_name, err) < 0)
			return -1;
		if (f.number == 3 && sc_pb_dup_string(&f, runtime_version, err) < 0)
			return -1;
	}
	return rc;
}

int sc_nri_decode_synchronize(const void *p, size_t len, bool *more, sc_error_t *err)
{
	struct sc_pb_reader rd;
	struct sc_pb_field f;
	int rc;
	*more = false;
	sc_pb_reader_init(&rd, p, len);
	while ((rc = sc_pb_next(&rd, &f, err)) > 0)
		if (f.number == 3 && f.wire == SC_PB_VARINT)
			*more = f.varint != 0;
	return rc;
}

bool sc_nri_valid_name(const char *name)
{
	if (name == NULL || *name == '\0')
		return false;
	for (const char *c = name; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || strchr("-_.+", *c) != NULL;
		if (!ok)
			return false;
	}
	return true;
}

bool sc_nri_valid_index(const char *idx)
{
	return idx && strlen(idx) == 2 && idx[0] >= '0' && idx[0] <= '9' && idx[1] >= '0' &&
	       idx[1] <= '9';
}

int sc_nri_dial(const char *path, sc_error_t *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return sc_error_make(err, ENAMETOOLONG, "nri socket path too long: %s", path);
	memcpy(sa.sun_path, path, len + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sc_error_make_errno(err, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		sc_error_make_errno(err, "connect %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

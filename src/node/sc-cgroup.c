#include "node/sc-cgroup.h"

#include <errno.h>
#include <string.h>

#include "lib/sc-util.h"
#include "lib/sc-validate.h"

void sc_cgroup_free(struct sc_cgroup *cg)
{
	if (cg == NULL)
		return;
	for (size_t i = 0; i < cg->n; i++) {
		free(cg->entries[i].controllers);
		free(cg->entries[i].path);
	}
	free(cg->entries);
	cg->entries = NULL;
	cg->n = 0;
}

void sc_cleanup_cgroupp(struct sc_cgroup *cg)
{
	sc_cgroup_free(cg);
}

int sc_cgroup_parse(const char *data, size_t len, struct sc_cgroup *out, sc_error_t *err)
{
	out->entries = NULL;
	out->n = 0;
	if (len > SC_CGROUP_MAX_BYTES)
		return sc_error_make(err, EMSGSIZE, "cgroup file larger than %u bytes",
				     SC_CGROUP_MAX_BYTES);
	size_t pos = 0, lineno = 0;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (data + pos)) : len - pos;
		const char *line = data + pos;
		pos += l + (nl ? 1 : 0);
		lineno++;
		if (l == 0)
			continue;
		if (l > SC_CGROUP_MAX_LINE || memchr(line, '\0', l) != NULL) {
			sc_cgroup_free(out);
			return sc_error_make(err, EINVAL,
					     "cgroup line %zu: too long or contains NUL", lineno);
		}
		if (out->n == SC_CGROUP_MAX_LINES) {
			sc_cgroup_free(out);
			return sc_error_make(err, EMSGSIZE, "cgroup file has more than %u lines",
					     SC_CGROUP_MAX_LINES);
		}
		/* hierarchy-ID:controller-list:path; the path may contain ':'. */
		const char *c1 = memchr(line, ':', l);
		const char *c2 = c1 ? memchr(c1 + 1, ':', l - (size_t)(c1 + 1 - line)) : NULL;
		if (c1 == NULL || c2 == NULL) {
			sc_cgroup_free(out);
			return sc_error_make(
			    err, EINVAL, "cgroup line %zu: expected ID:CONTROLLERS:PATH", lineno);
		}
		cleanup_free char *idstr = sc_xstrndup(line, (size_t)(c1 - line));
		long id;
		if (sc_parse_long(idstr, 0, 0x7fffffff, &id) < 0) {
			sc_cgroup_free(out);
			return sc_error_make(
			    err, EINVAL, "cgroup line %zu: bad hierarchy ID \"%s\"", lineno, idstr);
		}
		size_t plen = l - (size_t)(c2 + 1 - line);
		if (plen == 0 || c2[1] != '/') {
			sc_cgroup_free(out);
			return sc_error_make(err, EINVAL, "cgroup line %zu: path must be absolute",
					     lineno);
		}
		if (id == 0 && c2 != c1 + 1) {
			sc_cgroup_free(out);
			return sc_error_make(
			    err, EINVAL, "cgroup line %zu: the v2 hierarchy (0) has no controllers",
			    lineno);
		}
		out->entries = sc_xrealloc(out->entries, (out->n + 1) * sizeof(*out->entries));
		struct sc_cgroup_entry *e = &out->entries[out->n++];
		e->hierarchy = (int)id;
		e->controllers = sc_xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
		e->path = sc_xstrndup(c2 + 1, plen);
	}
	return 0;
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool sc_is_container_id(const char *s, size_t len)
{
	if (len != SC_CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

int sc_container_id_parse(const char *status_id, char **runtime, char **id, sc_error_t *err)
{
	const char *sep = status_id ? strstr(status_id, "://") : NULL;
	if (sep == NULL || sep == status_id)
		return sc_error_make(err, EINVAL,
				     "invalid container ID \"%s\": expected <runtime>://<64 hex>",
				     status_id ? status_id : "");
	for (const char *p = status_id; p < sep; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return sc_error_make(err, EINVAL,
					     "invalid container ID \"%s\": bad runtime name",
					     status_id);
	const char *hex = sep + 3;
	if (!sc_is_container_id(hex, strlen(hex)))
		return sc_error_make(err, EINVAL,
				     "invalid container ID \"%s\": the ID must be 64 lower-case "
				     "hex characters",
				     status_id);
	if (runtime != NULL)
		*runtime = sc_xstrndup(status_id, (size_t)(sep - status_id));
	if (id != NULL)
		*id = sc_xstrdup(hex);
	return 0;
}

/* Scope prefixes of the CRI runtimes under the systemd driver. */
static const char *const scope_prefixes[] = {"cri-containerd-", "crio-", "docker-"};

/* If comp is a container cgroup name, point *cid at its 64-hex ID. */
static bool container_component(const char *comp, size_t len, const char **cid, bool *systemd)
{
	if (sc_is_container_id(comp, len)) {
		*cid = comp;
		*systemd = false;
		return true;
	}
	static const char suffix[] = ".scope";
	size_t sl = sizeof(suffix) - 1;
	for (size_t i = 0; i < SC_ARRAY_SIZE(scope_prefixes); i++) {
		size_t pl = strlen(scope_prefixes[i]);
		if (len == pl + SC_CONTAINER_ID_LEN + sl &&
		    strncmp(comp, scope_prefixes[i], pl) == 0 &&
		    strncmp(comp + len - sl, suffix, sl) == 0 &&
		    sc_is_container_id(comp + pl, SC_CONTAINER_ID_LEN)) {
			*cid = comp + pl;
			*systemd = true;
			return true;
		}
	}
	return false;
}

enum sc_cgroup_match sc_cgroup_path_match(const char *path, const char *pod_uid,
					  const char *container_id)
{
	size_t len = strlen(path);
	if (len < 2 || path[0] != '/' || path[len - 1] == '/')
		return SC_CGROUP_MATCH_NONE;
	const char *last = strrchr(path, '/') + 1;
	size_t last_len = len - (size_t)(last - path);
	const char *cid;
	bool systemd;
	if (!container_component(last, last_len, &cid, &systemd))
		return SC_CGROUP_MATCH_NONE;
	if (last - 1 == path)
		return SC_CGROUP_MATCH_OTHER; /* a container cgroup without a pod parent */
	const char *pend = last - 1;          /* the '/' before last */
	const char *pstart = pend;
	while (pstart > path && pstart[-1] != '/')
		pstart--;
	size_t plen = (size_t)(pend - pstart);

	bool pod_ok = false;
	size_t ul = strlen(pod_uid);
	if (!systemd) {
		pod_ok = plen == 3 + ul && strncmp(pstart, "pod", 3) == 0 &&
			 strncmp(pstart + 3, pod_uid, ul) == 0;
	} else {
		/* "kubepods[-<qos>]-pod<uid_with_underscores>.slice" */
		static const char slice[] = ".slice";
		size_t sl = sizeof(slice) - 1;
		if (plen > 4 + ul + sl && sc_str_has_prefix(pstart, "kubepods") &&
		    strncmp(pend - sl, slice, sl) == 0 &&
		    strncmp(pend - sl - ul - 4, "-pod", 4) == 0) {
			const char *u = pend - sl - ul;
			pod_ok = true;
			for (size_t i = 0; i < ul && pod_ok; i++) {
				char want = pod_uid[i] == '-' ? '_' : pod_uid[i];
				pod_ok = u[i] == want;
			}
		}
	}
	if (pod_ok && strncmp(cid, container_id, SC_CONTAINER_ID_LEN) == 0 &&
	    strlen(container_id) == SC_CONTAINER_ID_LEN)
		return SC_CGROUP_MATCH_YES;
	return SC_CGROUP_MATCH_OTHER;
}

int sc_cgroup_belongs(const struct sc_cgroup *cg, const char *pod_uid, const char *container_id,
		      sc_error_t *err)
{
	if (sc_validate_uid("pod UID", pod_uid, err) < 0)
		return -1;
	if (container_id == NULL || !sc_is_container_id(container_id, strlen(container_id)))
		return sc_error_make(err, EINVAL,
				     "invalid container ID \"%s\": expected 64 lower-case hex "
				     "characters",
				     container_id ? container_id : "");
	bool yes = false;
	for (size_t i = 0; i < cg->n; i++) {
		/* A deleted cgroup (" (deleted)" suffix) never matches: its last
		 * component is not a container name. */
		switch (sc_cgroup_path_match(cg->entries[i].path, pod_uid, container_id)) {
		case SC_CGROUP_MATCH_YES:
			yes = true;
			break;
		case SC_CGROUP_MATCH_OTHER:
			return 0;
		case SC_CGROUP_MATCH_NONE:
			break;
		}
	}
	return yes ? 1 : 0;
}

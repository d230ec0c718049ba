#include "lib/sc-kubeconfig.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/sc-buf.h"
#include "lib/sc-json.h"

/* One loaded kubeconfig file. */
struct kc_file {
	char *path;
	json_t *root; /* an object, or NULL for an empty file */
};

struct kc_set {
	struct kc_file *files;
	size_t n;
	char *description; /* the paths joined with ':' for messages */
};

/* An entry found in some file's clusters/users/contexts list. */
struct kc_entry {
	const struct kc_file *file;
	size_t index;
	json_t *body; /* the "cluster"/"user"/"context" mapping, may be NULL */
};

static void kc_set_free(struct kc_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->files[i].path);
		if (s->files[i].root != NULL)
			json_decref(s->files[i].root);
	}
	free(s->files);
	free(s->description);
	*s = (struct kc_set){0};
}

SC_PRINTF(4, 5)
static int kc_fail(sc_error_t *err, int code, const char *file, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *msg = sc_xvasprintf(fmt, ap);
	va_end(ap);
	return sc_error_make(err, code, "kubeconfig %s: %s", file, msg);
}

/* ---- base64 ---- */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int sc_base64_decode(const char *in, size_t len, char **out, size_t *out_len, sc_error_t *err)
{
	cleanup_free char *buf = sc_xmalloc(len / 4 * 3 + 4);
	size_t n = 0;
	unsigned int acc = 0;
	int bits = 0, quad = 0, pad = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			quad++;
			continue;
		}
		int v = b64_value(c);
		if (v < 0 || pad > 0)
			return sc_error_make(err, EINVAL, "invalid base64 at byte %zu", i);
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		quad++;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	/* Whole quads only; padding only as the last one or two characters,
	 * and the unused low bits must be zero (Go's strict decoder). */
	if (quad % 4 != 0 || pad > 2 || (pad > 0 && bits == 0) ||
	    (bits > 0 && (acc & ((1u << bits) - 1)) != 0))
		return sc_error_make(err, EINVAL, "invalid base64: bad length or padding");
	if ((pad == 1 && bits != 2) || (pad == 2 && bits != 4))
		return sc_error_make(err, EINVAL, "invalid base64: bad padding");
	buf[n] = '\0';
	*out_len = n;
	*out = steal_pointer(&buf);
	return 0;
}

/* ---- field readers ---- */

/* A string field, or NULL when absent, null or empty. */
static int kc_str(const json_t *obj, const char *key, const char *file, const char *where,
		  const char **out, sc_error_t *err)
{
	*out = NULL;
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return kc_fail(err, EINVAL, file, "%s.%s: must be a string", where, key);
	if (json_string_length(v) != strlen(json_string_value(v)))
		return kc_fail(err, EINVAL, file, "%s.%s: contains a NUL byte", where, key);
	if (json_string_length(v) > 0)
		*out = json_string_value(v);
	return 0;
}

static int kc_bool(const json_t *obj, const char *key, const char *file, const char *where,
		   bool *out, sc_error_t *err)
{
	*out = false;
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	/* kubectl reads YAML 1.1, where yes/no/on/off are booleans too. */
	const char *s = json_string_value(v);
	static const char *const yes[] = {"true", "yes", "on", "y"};
	static const char *const no[] = {"false", "no", "off", "n"};
	for (size_t i = 0; s != NULL && i < SC_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return kc_fail(err, EINVAL, file, "%s.%s: must be true or false", where, key);
}

/* A relative path in a kubeconfig is relative to that file's directory. */
static char *resolve_path(const char *file, const char *path)
{
	if (path[0] == '/')
		return sc_xstrdup(path);
	const char *slash = strrchr(file, '/');
	if (slash == NULL)
		return sc_xstrdup(path);
	return sc_xasprintf("%.*s/%s", (int)(slash - file), file, path);
}

static int check_readable(const char *file, const char *where, const char *key, const char *path,
			  sc_error_t *err)
{
	if (access(path, R_OK) < 0)
		return kc_fail(err, errno, file, "%s.%s: %s: %s", where, key, path,
			       strerror(errno));
	return 0;
}

/* Decode a -data key or take the file key (the data wins, as in client-go).
 * Exactly one of *file_out / *data_out is set when either key is present. */
static int kc_material(const json_t *obj, const char *file, const char *where, const char *key,
		       char **file_out, char **data_out, size_t *len_out, sc_error_t *err)
{
	cleanup_free char *data_key = sc_xasprintf("%s-data", key);
	const char *data = NULL, *path = NULL;
	if (kc_str(obj, data_key, file, where, &data, err) < 0 ||
	    kc_str(obj, key, file, where, &path, err) < 0)
		return -1;
	if (data != NULL) {
		if (sc_base64_decode(data, strlen(data), data_out, len_out, err) < 0)
			return sc_error_wrap(err, "kubeconfig %s: %s.%s", file, where, data_key);
		return 0;
	}
	if (path != NULL) {
		cleanup_free char *full = resolve_path(file, path);
		if (check_readable(file, where, key, full, err) < 0)
			return -1;
		*file_out = steal_pointer(&full);
	}
	return 0;
}

static char *trim_dup(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)s[0]))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	return sc_xstrndup(s, len);
}

static int read_token_file(const char *path, char **out, sc_error_t *err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (sc_read_file(path, SC_KUBE_SA_FILE_MAX_SIZE, &data, &len, err) < 0)
		return -1;
	if (memchr(data, '\0', len) != NULL)
		return sc_error_make(err, EINVAL, "token file %s contains a NUL byte", path);
	*out = trim_dup(data, len);
	return 0;
}

/* ---- structure checks ---- */

static int check_list(const struct kc_file *f, const char *section, const char *body_key,
		      sc_error_t *err)
{
	json_t *list = json_object_get(f->root, section);
	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return kc_fail(err, EINVAL, f->path, "%s: must be a list", section);
	size_t i;
	json_t *item;
	json_array_foreach (list, i, item) {
		if (!json_is_object(item))
			return kc_fail(err, EINVAL, f->path, "%s[%zu]: must be a mapping", section,
				       i);
		cleanup_free char *where = sc_xasprintf("%s[%zu]", section, i);
		const char *name = NULL;
		if (kc_str(item, "name", f->path, where, &name, err) < 0)
			return -1;
		if (name == NULL)
			return kc_fail(err, EINVAL, f->path, "%s.name: missing", where);
		json_t *body = json_object_get(item, body_key);
		if (body != NULL && !json_is_null(body) && !json_is_object(body))
			return kc_fail(err, EINVAL, f->path, "%s.%s: must be a mapping", where,
				       body_key);
	}
	return 0;
}

static int kc_file_check(const struct kc_file *f, sc_error_t *err)
{
	if (f->root == NULL)
		return 0;
	const char *cc = NULL;
	if (kc_str(f->root, "current-context", f->path, "", &cc, err) < 0)
		return -1;
	if (check_list(f, "clusters", "cluster", err) < 0 ||
	    check_list(f, "users", "user", err) < 0 ||
	    check_list(f, "contexts", "context", err) < 0)
		return -1;
	return 0;
}

static int kc_add_file(struct kc_set *set, const char *path, const char *data, size_t len,
		       sc_error_t *err)
{
	json_t *root = NULL;
	if (sc_json_from_yaml(data, len, SC_YAML_SCALARS_AS_STRINGS, &root, err) < 0)
		return sc_error_wrap(err, "kubeconfig %s", path);
	if (json_is_null(root)) {
		json_decref(root);
		root = NULL;
	} else if (!json_is_object(root)) {
		json_decref(root);
		return kc_fail(err, EINVAL, path, "top level must be a mapping");
	}
	set->files = sc_xrealloc(set->files, (set->n + 1) * sizeof(*set->files));
	set->files[set->n] = (struct kc_file){.path = sc_xstrdup(path), .root = root};
	set->n++;
	return kc_file_check(&set->files[set->n - 1], err);
}

/* First file, first entry with that name wins (kubectl's merge rule). */
static bool kc_find(const struct kc_set *set, const char *section, const char *body_key,
		    const char *name, struct kc_entry *out)
{
	for (size_t f = 0; f < set->n; f++) {
		json_t *list =
		    set->files[f].root ? json_object_get(set->files[f].root, section) : NULL;
		if (!json_is_array(list))
			continue;
		size_t i;
		json_t *item;
		json_array_foreach (list, i, item) {
			const char *n = json_string_value(json_object_get(item, "name"));
			if (n != NULL && strcmp(n, name) == 0) {
				out->file = &set->files[f];
				out->index = i;
				out->body = json_object_get(item, body_key);
				if (json_is_null(out->body))
					out->body = NULL;
				return true;
			}
		}
	}
	return false;
}

static const char *kc_current_context(const struct kc_set *set)
{
	for (size_t f = 0; f < set->n; f++) {
		const char *cc =
		    set->files[f].root
			? json_string_value(json_object_get(set->files[f].root, "current-context"))
			: NULL;
		if (cc != NULL && *cc != '\0')
			return cc;
	}
	return NULL;
}

/* ---- resolving a context ---- */

static int kc_cluster(struct sc_kube_config *cfg, const struct kc_entry *e, sc_error_t *err)
{
	const char *file = e->file->path;
	cleanup_free char *where = sc_xasprintf("clusters[%zu].cluster", e->index);
	if (e->body == NULL)
		return kc_fail(err, EINVAL, file, "%s: missing", where);
	const char *server = NULL;
	if (kc_str(e->body, "server", file, where, &server, err) < 0 ||
	    kc_bool(e->body, "insecure-skip-tls-verify", file, where,
		    &cfg->insecure_skip_tls_verify, err) < 0)
		return -1;
	if (server == NULL)
		return kc_fail(err, EINVAL, file, "%s.server: missing", where);
	if (!sc_str_has_prefix(server, "https://") && !sc_str_has_prefix(server, "http://"))
		return kc_fail(err, EINVAL, file, "%s.server: \"%s\" is not an http(s) URL", where,
			       server);
	size_t len = strlen(server);
	while (len > 0 && server[len - 1] == '/')
		len--;
	cfg->server = sc_xstrndup(server, len);
	if (kc_material(e->body, file, where, "certificate-authority", &cfg->ca_file, &cfg->ca_data,
			&cfg->ca_data_len, err) < 0)
		return -1;
	/* client-go refuses this combination too: it is almost always a
	 * mistake that silently disables the CA the user thought applied. */
	if (cfg->insecure_skip_tls_verify && (cfg->ca_file != NULL || cfg->ca_data != NULL))
		return kc_fail(err, EINVAL, file,
			       "%s: insecure-skip-tls-verify together with a certificate "
			       "authority is not allowed",
			       where);
	return 0;
}

static int kc_user(struct sc_kube_config *cfg, const struct kc_entry *e, sc_error_t *err)
{
	const char *file = e->file->path;
	cleanup_free char *where = sc_xasprintf("users[%zu].user", e->index);
	if (e->body == NULL)
		return 0; /* a user with no credentials: anonymous */
	const char *token = NULL, *token_file = NULL, *username = NULL, *password = NULL;
	if (kc_str(e->body, "token", file, where, &token, err) < 0 ||
	    kc_str(e->body, "tokenFile", file, where, &token_file, err) < 0 ||
	    kc_str(e->body, "username", file, where, &username, err) < 0 ||
	    kc_str(e->body, "password", file, where, &password, err) < 0)
		return -1;
	if (kc_material(e->body, file, where, "client-certificate", &cfg->cert_file,
			&cfg->cert_data, &cfg->cert_data_len, err) < 0 ||
	    kc_material(e->body, file, where, "client-key", &cfg->key_file, &cfg->key_data,
			&cfg->key_data_len, err) < 0)
		return -1;
	bool have_cert = cfg->cert_file != NULL || cfg->cert_data != NULL;
	bool have_key = cfg->key_file != NULL || cfg->key_data != NULL;
	if (have_cert && !have_key)
		return kc_fail(err, EINVAL, file,
			       "%s.client-key: missing (client-certificate is set)", where);
	if (have_key && !have_cert)
		return kc_fail(err, EINVAL, file,
			       "%s.client-certificate: missing (client-key is set)", where);
	if (token != NULL) {
		cfg->token = sc_xstrdup(token);
	} else if (token_file != NULL) {
		cfg->token_file = resolve_path(file, token_file);
		if (read_token_file(cfg->token_file, &cfg->token, err) < 0)
			return sc_error_wrap(err, "kubeconfig %s: %s.tokenFile", file, where);
	}
	cfg->username = sc_xstrdup(username);
	cfg->password = sc_xstrdup(password);
	bool have_creds = have_cert || cfg->token != NULL || cfg->username != NULL;
	if (!have_creds) {
		if (json_object_get(e->body, "exec") != NULL)
			return kc_fail(err, ENOTSUP, file,
				       "%s.exec: exec credential plugins are not supported", where);
		if (json_object_get(e->body, "auth-provider") != NULL)
			return kc_fail(err, ENOTSUP, file,
				       "%s.auth-provider: auth providers are not supported", where);
	}
	return 0;
}

static int kc_resolve(const struct kc_set *set, const char *context, struct sc_kube_config **out,
		      sc_error_t *err)
{
	const char *ctx_name = context ? context : kc_current_context(set);
	if (ctx_name == NULL)
		return kc_fail(err, EINVAL, set->description,
			       "current-context: not set and no context given");
	struct kc_entry ctx;
	if (!kc_find(set, "contexts", "context", ctx_name, &ctx))
		return kc_fail(err, ENOENT, set->description, "context \"%s\" not found", ctx_name);
	const char *cfile = ctx.file->path;
	cleanup_free char *where = sc_xasprintf("contexts[%zu].context", ctx.index);
	if (ctx.body == NULL)
		return kc_fail(err, EINVAL, cfile, "%s: missing", where);
	const char *cluster_name = NULL, *user_name = NULL, *ns = NULL;
	if (kc_str(ctx.body, "cluster", cfile, where, &cluster_name, err) < 0 ||
	    kc_str(ctx.body, "user", cfile, where, &user_name, err) < 0 ||
	    kc_str(ctx.body, "namespace", cfile, where, &ns, err) < 0)
		return -1;
	if (cluster_name == NULL)
		return kc_fail(err, EINVAL, cfile, "%s.cluster: missing", where);

	cleanup_kube_config struct sc_kube_config *cfg = sc_xzalloc(sizeof(*cfg));
	struct kc_entry cluster;
	if (!kc_find(set, "clusters", "cluster", cluster_name, &cluster))
		return kc_fail(err, ENOENT, cfile, "%s.cluster: cluster \"%s\" not found", where,
			       cluster_name);
	if (kc_cluster(cfg, &cluster, err) < 0)
		return -1;
	if (user_name != NULL) {
		struct kc_entry user;
		if (!kc_find(set, "users", "user", user_name, &user))
			return kc_fail(err, ENOENT, cfile, "%s.user: user \"%s\" not found", where,
				       user_name);
		if (kc_user(cfg, &user, err) < 0)
			return -1;
	}
	cfg->namespace = sc_xstrdup(ns ? ns : "default");
	cfg->context = sc_xstrdup(ctx_name);
	cfg->source = sc_xstrdup(set->description);
	*out = steal_pointer(&cfg);
	return 0;
}

static void kc_describe(struct kc_set *set)
{
	struct sc_buf b = SC_BUF_INIT((size_t)-2);
	for (size_t i = 0; i < set->n; i++) {
		if (i > 0)
			sc_buf_append_str(&b, ":", NULL);
		sc_buf_append_str(&b, set->files[i].path, NULL);
	}
	free(set->description);
	set->description = sc_buf_steal(&b);
}

int sc_kube_config_from_data(const char *name, const char *data, size_t len, const char *context,
			     struct sc_kube_config **out, sc_error_t *err)
{
	struct kc_set set = {0};
	int r = kc_add_file(&set, name, data, len, err);
	if (r == 0) {
		kc_describe(&set);
		r = kc_resolve(&set, context, out, err);
	}
	kc_set_free(&set);
	return r;
}

/* Load the files that exist (all must when must_exist). */
static int kc_load_files(struct kc_set *set, char *const *paths, bool must_exist, sc_error_t *err)
{
	for (size_t i = 0; paths[i] != NULL; i++) {
		cleanup_free char *data = NULL;
		size_t len = 0;
		cleanup_error sc_error_t rerr = NULL;
		if (sc_read_file(paths[i], SC_KUBECONFIG_MAX_SIZE, &data, &len, &rerr) < 0) {
			if (!must_exist && rerr->code == ENOENT)
				continue;
			return sc_error_make(err, rerr->code, "kubeconfig %s: %s", paths[i],
					     sc_error_message(rerr));
		}
		if (kc_add_file(set, paths[i], data, len, err) < 0)
			return -1;
	}
	kc_describe(set);
	return 0;
}

int sc_kube_config_from_files(char *const *paths, bool must_exist, const char *context,
			      struct sc_kube_config **out, sc_error_t *err)
{
	struct kc_set set = {0};
	int r = kc_load_files(&set, paths, must_exist, err);
	if (r == 0 && set.n == 0)
		r = sc_error_make(err, ENOENT, "kubeconfig: none of the files exists");
	if (r == 0)
		r = kc_resolve(&set, context, out, err);
	kc_set_free(&set);
	return r;
}

int sc_kube_config_in_cluster(const char *host, const char *port, const char *sa_dir,
			      struct sc_kube_config **out, sc_error_t *err)
{
	if (host == NULL)
		host = getenv("KUBERNETES_SERVICE_HOST");
	if (port == NULL)
		port = getenv("KUBERNETES_SERVICE_PORT");
	if (sa_dir == NULL)
		sa_dir = SC_KUBE_SERVICE_ACCOUNT_DIR;
	if (host == NULL || *host == '\0' || port == NULL || *port == '\0')
		return sc_error_make(err, ENOENT,
				     "in-cluster config: KUBERNETES_SERVICE_HOST and "
				     "KUBERNETES_SERVICE_PORT must be set");
	long port_num = 0;
	if (sc_parse_long(port, 1, 65535, &port_num) < 0)
		return sc_error_make(err, EINVAL,
				     "in-cluster config: KUBERNETES_SERVICE_PORT \"%s\" is not a "
				     "port number",
				     port);
	for (const char *p = host; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != ':')
			return sc_error_make(err, EINVAL,
					     "in-cluster config: KUBERNETES_SERVICE_HOST \"%s\" is "
					     "not a host name or address",
					     host);
	cleanup_kube_config struct sc_kube_config *cfg = sc_xzalloc(sizeof(*cfg));
	bool v6 = strchr(host, ':') != NULL;
	cfg->server =
	    sc_xasprintf("https://%s%s%s:%ld", v6 ? "[" : "", host, v6 ? "]" : "", port_num);
	cfg->token_file = sc_xasprintf("%s/token", sa_dir);
	if (read_token_file(cfg->token_file, &cfg->token, err) < 0)
		return sc_error_wrap(err, "in-cluster config");
	cleanup_free char *ca = sc_xasprintf("%s/ca.crt", sa_dir);
	if (access(ca, R_OK) == 0)
		cfg->ca_file = steal_pointer(&ca);
	cleanup_free char *ns_path = sc_xasprintf("%s/namespace", sa_dir);
	cleanup_free char *ns_data = NULL;
	size_t ns_len = 0;
	cleanup_error sc_error_t ns_err = NULL;
	if (sc_read_file(ns_path, SC_KUBE_SA_FILE_MAX_SIZE, &ns_data, &ns_len, &ns_err) == 0)
		cfg->namespace = trim_dup(ns_data, ns_len);
	if (cfg->namespace == NULL || cfg->namespace[0] == '\0') {
		free(cfg->namespace);
		cfg->namespace = sc_xstrdup("default");
	}
	cfg->source = sc_xstrdup("in-cluster");
	cfg->in_cluster = true;
	*out = steal_pointer(&cfg);
	return 0;
}

/* Split a ':'-separated list, dropping empty elements. */
static char **split_path_list(const char *s)
{
	size_t n = 1;
	for (const char *p = s; *p; p++)
		n += *p == ':';
	char **v = sc_xzalloc((n + 1) * sizeof(char *));
	size_t k = 0;
	const char *start = s;
	for (;;) {
		const char *colon = strchr(start, ':');
		size_t l = colon ? (size_t)(colon - start) : strlen(start);
		if (l > 0)
			v[k++] = sc_xstrndup(start, l);
		if (colon == NULL)
			break;
		start = colon + 1;
	}
	return v;
}

static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	if (home != NULL && *home != '\0')
		return home;
	struct passwd *pw = getpwuid(getuid());
	return pw ? pw->pw_dir : NULL;
}

int sc_kube_config_load(const struct sc_kubeconfig_options *opts, struct sc_kube_config **out,
			sc_error_t *err)
{
	static const struct sc_kubeconfig_options none = {0};
	if (opts == NULL)
		opts = &none;
	if (opts->path != NULL) {
		char *one[] = {(char *)opts->path, NULL};
		return sc_kube_config_from_files(one, true, opts->context, out, err);
	}
	const char *env = getenv("KUBECONFIG");
	if (env != NULL && *env != '\0') {
		/* kubectl skips listed files that do not exist; when none does,
		 * fall through to the other sources. */
		cleanup_strv char **paths = split_path_list(env);
		struct kc_set set = {0};
		int r = kc_load_files(&set, paths, false, err);
		if (r == 0 && set.n > 0)
			r = kc_resolve(&set, opts->context, out, err);
		size_t loaded = set.n;
		kc_set_free(&set);
		if (r < 0 || loaded > 0)
			return r;
	} else {
		const char *home = home_dir();
		if (home != NULL) {
			cleanup_free char *path = sc_xasprintf("%s/.kube/config", home);
			if (access(path, F_OK) == 0) {
				char *one[] = {path, NULL};
				return sc_kube_config_from_files(one, true, opts->context, out,
								 err);
			}
		}
	}
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	if (host != NULL && *host != '\0')
		return sc_kube_config_in_cluster(NULL, NULL, opts->service_account_dir, out, err);
	return sc_error_make(err, ENOENT,
			     "no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, "
			     "create ~/.kube/config, or run inside a cluster");
}

static char *memdup0(const char *p, size_t n)
{
	if (p == NULL)
		return NULL;
	char *d = sc_xmalloc(n + 1);
	memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

struct sc_kube_config *sc_kube_config_dup(const struct sc_kube_config *c)
{
	struct sc_kube_config *d = sc_xzalloc(sizeof(*d));
	d->server = sc_xstrdup(c->server);
	d->ca_file = sc_xstrdup(c->ca_file);
	d->ca_data = memdup0(c->ca_data, c->ca_data_len);
	d->ca_data_len = c->ca_data_len;
	d->cert_file = sc_xstrdup(c->cert_file);
	d->cert_data = memdup0(c->cert_data, c->cert_data_len);
	d->cert_data_len = c->cert_data_len;
	d->key_file = sc_xstrdup(c->key_file);
	d->key_data = memdup0(c->key_data, c->key_data_len);
	d->key_data_len = c->key_data_len;
	d->insecure_skip_tls_verify = c->insecure_skip_tls_verify;
	d->token = sc_xstrdup(c->token);
	d->token_file = sc_xstrdup(c->token_file);
	d->username = sc_xstrdup(c->username);
	d->password = sc_xstrdup(c->password);
	d->namespace = sc_xstrdup(c->namespace);
	d->context = sc_xstrdup(c->context);
	d->source = sc_xstrdup(c->source);
	d->in_cluster = c->in_cluster;
	return d;
}

static void free_secret(char *s, size_t len)
{
	/* Keys and tokens should not linger in freed heap memory. */
	if (s != NULL)
		explicit_bzero(s, len);
	free(s);
}

void sc_kube_config_free(struct sc_kube_config *c)
{
	if (c == NULL)
		return;
	free(c->server);
	free(c->ca_file);
	free(c->ca_data);
	free(c->cert_file);
	free(c->cert_data);
	free(c->key_file);
	free_secret(c->key_data, c->key_data_len);
	free_secret(c->token, c->token ? strlen(c->token) : 0);
	free(c->token_file);
	free(c->username);
	free_secret(c->password, c->password ? strlen(c->password) : 0);
	free(c->namespace);
	free(c->context);
	free(c->source);
	free(c);
}

void sc_cleanup_kube_configp(struct sc_kube_config **c)
{
	sc_kube_config_free(*c);
}

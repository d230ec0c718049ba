#include "node/sc-mountinfo.h"

#include <errno.h>
#include <string.h>

#include "lib/sc-buf.h"
#include "lib/sc-util.h"
#include "lib/sc-validate.h"

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

char *sc_mountinfo_unescape(const char *s, size_t len)
{
	char *out = sc_xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0')
			goto bad;
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		/* The kernel writes every escaped byte as exactly three octal
		 * digits (seq_escape); anything else is not from the kernel. */
		if (len - i < 4 || !is_octal(s[i + 1]) || !is_octal(s[i + 2]) ||
		    !is_octal(s[i + 3]))
			goto bad;
		unsigned v = (unsigned)(s[i + 1] - '0') * 64 + (unsigned)(s[i + 2] - '0') * 8 +
			     (unsigned)(s[i + 3] - '0');
		if (v == 0 || v > 255)
			goto bad;
		out[o++] = (char)v;
		i += 3;
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	errno = EINVAL;
	return NULL;
}

/* Super options are printed by each filesystem; most escape with seq_escape,
 * a few print raw text. A backslash that does not start a valid escape is
 * kept as it is rather than failing the whole file for one odd filesystem. */
static char *unescape_lenient(const char *s, size_t len)
{
	char *out = sc_xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && len - i >= 4 && is_octal(s[i + 1]) && is_octal(s[i + 2]) &&
		    is_octal(s[i + 3])) {
			unsigned v = (unsigned)(s[i + 1] - '0') * 64 +
				     (unsigned)(s[i + 2] - '0') * 8 + (unsigned)(s[i + 3] - '0');
			if (v != 0 && v <= 255) {
				out[o++] = (char)v;
				i += 3;
				continue;
			}
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

static void mount_clear(struct sc_mount *m)
{
	free(m->root);
	free(m->mount_point);
	sc_strv_free(m->mount_options);
	sc_strv_free(m->optional);
	free(m->fstype);
	free(m->source);
	sc_strv_free(m->super_options);
	memset(m, 0, sizeof(*m));
}

void sc_mountinfo_free(struct sc_mountinfo *mi)
{
	if (mi == NULL)
		return;
	for (size_t i = 0; i < mi->n; i++)
		mount_clear(&mi->mounts[i]);
	free(mi->mounts);
	mi->mounts = NULL;
	mi->n = 0;
}

void sc_cleanup_mountinfop(struct sc_mountinfo *mi)
{
	sc_mountinfo_free(mi);
}

/* A field of a line: [start, start+len). */
struct field {
	const char *s;
	size_t len;
};

static int parse_int_field(struct field f, long max, long *out)
{
	char tmp[24];
	if (f.len == 0 || f.len >= sizeof(tmp))
		return -1;
	memcpy(tmp, f.s, f.len);
	tmp[f.len] = '\0';
	return sc_parse_long(tmp, 0, max, out);
}

/* Split s (len bytes) on sep into a NULL-terminated vector, each element passed
 * through unescape (strict when strict is set). At most max elements. */
static int split_list(struct field f, char sep, size_t max, bool strict, char ***out)
{
	size_t count = 1;
	for (size_t i = 0; i < f.len; i++)
		if (f.s[i] == sep)
			count++;
	if (count > max)
		return -1;
	char **v = sc_xzalloc((count + 1) * sizeof(char *));
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= f.len; i++) {
		if (i < f.len && f.s[i] != sep)
			continue;
		if (i > start) {
			char *e = strict ? sc_mountinfo_unescape(f.s + start, i - start)
					 : unescape_lenient(f.s + start, i - start);
			if (e == NULL) {
				sc_strv_free(v);
				return -1;
			}
			v[n++] = e;
		}
		start = i + 1;
	}
	*out = v;
	return 0;
}

#define LINE_ERR(...) sc_error_make(err, EINVAL, __VA_ARGS__)

static int parse_line(const char *line, size_t len, size_t lineno, struct sc_mount *m,
		      sc_error_t *err)
{
	struct field fields[6 + SC_MOUNTINFO_MAX_OPTIONAL + 1 + 3];
	size_t nf = 0;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (nf == SC_ARRAY_SIZE(fields))
			return LINE_ERR("mountinfo line %zu: too many fields", lineno);
		/* Fields are separated by exactly one space; the kernel escapes
		 * spaces inside fields. Empty fields only happen for an empty
		 * super option list, which is the last field. */
		fields[nf].s = line + start;
		fields[nf].len = i - start;
		nf++;
		start = i + 1;
	}
	size_t sep = 0;
	for (size_t i = 6; i < nf; i++) {
		if (fields[i].len == 1 && fields[i].s[0] == '-') {
			sep = i;
			break;
		}
	}
	if (sep == 0)
		return LINE_ERR("mountinfo line %zu: no \"-\" separator after the optional fields",
				lineno);
	if (nf != sep + 4)
		return LINE_ERR("mountinfo line %zu: expected 3 fields after \"-\", found %zu",
				lineno, nf - sep - 1);
	for (size_t i = 0; i < nf; i++)
		if (fields[i].len == 0 && i != sep + 3)
			return LINE_ERR("mountinfo line %zu: empty field %zu", lineno, i + 1);

	long v;
	if (parse_int_field(fields[0], 0x7fffffff, &v) < 0)
		return LINE_ERR("mountinfo line %zu: bad mount ID", lineno);
	m->id = (int)v;
	if (parse_int_field(fields[1], 0x7fffffff, &v) < 0)
		return LINE_ERR("mountinfo line %zu: bad parent ID", lineno);
	m->parent_id = (int)v;
	const char *colon = memchr(fields[2].s, ':', fields[2].len);
	if (colon == NULL)
		return LINE_ERR("mountinfo line %zu: bad major:minor", lineno);
	struct field maj = {fields[2].s, (size_t)(colon - fields[2].s)};
	struct field min = {colon + 1, fields[2].len - maj.len - 1};
	long major, minor;
	if (parse_int_field(maj, 0xfff, &major) < 0 || parse_int_field(min, 0xfffff, &minor) < 0)
		return LINE_ERR("mountinfo line %zu: bad major:minor", lineno);
	m->major = (unsigned)major;
	m->minor = (unsigned)minor;

	m->root = sc_mountinfo_unescape(fields[3].s, fields[3].len);
	m->mount_point = sc_mountinfo_unescape(fields[4].s, fields[4].len);
	if (m->root == NULL || m->mount_point == NULL)
		return LINE_ERR("mountinfo line %zu: malformed escape in root or mount point",
				lineno);
	/* The root is a path for most filesystems but not all: nsfs shows
	 * "net:[4026532177]". Mount points are always absolute. */
	if (m->mount_point[0] != '/')
		return LINE_ERR("mountinfo line %zu: mount point must be absolute", lineno);
	if (split_list(fields[5], ',', SC_MOUNTINFO_MAX_SUPER_OPT, true, &m->mount_options) < 0)
		return LINE_ERR("mountinfo line %zu: bad mount options", lineno);
	m->optional = sc_xzalloc((sep - 6 + 1) * sizeof(char *));
	for (size_t i = 6; i < sep; i++) {
		m->optional[i - 6] = sc_mountinfo_unescape(fields[i].s, fields[i].len);
		if (m->optional[i - 6] == NULL)
			return LINE_ERR("mountinfo line %zu: bad optional field", lineno);
	}
	m->fstype = sc_mountinfo_unescape(fields[sep + 1].s, fields[sep + 1].len);
	m->source = sc_mountinfo_unescape(fields[sep + 2].s, fields[sep + 2].len);
	if (m->fstype == NULL || m->source == NULL)
		return LINE_ERR("mountinfo line %zu: malformed escape in type or source", lineno);
	if (split_list(fields[sep + 3], ',', SC_MOUNTINFO_MAX_SUPER_OPT, false, &m->super_options) <
	    0)
		return LINE_ERR("mountinfo line %zu: too many super options", lineno);
	return 0;
}

int sc_mountinfo_parse(const char *data, size_t len, struct sc_mountinfo *out, sc_error_t *err)
{
	out->mounts = NULL;
	out->n = 0;
	if (len > SC_MOUNTINFO_MAX_BYTES)
		return sc_error_make(err, EMSGSIZE, "mountinfo larger than %u bytes",
				     SC_MOUNTINFO_MAX_BYTES);
	size_t alloc = 0, lineno = 0, pos = 0;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (data + pos)) : len - pos;
		lineno++;
		if (l > SC_MOUNTINFO_MAX_LINE) {
			sc_mountinfo_free(out);
			return sc_error_make(err, EMSGSIZE,
					     "mountinfo line %zu: longer than %u bytes", lineno,
					     SC_MOUNTINFO_MAX_LINE);
		}
		if (l > 0 && memchr(data + pos, '\0', l) != NULL) {
			sc_mountinfo_free(out);
			return sc_error_make(err, EINVAL, "mountinfo line %zu: contains NUL",
					     lineno);
		}
		if (l > 0) {
			if (out->n == SC_MOUNTINFO_MAX_MOUNTS) {
				sc_mountinfo_free(out);
				return sc_error_make(err, EMSGSIZE,
						     "mountinfo has more than %u mounts",
						     SC_MOUNTINFO_MAX_MOUNTS);
			}
			if (out->n == alloc) {
				alloc = alloc ? alloc * 2 : 32;
				out->mounts =
				    sc_xrealloc(out->mounts, alloc * sizeof(*out->mounts));
			}
			struct sc_mount *m = &out->mounts[out->n];
			memset(m, 0, sizeof(*m));
			out->n++;
			if (parse_line(data + pos, l, lineno, m, err) < 0) {
				sc_mountinfo_free(out);
				return -1;
			}
		}
		pos += l + (nl ? 1 : 0);
	}
	return 0;
}

int sc_mountinfo_read(const char *path, struct sc_mountinfo *out, sc_error_t *err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (sc_read_file(path, SC_MOUNTINFO_MAX_BYTES, &data, &len, err) < 0)
		return -1;
	if (sc_mountinfo_parse(data, len, out, err) < 0)
		return sc_error_wrap(err, "parsing %s", path);
	return 0;
}

const struct sc_mount *sc_mountinfo_by_id(const struct sc_mountinfo *mi, int id)
{
	for (size_t i = 0; i < mi->n; i++)
		if (mi->mounts[i].id == id)
			return &mi->mounts[i];
	return NULL;
}

const struct sc_mount *sc_mountinfo_find(const struct sc_mountinfo *mi, const char *mount_point)
{
	const struct sc_mount *top = NULL;
	for (size_t i = 0; i < mi->n; i++) {
		const struct sc_mount *m = &mi->mounts[i];
		if (strcmp(m->mount_point, mount_point) != 0)
			continue;
		bool covered = false;
		for (size_t j = 0; j < mi->n && !covered; j++) {
			const struct sc_mount *o = &mi->mounts[j];
			covered = j != i && o->parent_id == m->id && o->id != m->id &&
				  strcmp(o->mount_point, mount_point) == 0;
		}
		if (!covered)
			top = m;
	}
	return top;
}

const struct sc_mount *sc_mountinfo_stacked_on(const struct sc_mountinfo *mi,
					       const struct sc_mount *below)
{
	for (size_t i = 0; i < mi->n; i++) {
		const struct sc_mount *m = &mi->mounts[i];
		if (m != below && m->parent_id == below->id && m->id != below->id &&
		    strcmp(m->mount_point, "/") == 0)
			return m;
	}
	return NULL;
}

static bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

bool sc_mount_has_option(const struct sc_mount *m, const char *option)
{
	return strv_contains(m->mount_options, option);
}

bool sc_mount_has_super_option(const struct sc_mount *m, const char *option)
{
	return strv_contains(m->super_options, option);
}

const char *sc_mount_super_option(const struct sc_mount *m, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; m->super_options != NULL && m->super_options[i] != NULL; i++) {
		const char *o = m->super_options[i];
		if (strncmp(o, key, kl) == 0 && o[kl] == '=')
			return o + kl + 1;
	}
	return NULL;
}

int sc_mount_shared_group(const struct sc_mount *m)
{
	for (size_t i = 0; m->optional != NULL && m->optional[i] != NULL; i++) {
		long v;
		if (sc_str_has_prefix(m->optional[i], "shared:") &&
		    sc_parse_long(m->optional[i] + 7, 1, 0x7fffffff, &v) == 0)
			return (int)v;
	}
	return 0;
}

void sc_overlay_layers_free(struct sc_overlay_layers *l)
{
	if (l == NULL)
		return;
	sc_strv_free(l->lowerdirs);
	free(l->upperdir);
	free(l->workdir);
	l->lowerdirs = NULL;
	l->upperdir = NULL;
	l->workdir = NULL;
}

void sc_cleanup_overlay_layersp(struct sc_overlay_layers *l)
{
	sc_overlay_layers_free(l);
}

int sc_overlay_split_lowerdir(const char *value, char ***out, sc_error_t *err)
{
	size_t len = strlen(value);
	char **v = sc_xzalloc(sizeof(char *));
	size_t n = 0;
	cleanup_free char *cur = sc_xmalloc(len + 1);
	size_t c = 0;
	for (size_t i = 0;; i++) {
		if (i == len || value[i] == ':') {
			if (c == 0) {
				sc_strv_free(v);
				return sc_error_make(err, EINVAL,
						     "empty layer in lowerdir \"%s\" (data-only "
						     "layers are not supported)",
						     value);
			}
			if (n == SC_OVERLAY_MAX_LAYERS) {
				sc_strv_free(v);
				return sc_error_make(err, E2BIG, "lowerdir has more than %u layers",
						     SC_OVERLAY_MAX_LAYERS);
			}
			v = sc_xrealloc(v, (n + 2) * sizeof(char *));
			v[n++] = sc_xstrndup(cur, c);
			v[n] = NULL;
			c = 0;
			if (i == len)
				break;
			continue;
		}
		/* overlayfs: a backslash escapes the next character. */
		if (value[i] == '\\') {
			if (i + 1 == len) {
				sc_strv_free(v);
				return sc_error_make(
				    err, EINVAL, "lowerdir \"%s\" ends in a lone backslash", value);
			}
			i++;
		}
		cur[c++] = value[i];
	}
	*out = v;
	return 0;
}

/* Remove the backslash escapes overlayfs accepts in upperdir/workdir. */
static char *overlay_unescape(const char *s)
{
	size_t len = strlen(s);
	char *out = sc_xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/* "<root>/<digits>/fs" -> "<root>", or NULL when upper has another shape. */
static char *snapshot_root_of(const char *upper)
{
	if (!sc_str_has_suffix(upper, "/fs"))
		return NULL;
	size_t end = strlen(upper) - 3; /* at the '/' before "fs" */
	size_t i = end;
	while (i > 0 && upper[i - 1] >= '0' && upper[i - 1] <= '9')
		i--;
	if (i == end || i == 0 || upper[i - 1] != '/' || end - i > 19)
		return NULL;
	if (i - 1 == 0)
		return NULL; /* "/<id>/fs": no root to speak of */
	return sc_xstrndup(upper, i - 1);
}

/* A relative path with only normal components. */
static bool is_clean_relative(const char *p)
{
	if (*p == '\0' || *p == '/')
		return false;
	const char *s = p;
	for (;;) {
		const char *slash = strchr(s, '/');
		size_t l = slash ? (size_t)(slash - s) : strlen(s);
		if (l == 0 || (l == 1 && s[0] == '.') || (l == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (slash == NULL)
			return true;
		s = slash + 1;
	}
}

/* The layer options of overlay mount m into l: one lowerdir= (split on
 * unescaped ':') or one lowerdir+= per layer, upperdir= and workdir=; sets
 * *np to the number of lowerdirs. */
static int overlay_options(const struct sc_mount *m, struct sc_overlay_layers *l, size_t *np,
			   sc_error_t *err)
{
	size_t n = 0;
	bool legacy = false, added = false;
	for (size_t i = 0; m->super_options[i] != NULL; i++) {
		const char *o = m->super_options[i];
		if (sc_str_has_prefix(o, "lowerdir=")) {
			if (legacy || added)
				return sc_error_make(err, EINVAL,
						     "overlay at %s: lowerdir given more than once",
						     m->mount_point);
			legacy = true;
			cleanup_strv char **parts = NULL;
			if (sc_overlay_split_lowerdir(o + 9, &parts, err) < 0)
				return sc_error_wrap(err, "overlay at %s", m->mount_point);
			sc_strv_free(l->lowerdirs);
			l->lowerdirs = steal_pointer(&parts);
			n = sc_strv_len(l->lowerdirs);
		} else if (sc_str_has_prefix(o, "lowerdir+=")) {
			if (legacy)
				return sc_error_make(
				    err, EINVAL,
				    "overlay at %s: both lowerdir= and lowerdir+=", m->mount_point);
			added = true;
			if (o[10] == '\0')
				return sc_error_make(err, EINVAL, "overlay at %s: empty lowerdir+",
						     m->mount_point);
			if (n == SC_OVERLAY_MAX_LAYERS)
				return sc_error_make(err, E2BIG,
						     "overlay at %s: more than %u layers",
						     m->mount_point, SC_OVERLAY_MAX_LAYERS);
			l->lowerdirs = sc_xrealloc(l->lowerdirs, (n + 2) * sizeof(char *));
			l->lowerdirs[n++] = sc_xstrdup(o + 10);
			l->lowerdirs[n] = NULL;
		} else if (sc_str_has_prefix(o, "datadir+=")) {
			return sc_error_make(err, ENOTSUP,
					     "overlay at %s: data-only layers are not supported",
					     m->mount_point);
		} else if (sc_str_has_prefix(o, "upperdir=")) {
			if (l->upperdir != NULL)
				return sc_error_make(err, EINVAL,
						     "overlay at %s: upperdir given twice",
						     m->mount_point);
			l->upperdir = overlay_unescape(o + 9);
		} else if (sc_str_has_prefix(o, "workdir=")) {
			if (l->workdir != NULL)
				return sc_error_make(err, EINVAL,
						     "overlay at %s: workdir given twice",
						     m->mount_point);
			l->workdir = overlay_unescape(o + 8);
		}
	}
	*np = n;
	return 0;
}

/* Every relative lowerdir of l made absolute: against the mount's source
 * (our own overlays) or the snapshots directory above upperdir
 * (containerd's); every lowerdir validated. */
static int resolve_lowerdirs(const struct sc_mount *m, struct sc_overlay_layers *l, size_t n,
			     sc_error_t *err)
{
	cleanup_free char *snapshots = NULL;
	for (size_t i = 0; i < n; i++) {
		char *d = l->lowerdirs[i];
		if (d[0] == '/') {
			if (sc_validate_abs_path("overlay lowerdir", d, err) < 0)
				return sc_error_wrap(err, "overlay at %s", m->mount_point);
			continue;
		}
		if (!is_clean_relative(d))
			return sc_error_make(
			    err, EINVAL,
			    "overlay at %s: relative lowerdir \"%s\" is not a plain "
			    "path below the snapshots directory",
			    m->mount_point, d);
		if (snapshots == NULL && m->source != NULL && m->source[0] == '/') {
			/* our own overlays mounted with the classic option
			 * name the directory of their relative layers as the
			 * source (sc-overlay.c) */
			if (sc_validate_abs_path("overlay source", m->source, err) < 0)
				return sc_error_wrap(err, "overlay at %s", m->mount_point);
			snapshots =
			    strcmp(m->source, "/") == 0 ? sc_xstrdup("") : sc_xstrdup(m->source);
		}
		if (snapshots == NULL) {
			if (l->upperdir == NULL)
				return sc_error_make(err, EINVAL,
						     "overlay at %s: relative lowerdir \"%s\" "
						     "but no upperdir to resolve it against",
						     m->mount_point, d);
			snapshots = snapshot_root_of(l->upperdir);
			if (snapshots == NULL)
				return sc_error_make(err, EINVAL,
						     "overlay at %s: relative lowerdir \"%s\" but "
						     "upperdir \"%s\" is not <snapshots>/<id>/fs",
						     m->mount_point, d, l->upperdir);
		}
		char *abs = sc_xasprintf("%s/%s", snapshots, d);
		if (sc_validate_abs_path("overlay lowerdir", abs, err) < 0) {
			free(abs);
			return sc_error_wrap(err, "overlay at %s", m->mount_point);
		}
		free(d);
		l->lowerdirs[i] = abs;
	}
	return 0;
}

int sc_mount_overlay_layers(const struct sc_mount *m, struct sc_overlay_layers *out,
			    sc_error_t *err)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(m->fstype, "overlay") != 0)
		return sc_error_make(err, EINVAL, "mount %d at %s is %s, not overlay", m->id,
				     m->mount_point, m->fstype);
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	l.lowerdirs = sc_xzalloc(sizeof(char *));
	size_t n = 0;
	if (overlay_options(m, &l, &n, err) < 0)
		return -1;
	if (n == 0)
		return sc_error_make(err, EINVAL, "overlay at %s has no lowerdir", m->mount_point);
	if ((l.upperdir == NULL) != (l.workdir == NULL))
		return sc_error_make(err, EINVAL,
				     "overlay at %s: upperdir and workdir must come together",
				     m->mount_point);
	if (l.upperdir != NULL) {
		if (sc_validate_abs_path("overlay upperdir", l.upperdir, err) < 0 ||
		    sc_validate_abs_path("overlay workdir", l.workdir, err) < 0)
			return sc_error_wrap(err, "overlay at %s", m->mount_point);
	}
	if (resolve_lowerdirs(m, &l, n, err) < 0)
		return -1;
	*out = l;
	memset(&l, 0, sizeof(l));
	return 0;
}

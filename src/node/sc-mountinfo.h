/* Parser of /proc/PID/mountinfo (proc(5)) and of the overlay options in it.
 *
 * Everything here is pure: bytes in, structures out, no system calls, so it is
 * unit-tested on saved files and fuzzed. The input is written by the kernel,
 * but paths in it (mount points, overlay layer paths) can contain any byte a
 * workload or an image chose, so the parser is strict: octal escapes must be
 * well formed, every number is checked, and line length, line count and field
 * counts are capped. */
#ifndef SC_MOUNTINFO_H
#define SC_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/sc-error.h"

/* Caps on what a mountinfo file may contain. A node with a few hundred pods
 * has a few thousand mounts; an overlay line with 128 layers of 200-byte paths
 * is about 26 KiB. */
#define SC_MOUNTINFO_MAX_BYTES     (16u * 1024 * 1024)
#define SC_MOUNTINFO_MAX_LINE      (256u * 1024)
#define SC_MOUNTINFO_MAX_MOUNTS    100000u
#define SC_MOUNTINFO_MAX_OPTIONAL  64u
#define SC_MOUNTINFO_MAX_SUPER_OPT 4096u
/* Overlay layers (the kernel's own limit is 500). */
#define SC_OVERLAY_MAX_LAYERS 500u

struct sc_mount {
	int id;
	int parent_id;
	unsigned int major;
	unsigned int minor;
	char *root;           /* root of the mount within its filesystem, unescaped
			       * (not always a path: "net:[4026532177]" for nsfs) */
	char *mount_point;    /* relative to the reading process's root, unescaped */
	char **mount_options; /* per-mount options ("rw", "nosuid", ...) */
	char **optional;      /* optional fields ("shared:1", "master:2", ...) */
	char *fstype;         /* "overlay", "proc", "fuse.sshfs", ... */
	char *source;         /* unescaped; "none" when the kernel has none */
	char **super_options; /* per-superblock options, each unescaped */
};

struct sc_mountinfo {
	struct sc_mount *mounts; /* in file order */
	size_t n;
};

/* Parse a whole mountinfo file. data need not be NUL-terminated. On failure the
 * message names the line number and what is wrong. */
int sc_mountinfo_parse(const char *data, size_t len, struct sc_mountinfo *out, sc_error_t *err);
/* Read and parse a file such as "/proc/self/mountinfo" or "/proc/42/mountinfo". */
int sc_mountinfo_read(const char *path, struct sc_mountinfo *out, sc_error_t *err);
void sc_mountinfo_free(struct sc_mountinfo *mi);
void sc_cleanup_mountinfop(struct sc_mountinfo *mi);
#define cleanup_mountinfo __attribute__((cleanup(sc_cleanup_mountinfop)))

/* Decode the kernel's octal escapes ("\040" for a space) of a field. Returns a
 * new string, or NULL (EINVAL) for a malformed escape or an escaped NUL. */
char *sc_mountinfo_unescape(const char *s, size_t len);

const struct sc_mount *sc_mountinfo_by_id(const struct sc_mountinfo *mi, int id);
/* The topmost mount at mount_point: of the mounts there, the one no other mount
 * at the same point is stacked on (the last such one in file order). NULL when
 * nothing is mounted there. */
const struct sc_mount *sc_mountinfo_find(const struct sc_mountinfo *mi, const char *mount_point);
/* The mount stacked directly on mount `below` at mount point "/" (what the
 * injection adds on a container's root), or NULL. */
const struct sc_mount *sc_mountinfo_stacked_on(const struct sc_mountinfo *mi,
					       const struct sc_mount *below);

bool sc_mount_has_option(const struct sc_mount *m, const char *option);
bool sc_mount_has_super_option(const struct sc_mount *m, const char *option);
/* Value of the first super option "key=value", or NULL. */
const char *sc_mount_super_option(const struct sc_mount *m, const char *key);
/* The peer group of a shared mount ("shared:N" optional field), else 0. */
int sc_mount_shared_group(const struct sc_mount *m);

/* The layers of an overlay mount, with every lowerdir made absolute. */
struct sc_overlay_layers {
	char **lowerdirs; /* top layer first, NULL-terminated */
	char *upperdir;   /* NULL for a read-only overlay */
	char *workdir;    /* NULL for a read-only overlay */
};
void sc_overlay_layers_free(struct sc_overlay_layers *l);
void sc_cleanup_overlay_layersp(struct sc_overlay_layers *l);
#define cleanup_overlay_layers __attribute__((cleanup(sc_cleanup_overlay_layersp)))

/* Split a legacy "lowerdir=" value on unescaped ':' and drop the escaping
 * backslashes, as overlayfs itself does. Empty entries ("a::b", the data-only
 * layer separator) are refused. */
int sc_overlay_split_lowerdir(const char *value, char ***out, sc_error_t *err);

/* Extract the layers of overlay mount m. Both forms are understood: the legacy
 * "lowerdir=a:b:c" and one "lowerdir+=" option per layer (the new mount API).
 *
 * Relative lowerdirs: containerd (1.6 and later) shortens a lowerdir option
 * that would not fit in a page by changing into the snapshotter's
 * "snapshots" directory and passing the layers as "<id>/fs" relative to it; the
 * upperdir stays absolute ("<snapshots>/<id>/fs"). So a relative lowerdir is
 * resolved against the parent of the upperdir's snapshot directory, i.e.
 * dirname(dirname(upperdir)), and only when the upperdir really has that
 * "<root>/<digits>/fs" shape. Our own overlays mounted with the classic option
 * (kernels without lowerdir+) carry the directory their relative layers are
 * relative to as the mount source, an absolute path: when the source is one,
 * relative layers are resolved against it instead. A relative lowerdir must
 * be normalised (no "..",
 * no ".", no empty component), so the result always stays under that root.
 * Absolute layer paths must be normalised too. */
int sc_mount_overlay_layers(const struct sc_mount *m, struct sc_overlay_layers *out,
			    sc_error_t *err);

#endif

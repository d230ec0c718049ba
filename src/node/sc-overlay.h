/* The instance's overlay on the host: the provider's image layers as lower
 * layers, the instance's durable upper and work directories on top.
 *
 * Every mount uses the same explicit options, chosen so that one upper stays
 * valid when it is mounted again over NEW lower directories with the same
 * content (the provider pod was recreated, the image unpacked again):
 *   index=off        no upper-to-lower inode index: with index=on, overlayfs
 *                    records the lower's identity in the upper and refuses
 *                    (ESTALE) to mount it over other lower directories;
 *   metacopy=off     copy-up copies data, never leaves a metadata-only file
 *                    whose data lives in one particular lower inode;
 *   redirect_dir=off a renamed lower directory is copied up, never recorded
 *                    as a redirect to a lower path;
 *   xino=auto        inode numbers only; nothing persistent (the default,
 *                    stated explicitly).
 * The host-side mount is nosuid,nodev,noexec and private: nothing on the host
 * runs from a user's rootfs. The copy attached to the consumer changes that
 * (see sc-inject.h). */
#ifndef SC_OVERLAY_H
#define SC_OVERLAY_H

#include "lib/sc-error.h"

/* The options every overlay of ours is mounted with, as fsconfig key/value. */
extern const char *const sc_overlay_options[][2];

struct sc_overlay_spec {
	char *const *lowerdirs; /* absolute, top layer first, NULL-terminated */
	const char *upperdir;
	const char *workdir;
	const char *target; /* mount point */
};

/* Mount a new overlay at spec->target with the new mount API: fsopen,
 * "lowerdir+" for each layer (passed as an fd opened without following
 * symlinks), fsconfig of upperdir, workdir and the options above, fsmount,
 * move_mount. Then verify the result in /proc/self/mountinfo: an overlay at
 * the target with exactly these layers and nosuid,nodev. Kernel messages from
 * the filesystem context are part of the error. */
int sc_overlay_mount(const struct sc_overlay_spec *spec, sc_error_t *err);

enum sc_overlay_state {
	SC_OVERLAY_ABSENT = 0, /* nothing mounted at the target */
	SC_OVERLAY_CURRENT,    /* our overlay with exactly these layers: adopt it */
	SC_OVERLAY_STALE,      /* our upper, but other lower layers: remount */
};
/* What is mounted at spec->target. Anything else there than an overlay with
 * our upperdir and workdir is an error: we never unmount what is not ours. */
int sc_overlay_inspect(const struct sc_overlay_spec *spec, enum sc_overlay_state *state,
		       sc_error_t *err);
/* Make the target carry exactly spec: adopt a current mount (after a restart
 * of the mount-helper), remount a stale one over the new lower layers (after
 * the provider was recreated or the node rebooted), or mount when absent.
 * *before (optional) tells which it was. */
int sc_overlay_ensure(const struct sc_overlay_spec *spec, enum sc_overlay_state *before,
		      sc_error_t *err);
/* Unmount every mount at the target (lazily, not following symlinks). */
int sc_overlay_unmount(const char *target, sc_error_t *err);

#endif

#include "node/sc-overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lib/sc-buf.h"
#include "lib/sc-util.h"
#include "lib/sc-validate.h"
#include "node/sc-kernel.h"
#include "node/sc-mountinfo.h"
#include "node/sc-proc.h"
#include "node/sc-syscall.h"

const char *const sc_overlay_options[][2] = {
    {"index", "off"}, {"metacopy", "off"}, {"redirect_dir", "off"}, {"xino", "auto"}, {NULL, NULL},
};

/* Append the messages the kernel logged in the filesystem context (lines
 * "e overlay: ..." read from the fsopen fd) to the error. */
static int fs_error(int fsfd, sc_error_t *err, const char *fmt, ...) SC_PRINTF(3, 4);
static int fs_error(int fsfd, sc_error_t *err, const char *fmt, ...)
{
	int saved = errno;
	char logbuf[1024];
	size_t used = 0;
	for (;;) {
		ssize_t n = read(fsfd, logbuf + used, sizeof(logbuf) - used - 1);
		if (n <= 0)
			break;
		used += (size_t)n;
		if (used < sizeof(logbuf) - 1)
			logbuf[used++] = ';';
		if (used >= sizeof(logbuf) - 2)
			break;
	}
	logbuf[used] = '\0';
	if (used > 0 && logbuf[used - 1] == ';')
		logbuf[used - 1] = '\0';
	errno = saved;
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *what = sc_xvasprintf(fmt, ap);
	va_end(ap);
	if (used > 0)
		return sc_error_make(err, saved, "%s: %s (kernel: %s)", what, strerror(saved),
				     logbuf);
	return sc_error_make(err, saved, "%s: %s", what, strerror(saved));
}

static int validate_spec(const struct sc_overlay_spec *spec, sc_error_t *err)
{
	size_t n = sc_strv_len(spec->lowerdirs);
	if (n == 0)
		return sc_error_make(err, EINVAL, "overlay needs at least one lower layer");
	if (n > SC_OVERLAY_MAX_LAYERS)
		return sc_error_make(err, E2BIG, "overlay with %zu layers (at most %u)", n,
				     SC_OVERLAY_MAX_LAYERS);
	for (size_t i = 0; i < n; i++)
		if (sc_validate_abs_path("overlay lower layer", spec->lowerdirs[i], err) < 0)
			return -1;
	if (sc_validate_abs_path("overlay upperdir", spec->upperdir, err) < 0 ||
	    sc_validate_abs_path("overlay workdir", spec->workdir, err) < 0 ||
	    sc_validate_abs_path("overlay mount point", spec->target, err) < 0)
		return -1;
	return 0;
}

static bool layers_equal(const struct sc_overlay_layers *l, const struct sc_overlay_spec *spec)
{
	size_t n = sc_strv_len(spec->lowerdirs);
	if (sc_strv_len(l->lowerdirs) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(l->lowerdirs[i], spec->lowerdirs[i]) != 0)
			return false;
	return true;
}

static bool ours(const struct sc_overlay_layers *l, const struct sc_overlay_spec *spec)
{
	return l->upperdir != NULL && l->workdir != NULL &&
	       strcmp(l->upperdir, spec->upperdir) == 0 && strcmp(l->workdir, spec->workdir) == 0;
}

static int verify_mounted(const struct sc_overlay_spec *spec, sc_error_t *err)
{
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	if (sc_mountinfo_read("/proc/self/mountinfo", &mi, err) < 0)
		return -1;
	const struct sc_mount *m = sc_mountinfo_find(&mi, spec->target);
	if (m == NULL)
		return sc_error_make(err, EIO, "no mount at %s after mounting", spec->target);
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	if (sc_mount_overlay_layers(m, &l, err) < 0)
		return -1;
	if (!ours(&l, spec) || !layers_equal(&l, spec))
		return sc_error_make(err, EIO,
				     "the overlay at %s does not show the layers it was mounted "
				     "with (a symlink in a layer path?)",
				     spec->target);
	if (!sc_mount_has_option(m, "nosuid") || !sc_mount_has_option(m, "nodev"))
		return sc_error_make(err, EIO, "the overlay at %s lacks nosuid,nodev",
				     spec->target);
	if (sc_mount_shared_group(m) != 0)
		return sc_error_make(err, EIO, "the overlay at %s is shared, not private",
				     spec->target);
	static const char *const must_be_off[] = {"index", "metacopy", "redirect_dir"};
	for (size_t i = 0; i < SC_ARRAY_SIZE(must_be_off); i++) {
		const char *v = sc_mount_super_option(m, must_be_off[i]);
		if (v != NULL && strcmp(v, "off") != 0)
			return sc_error_make(err, EIO, "the overlay at %s has %s=%s", spec->target,
					     must_be_off[i], v);
	}
	return 0;
}

/* Linux >= 6.13: a detached overlay built with one "lowerdir+" per layer,
 * each an fd opened without following symlinks (no option-length limit). */
static int mount_fd_layers(const struct sc_overlay_spec *spec, int tfd, sc_error_t *err)
{
	cleanup_close int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return sc_error_make_errno(err, "fsopen overlay");
	for (size_t i = 0; spec->lowerdirs[i] != NULL; i++) {
		/* An fd opened without following symlinks: the layer is exactly
		 * the directory at that path, and the kernel shows its path
		 * back in mountinfo, which verify_mounted compares. */
		cleanup_close int lfd =
		    sc_open_resolved(AT_FDCWD, spec->lowerdirs[i], O_PATH | O_DIRECTORY,
				     RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, err);
		if (lfd < 0)
			return sc_error_wrap(err, "overlay lower layer %zu", i + 1);
		if (fsconfig(fsfd, FSCONFIG_SET_FD, "lowerdir+", NULL, lfd) < 0)
			return fs_error(fsfd, err, "adding lower layer %s", spec->lowerdirs[i]);
	}
	/* upperdir+/workdir+ by fd are not in every kernel; the statedir code
	 * created these below root-owned 0700 directories without symlinks. */
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", spec->upperdir, 0) < 0)
		return fs_error(fsfd, err, "setting upperdir %s", spec->upperdir);
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", spec->workdir, 0) < 0)
		return fs_error(fsfd, err, "setting workdir %s", spec->workdir);
	for (size_t i = 0; sc_overlay_options[i][0] != NULL; i++)
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, sc_overlay_options[i][0],
			     sc_overlay_options[i][1], 0) < 0)
			return fs_error(fsfd, err, "setting overlay option %s",
					sc_overlay_options[i][0]);
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_error(fsfd, err, "creating overlay for %s", spec->target);
	cleanup_close int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC,
					MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mfd < 0)
		return fs_error(fsfd, err, "fsmount overlay for %s", spec->target);
	if (move_mount(mfd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return sc_error_make_errno(err, "attaching the overlay at %s", spec->target);
	return 0;
}

/* Length of the longest common directory of a[0..la) and b[0..lb), ending at
 * a component boundary. */
static size_t common_dir_len(const char *a, size_t la, const char *b, size_t lb)
{
	size_t k = 0, last = 0;
	while (k < la && k < lb && a[k] == b[k]) {
		if (a[k] == '/')
			last = k;
		k++;
	}
	if ((k == la && (k == lb || b[k] == '/')) || (k == lb && a[k] == '/'))
		return k;
	return last;
}

/* The directory the classic path mounts from: the common directory of the
 * layers' parents, so that each layer is a short path relative to it
 * (containerd's "<snapshots>/<id>/fs" -> "<id>/fs"). */
static char *classic_base(char *const *layers)
{
	size_t len = (size_t)(strrchr(layers[0], '/') - layers[0]);
	for (size_t i = 1; layers[i] != NULL; i++) {
		size_t l = (size_t)(strrchr(layers[i], '/') - layers[i]);
		len = common_dir_len(layers[0], len, layers[i], l);
	}
	return len == 0 ? sc_xstrdup("/") : sc_xstrndup(layers[0], len);
}

/* Characters the classic option string would read as separators. */
static int classic_path_ok(const char *what, const char *p, sc_error_t *err)
{
	if (strpbrk(p, ",:\\\n\t ") != NULL)
		return sc_error_make(err, EINVAL,
				     "%s \"%s\" contains a character the classic overlay option "
				     "string cannot carry (one of , : \\ or a space)",
				     what, p);
	return 0;
}

struct classic_ctx {
	const char *base;
	char *const *lowerdirs;
	const char *data;
	int tfd;
};

/* In a forked child (the working directory is per process): check every
 * layer below the base without symlinks, then mount from the base. */
static int child_mount_classic(void *arg, sc_error_t *err)
{
	const struct classic_ctx *c = arg;
	cleanup_close int bfd = sc_open_resolved(AT_FDCWD, c->base, O_PATH | O_DIRECTORY,
						 RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, err);
	if (bfd < 0)
		return sc_error_wrap(err, "overlay layers' directory");
	size_t skip = strcmp(c->base, "/") == 0 ? 1 : strlen(c->base) + 1;
	for (size_t i = 0; c->lowerdirs[i] != NULL; i++) {
		cleanup_close int lfd = sc_open_resolved(
		    bfd, c->lowerdirs[i] + skip, O_PATH | O_DIRECTORY,
		    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, err);
		if (lfd < 0)
			return sc_error_wrap(err, "overlay lower layer %zu", i + 1);
	}
	if (fchdir(bfd) < 0)
		return sc_error_make_errno(err, "chdir %s", c->base);
	cleanup_free char *target = sc_xasprintf("/proc/self/fd/%d", c->tfd);
	/* The source names the directory the relative layers are relative
	 * to: mountinfo shows it, and sc_mount_overlay_layers resolves them
	 * against it. */
	if (mount(c->base, target, "overlay", MS_NOSUID | MS_NODEV | MS_NOEXEC, c->data) < 0)
		return sc_error_make_errno(err, "mounting the overlay (classic lowerdir=)");
	return 0;
}

/* Linux < 6.13: mount(2) with "lowerdir=" of paths relative to their common
 * directory, as containerd does: the whole option string must fit in a page,
 * which 120 layers of containerd's snapshots do with room to spare. */
static int mount_classic(const struct sc_overlay_spec *spec, int tfd, sc_error_t *err)
{
	cleanup_free char *base = classic_base(spec->lowerdirs);
	size_t skip = strcmp(base, "/") == 0 ? 1 : strlen(base) + 1;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	cleanup_buf struct sc_buf data = SC_BUF_INIT(page - 1);
	int r = sc_buf_append_str(&data, "lowerdir=", err);
	for (size_t i = 0; r == 0 && spec->lowerdirs[i] != NULL; i++) {
		r = classic_path_ok("overlay lower layer", spec->lowerdirs[i], err);
		if (r == 0 && i > 0)
			r = sc_buf_append_str(&data, ":", err);
		if (r == 0)
			r = sc_buf_append_str(&data, spec->lowerdirs[i] + skip, err);
	}
	if (r == 0)
		r = classic_path_ok("overlay upperdir", spec->upperdir, err);
	if (r == 0)
		r = classic_path_ok("overlay workdir", spec->workdir, err);
	if (r == 0)
		r = sc_buf_printf(&data, err, ",upperdir=%s,workdir=%s", spec->upperdir,
				  spec->workdir);
	for (size_t i = 0; r == 0 && sc_overlay_options[i][0] != NULL; i++)
		r = sc_buf_printf(&data, err, ",%s=%s", sc_overlay_options[i][0],
				  sc_overlay_options[i][1]);
	if (r < 0 && (*err)->code == EMSGSIZE) {
		sc_error_release(err);
		return sc_error_make(err, E2BIG,
				     "%zu layers need more than %zu bytes of overlay options "
				     "(relative to %s); this kernel takes no more without "
				     "lowerdir+ by fd (Linux 6.13)",
				     sc_strv_len(spec->lowerdirs), page - 1, base);
	}
	if (r < 0)
		return -1;
	struct classic_ctx c = {
	    .base = base, .lowerdirs = spec->lowerdirs, .data = data.data, .tfd = tfd};
	return sc_run_in_child(child_mount_classic, &c, 30000, err);
}

int sc_overlay_mount(const struct sc_overlay_spec *spec, sc_error_t *err)
{
	if (validate_spec(spec, err) < 0)
		return -1;
	cleanup_close int tfd = sc_open_resolved(AT_FDCWD, spec->target, O_PATH | O_DIRECTORY,
						 RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, err);
	if (tfd < 0)
		return sc_error_wrap(err, "overlay mount point");
	int r = sc_kernel_overlay_fd_layers() ? mount_fd_layers(spec, tfd, err)
					      : mount_classic(spec, tfd, err);
	if (r < 0)
		return -1;
	/* Private once attached: a mount attached below a shared parent joins
	 * the parent's propagation, whatever it was before. */
	if (mount(NULL, spec->target, NULL, MS_PRIVATE, NULL) < 0) {
		sc_error_make_errno(err, "making the overlay at %s private", spec->target);
		umount2(spec->target, MNT_DETACH | UMOUNT_NOFOLLOW);
		return -1;
	}
	if (verify_mounted(spec, err) < 0) {
		umount2(spec->target, MNT_DETACH | UMOUNT_NOFOLLOW);
		return sc_error_wrap(err, "verifying the overlay at %s", spec->target);
	}
	return 0;
}

int sc_overlay_inspect(const struct sc_overlay_spec *spec, enum sc_overlay_state *state,
		       sc_error_t *err)
{
	if (validate_spec(spec, err) < 0)
		return -1;
	cleanup_mountinfo struct sc_mountinfo mi = {0};
	if (sc_mountinfo_read("/proc/self/mountinfo", &mi, err) < 0)
		return -1;
	const struct sc_mount *m = sc_mountinfo_find(&mi, spec->target);
	if (m == NULL) {
		*state = SC_OVERLAY_ABSENT;
		return 0;
	}
	cleanup_overlay_layers struct sc_overlay_layers l = {0};
	if (strcmp(m->fstype, "overlay") != 0 || sc_mount_overlay_layers(m, &l, err) < 0 ||
	    !ours(&l, spec)) {
		sc_error_release(err);
		return sc_error_make(err, EEXIST,
				     "%s carries a %s mount that is not this instance's overlay; "
				     "refusing to touch it",
				     spec->target, m->fstype);
	}
	*state = layers_equal(&l, spec) ? SC_OVERLAY_CURRENT : SC_OVERLAY_STALE;
	return 0;
}

int sc_overlay_unmount(const char *target, sc_error_t *err)
{
	for (int i = 0; i < 64; i++) {
		if (umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) < 0) {
			if (errno == EINVAL || errno == ENOENT)
				return 0; /* not a mount point (any more) */
			return sc_error_make_errno(err, "unmounting %s", target);
		}
	}
	return sc_error_make(err, EBUSY, "%s: too many stacked mounts", target);
}

int sc_overlay_ensure(const struct sc_overlay_spec *spec, enum sc_overlay_state *before,
		      sc_error_t *err)
{
	enum sc_overlay_state st;
	if (sc_overlay_inspect(spec, &st, err) < 0)
		return -1;
	if (before != NULL)
		*before = st;
	switch (st) {
	case SC_OVERLAY_CURRENT:
		return 0;
	case SC_OVERLAY_STALE:
		/* Consumers keep their own clone of the old overlay until they
		 * stop; the host's copy is replaced. The upper must never be
		 * used by two live overlays at once for writing, which is
		 * why the controller starts a consumer only after this. */
		if (sc_overlay_unmount(spec->target, err) < 0)
			return -1;
		break;
	case SC_OVERLAY_ABSENT:
		break;
	}
	return sc_overlay_mount(spec, err);
}

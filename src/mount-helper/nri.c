#include "mount-helper/nri.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/sc-api.h"
#include "lib/sc-log.h"
#include "lib/sc-shutdown.h"
#include "lib/sc-util.h"
#include "nri/sc-nri.h"

#define HOOK_NAME      "sc-rootfs-hook"
#define HOOK_TIMEOUT_S 60
#define MAX_HOOK_BYTES (64u << 20)
#define RETRY_MAX_MS   30000

static struct sc_mh_nri_options opts;
static char *hook_path;
static atomic_bool registered;

bool sc_mh_nri_registered(void)
{
	return atomic_load(&registered);
}

/* Copy the hook to the host: a new file renamed over the old one, so a
 * runtime running the hook never sees half a binary. */
static int install_hook(sc_error_t *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	if (sc_read_file(opts.hook_src, MAX_HOOK_BYTES, &data, &len, err) < 0)
		return sc_error_wrap(err, "reading the hook");
	if (mkdir(opts.hook_dir, 0755) < 0 && errno != EEXIST)
		return sc_error_make_errno(err, "mkdir %s", opts.hook_dir);
	struct stat st;
	if (lstat(opts.hook_dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 022))
		return sc_error_make(err, EPERM,
				     "%s must be a root-owned directory not writable "
				     "by group or others",
				     opts.hook_dir);
	cleanup_free char *tmp = sc_xasprintf("%s/.%s.%d", opts.hook_dir, HOOK_NAME, (int)getpid());
	cleanup_close int fd =
	    open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0755);
	if (fd < 0)
		return sc_error_make_errno(err, "creating %s", tmp);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return sc_error_make_errno(err, "writing %s", tmp);
		off += (size_t)w;
	}
	if (fchmod(fd, 0755) < 0 || fsync(fd) < 0)
		return sc_error_make_errno(err, "finishing %s", tmp);
	hook_path = sc_xasprintf("%s/%s", opts.hook_dir, HOOK_NAME);
	if (rename(tmp, hook_path) < 0)
		return sc_error_make_errno(err, "installing %s", hook_path);
	return 0;
}

static bool wants_runtime_path(const struct sc_nri_create_request *req)
{
	const char *managed = sc_nri_map_get(&req->pod.labels, SC_LABEL_MANAGED_BY);
	const char *role = sc_nri_map_get(&req->pod.labels, SC_LABEL_ROLE);
	const char *mode = sc_nri_map_get(&req->pod.annotations, SC_ANNOTATION_ROOTFS_MODE);
	return managed && strcmp(managed, SC_MANAGED_BY) == 0 && role &&
	       strcmp(role, SC_ROLE_CONSUMER) == 0 && mode &&
	       strcmp(mode, SC_ROOTFS_MODE_RUNTIME) == 0 &&
	       strcmp(req->container.name, SC_CONTAINER_WORKLOAD) == 0;
}

/* Adjust one new container: the hook for a runtime-path workload, nothing
 * for anything else. An error fails the container's creation; the kubelet
 * retries it. */
static int create_container(void *data, const struct sc_nri_create_request *req,
			    struct sc_nri_adjustment *adj, sc_error_t *err)
{
	(void)data;
	if (!wants_runtime_path(req))
		return 0;
	cleanup_free char *overlay = NULL, *upper = NULL;
	if (sc_agent_runtime_rootfs(opts.agent, req->pod.namespace, req->pod.name, req->pod.uid,
				    &overlay, &upper, err) < 0)
		return sc_error_wrap(err, "StoppableContainer runtime path");
	adj->hook_path = sc_xstrdup(hook_path);
	char *args[] = {HOOK_NAME, "--overlay", overlay, "--upperdir", upper, NULL};
	adj->hook_args = sc_strv_dup(args);
	adj->hook_timeout = HOOK_TIMEOUT_S;
	char *ann[] = {SC_GROUP "/rootfs", overlay, NULL};
	adj->annotations = sc_strv_dup(ann);
	SC_LOG_KV(SC_LOG_LEVEL_INFO, "nri: runtime path for workload", "namespace",
		  req->pod.namespace, "pod", req->pod.name, "container", req->container.id,
		  "rootfs", overlay, NULL);
	return 0;
}

static void configured(void *data, const char *name, const char *version)
{
	(void)data;
	(void)name;
	(void)version;
	atomic_store(&registered, true);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void *plugin_thread(void *arg)
{
	(void)arg;
	const struct sc_nri_plugin p = {.name = SC_NRI_PLUGIN_NAME,
					.idx = SC_NRI_PLUGIN_IDX,
					.create_container = create_container,
					.configured = configured};
	long backoff = 500;
	bool said_absent = false;
	while (!atomic_load(sc_shutdown_flag())) {
		sc_error_t err = NULL;
		int fd = sc_nri_dial(opts.socket, &err);
		if (fd < 0) {
			if (!said_absent)
				SC_LOG_INFO(
				    "nri: %s; this node offers only the chroot path until it "
				    "appears",
				    sc_error_message(err));
			said_absent = true;
			sc_error_release(&err);
		} else {
			said_absent = false;
			backoff = 500;
			if (sc_nri_serve(&p, fd, &err) < 0)
				SC_LOG_WARN("nri: %s", sc_error_message(err));
			sc_error_release(&err);
			close(fd);
			atomic_store(&registered, false);
		}
		/* Retrying a runtime's socket, not waiting for a condition. */
		sleep_ms(backoff);
		backoff = backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff * 2;
	}
	return NULL;
}

int sc_mh_nri_start(const struct sc_mh_nri_options *o, sc_error_t *err)
{
	opts = *o;
	if (install_hook(err) < 0)
		return sc_error_wrap(err, "nri: installing %s in %s", HOOK_NAME, o->hook_dir);
	pthread_t t;
	int rc = pthread_create(&t, NULL, plugin_thread, NULL);
	if (rc != 0)
		return sc_error_make(err, rc, "nri: starting the plugin thread");
	pthread_detach(t);
	return 0;
}

#include "node/sc-proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/sc-buf.h"
#include "lib/sc-log.h"
#include "lib/sc-util.h"
#include "node/sc-cgroup.h"
#include "node/sc-syscall.h"

#define SC_STAT_MAX_BYTES 4096u

void sc_container_process_close(struct sc_container_process *p)
{
	if (p != NULL && p->pidfd >= 0) {
		close(p->pidfd);
		p->pidfd = -1;
	}
}

void sc_cleanup_container_processp(struct sc_container_process *p)
{
	sc_container_process_close(p);
}

int sc_proc_parse_stat(const char *data, size_t len, pid_t *ppid, unsigned long long *start,
		       sc_error_t *err)
{
	/* "pid (comm) state ppid ... starttime(22) ..."; comm is anything up
	 * to the LAST ')' in the line. */
	const char *close_paren = NULL;
	for (size_t i = 0; i < len; i++)
		if (data[i] == ')')
			close_paren = data + i;
	if (close_paren == NULL)
		return sc_error_make(err, EINVAL, "malformed stat: no command name");
	const char *p = close_paren + 1;
	const char *end = data + len;
	/* fields 3.. after the name; we need field 4 (ppid) and 22 (start) */
	int field = 2;
	long long ppid_v = -1;
	unsigned long long start_v = 0;
	bool have_start = false;
	while (p < end && field < 22) {
		while (p < end && *p == ' ')
			p++;
		const char *s = p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (p == s)
			break;
		field++;
		if (field == 4 || field == 22) {
			char tmp[32];
			size_t l = (size_t)(p - s);
			if (l >= sizeof(tmp))
				return sc_error_make(err, EINVAL, "malformed stat field %d", field);
			memcpy(tmp, s, l);
			tmp[l] = '\0';
			char *e = NULL;
			errno = 0;
			unsigned long long v = strtoull(tmp, &e, 10);
			if (errno != 0 || e == tmp || *e != '\0' || tmp[0] == '-')
				return sc_error_make(err, EINVAL, "malformed stat field %d", field);
			if (field == 4) {
				if (v > 0x7fffffff)
					return sc_error_make(err, EINVAL, "malformed stat ppid");
				ppid_v = (long long)v;
			} else {
				start_v = v;
				have_start = true;
			}
		}
	}
	if (ppid_v < 0 || !have_start)
		return sc_error_make(err, EINVAL, "malformed stat: too few fields");
	*ppid = (pid_t)ppid_v;
	*start = start_v;
	return 0;
}

static int read_small(const char *path, size_t max, char **data, size_t *len, sc_error_t *err)
{
	return sc_read_file(path, max, data, len, err);
}

/* Read stat and cgroup of pid under proc_root. */
static int read_process(const char *proc_root, pid_t pid, pid_t *ppid, unsigned long long *start,
			struct sc_cgroup *cg, sc_error_t *err)
{
	cleanup_free char *sp = sc_xasprintf("%s/%d/stat", proc_root, (int)pid);
	cleanup_free char *cp = sc_xasprintf("%s/%d/cgroup", proc_root, (int)pid);
	cleanup_free char *sdata = NULL, *cdata = NULL;
	size_t slen = 0, clen = 0;
	if (read_small(sp, SC_STAT_MAX_BYTES, &sdata, &slen, err) < 0)
		return -1;
	if (sc_proc_parse_stat(sdata, slen, ppid, start, err) < 0)
		return sc_error_wrap(err, "%s", sp);
	if (read_small(cp, SC_CGROUP_MAX_BYTES, &cdata, &clen, err) < 0)
		return -1;
	if (sc_cgroup_parse(cdata, clen, cg, err) < 0)
		return sc_error_wrap(err, "%s", cp);
	return 0;
}

int sc_proc_alive(int pidfd, sc_error_t *err)
{
	/* A pidfd is readable once its process has exited, zombie or not;
	 * a zombie still accepts signal 0, so that alone is not enough. */
	struct pollfd pf = {.fd = pidfd, .events = POLLIN};
	if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLIN | POLLHUP)))
		return sc_error_make(err, ESRCH, "the process has exited");
	if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
		return sc_error_make_errno(err, "the process is gone");
	return 0;
}

struct candidate {
	pid_t pid;
	pid_t ppid;
	unsigned long long start;
};

static int verify_at(const char *proc_root, const struct sc_container_process *p,
		     const char *pod_uid, const char *container_id, sc_error_t *err)
{
	pid_t ppid;
	unsigned long long start;
	cleanup_cgroup struct sc_cgroup cg = {0};
	if (read_process(proc_root, p->pid, &ppid, &start, &cg, err) < 0)
		return sc_error_wrap(err, "re-reading process %d", (int)p->pid);
	if (start != p->start_time)
		return sc_error_make(err, ESRCH,
				     "process %d was replaced (start time changed): PID reused",
				     (int)p->pid);
	int r = sc_cgroup_belongs(&cg, pod_uid, container_id, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return sc_error_make(err, ESRCH,
				     "process %d no longer belongs to container %.12s of pod %s",
				     (int)p->pid, container_id, pod_uid);
	/* Only now, after reading: if the pidfd's process is still alive, the
	 * files read above were about it (its PID cannot be reused while it
	 * exists). */
	if (sc_proc_alive(p->pidfd, err) < 0)
		return sc_error_wrap(err, "process %d", (int)p->pid);
	return 0;
}

int sc_proc_verify(const struct sc_container_process *p, const char *pod_uid,
		   const char *container_id, sc_error_t *err)
{
	return verify_at("/proc", p, pod_uid, container_id, err);
}

int sc_proc_find_container(const char *proc_root, const char *pod_uid, const char *container_id,
			   struct sc_container_process *out, sc_error_t *err)
{
	out->pid = 0;
	out->pidfd = -1;
	out->start_time = 0;
	out->from_task_file = false;
	/* validate the arguments once, with a clear message */
	{
		struct sc_cgroup none = {0};
		if (sc_cgroup_belongs(&none, pod_uid, container_id, err) < 0)
			return -1;
	}
	DIR *d = opendir(proc_root);
	if (d == NULL)
		return sc_error_make_errno(err, "opening %s", proc_root);
	struct candidate *cands = NULL;
	size_t n = 0, alloc = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL)
			break;
		long pid;
		if (sc_parse_long(de->d_name, 1, 0x7fffffff, &pid) < 0)
			continue;
		pid_t ppid;
		unsigned long long start;
		cleanup_cgroup struct sc_cgroup cg = {0};
		sc_error_t e = NULL;
		/* processes come and go during the scan: skip what vanished or
		 * cannot be read */
		if (read_process(proc_root, (pid_t)pid, &ppid, &start, &cg, &e) < 0) {
			sc_error_release(&e);
			continue;
		}
		int r = sc_cgroup_belongs(&cg, pod_uid, container_id, &e);
		sc_error_release(&e);
		if (r != 1)
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			cands = sc_xrealloc(cands, alloc * sizeof(*cands));
		}
		cands[n].pid = (pid_t)pid;
		cands[n].ppid = ppid;
		cands[n].start = start;
		n++;
	}
	closedir(d);
	const struct candidate *init = NULL;
	for (size_t i = 0; i < n; i++) {
		bool parent_inside = false;
		for (size_t j = 0; j < n && !parent_inside; j++)
			parent_inside = cands[j].pid == cands[i].ppid;
		if (parent_inside)
			continue;
		if (init == NULL || cands[i].pid < init->pid)
			init = &cands[i];
	}
	if (init == NULL) {
		free(cands);
		return sc_error_make(err, ENOENT, "no process of container %.12s of pod %s runs",
				     container_id, pod_uid);
	}
	struct sc_container_process p = {.pid = init->pid, .pidfd = -1, .start_time = init->start};
	free(cands);
	p.pidfd = pidfd_open(p.pid, 0);
	if (p.pidfd < 0)
		return sc_error_make_errno(err, "pidfd_open %d", (int)p.pid);
	if (verify_at(proc_root, &p, pod_uid, container_id, err) < 0) {
		sc_container_process_close(&p);
		return -1;
	}
	*out = p;
	return 0;
}

int sc_proc_parse_pid_file(const char *data, size_t len, pid_t *pid, sc_error_t *err)
{
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len == 0)
		return sc_error_make(err, EINVAL, "empty PID file");
	if (len > 10)
		return sc_error_make(err, EINVAL, "PID file: more than 10 digits");
	if (data[0] == '0')
		return sc_error_make(err, EINVAL, "PID file: a leading zero");
	unsigned long long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] < '0' || data[i] > '9')
			return sc_error_make(err, EINVAL,
					     "PID file: byte 0x%02x at offset %zu is not a digit",
					     (unsigned char)data[i], i);
		v = v * 10 + (unsigned)(data[i] - '0');
	}
	if (v > 0x7fffffff)
		return sc_error_make(err, EINVAL, "PID file: %llu is out of range", v);
	*pid = (pid_t)v;
	return 0;
}

/* Reads a PID file: a regular file (not a link, not a FIFO: opening never
 * blocks) of at most SC_PROC_PID_FILE_MAX_BYTES. */
static int read_pid_file(const char *path, pid_t *pid, sc_error_t *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return sc_error_make_errno(err, "opening %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return sc_error_make_errno(err, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return sc_error_make(err, EINVAL, "%s is not a regular file", path);
	char buf[SC_PROC_PID_FILE_MAX_BYTES + 1];
	size_t got = 0;
	while (got < sizeof(buf)) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return sc_error_make_errno(err, "reading %s", path);
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > SC_PROC_PID_FILE_MAX_BYTES)
		return sc_error_make(err, EINVAL, "%s is larger than %u bytes", path,
				     SC_PROC_PID_FILE_MAX_BYTES);
	if (sc_proc_parse_pid_file(buf, got, pid, err) < 0)
		return sc_error_wrap(err, "%s", path);
	return 0;
}

/* The fast path: the PID the runtime recorded, held by a pidfd and accepted
 * only after the checks the scan makes of its candidates. */
static int find_from_task_file(const char *proc_root, const char *task_dir, const char *pod_uid,
			       const char *container_id, struct sc_container_process *out,
			       sc_error_t *err)
{
	cleanup_free char *path = sc_xasprintf("%s/%s/init.pid", task_dir, container_id);
	pid_t pid;
	if (read_pid_file(path, &pid, err) < 0)
		return -1;
	/* Held first: while the pidfd's process lives its PID cannot be
	 * reused, so what is read below is about it if it is still alive
	 * afterwards (verify_at checks). */
	struct sc_container_process p = {.pid = pid, .pidfd = -1, .from_task_file = true};
	p.pidfd = pidfd_open(pid, 0);
	if (p.pidfd < 0)
		return sc_error_make_errno(err, "pidfd_open %d (from %s)", (int)pid, path);
	pid_t ppid;
	cleanup_cgroup struct sc_cgroup cg = {0};
	if (read_process(proc_root, pid, &ppid, &p.start_time, &cg, err) < 0) {
		sc_container_process_close(&p);
		return sc_error_wrap(err, "process %d (from %s)", (int)pid, path);
	}
	int r = sc_cgroup_belongs(&cg, pod_uid, container_id, err);
	if (r != 1) {
		sc_container_process_close(&p);
		if (r < 0)
			return -1;
		return sc_error_make(err, ESRCH,
				     "process %d (from %s) is not in container %.12s of pod %s",
				     (int)pid, path, container_id, pod_uid);
	}
	/* Its init: the parent is outside the container (the shim). A parent
	 * that cannot be read proves nothing: the scan decides then. */
	if (ppid > 0) {
		pid_t pppid;
		unsigned long long pstart;
		cleanup_cgroup struct sc_cgroup pcg = {0};
		if (read_process(proc_root, ppid, &pppid, &pstart, &pcg, err) < 0) {
			sc_container_process_close(&p);
			return sc_error_wrap(err, "the parent %d of process %d", (int)ppid,
					     (int)pid);
		}
		r = sc_cgroup_belongs(&pcg, pod_uid, container_id, err);
		if (r != 0) {
			sc_container_process_close(&p);
			if (r < 0)
				return -1;
			return sc_error_make(err, ESRCH,
					     "process %d (from %s) is not the container's init: "
					     "its parent %d is in the container too",
					     (int)pid, path, (int)ppid);
		}
	}
	if (verify_at(proc_root, &p, pod_uid, container_id, err) < 0) {
		sc_container_process_close(&p);
		return -1;
	}
	*out = p;
	return 0;
}

int sc_proc_find_container_fast(const char *proc_root, const char *task_dir, const char *pod_uid,
				const char *container_id, struct sc_container_process *out,
				sc_error_t *err)
{
	out->pid = 0;
	out->pidfd = -1;
	out->start_time = 0;
	out->from_task_file = false;
	if (task_dir == NULL || task_dir[0] == '\0')
		return sc_proc_find_container(proc_root, pod_uid, container_id, out, err);
	/* validated before the container ID becomes a path */
	{
		struct sc_cgroup none = {0};
		if (sc_cgroup_belongs(&none, pod_uid, container_id, err) < 0)
			return -1;
	}
	sc_error_t why = NULL;
	if (find_from_task_file(proc_root, task_dir, pod_uid, container_id, out, &why) == 0)
		return 0;
	SC_LOG_V(1, "container %.12s of pod %s: not by the runtime's init.pid (%s); scanning %s",
		 container_id, pod_uid, sc_error_message(why), proc_root);
	sc_error_release(&why);
	return sc_proc_find_container(proc_root, pod_uid, container_id, out, err);
}

/* The child's report: errno code, then the message. */
static void report_and_exit(int fd, sc_error_t err)
{
	int code = err ? err->code : 0;
	const char *msg = err ? sc_error_message(err) : "";
	size_t ml = strlen(msg);
	if (ml > 4000)
		ml = 4000;
	char buf[4096 + sizeof(int)];
	memcpy(buf, &code, sizeof(code));
	memcpy(buf + sizeof(code), msg, ml);
	size_t total = sizeof(code) + ml, off = 0;
	while (off < total) {
		ssize_t w = write(fd, buf + off, total - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	_exit(err ? 1 : 0);
}

struct mntns_arg {
	int pidfd;
	sc_child_fn fn;
	void *arg;
};

static int enter_then_run(void *arg, sc_error_t *err)
{
	struct mntns_arg *a = arg;
	if (setns(a->pidfd, CLONE_NEWNS) < 0)
		return sc_error_make_errno(err, "entering the mount namespace of the container");
	return a->fn(a->arg, err);
}

int sc_run_in_child(sc_child_fn fn, void *arg, int timeout_ms, sc_error_t *err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return sc_error_make_errno(err, "pipe");
	pid_t parent = getpid();
	pid_t child = fork();
	if (child < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return sc_error_make_errno(err, "fork");
	}
	if (child == 0) {
		close(pfd[0]);
		/* Die with the caller: a half-done mount operation must not
		 * outlive the daemon that would have checked it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		sc_error_t cerr = NULL;
		if (fn(arg, &cerr) < 0 && cerr == NULL)
			sc_error_make(&cerr, EIO, "failed without a message");
		report_and_exit(pfd[1], cerr);
	}
	close(pfd[1]);
	cleanup_close int rfd = pfd[0];
	char buf[4096 + sizeof(int) + 1];
	size_t got = 0;
	long long deadline = sc_now_ms() + timeout_ms;
	bool timed_out = false;
	for (;;) {
		long long left = deadline - sc_now_ms();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd pf = {.fd = rfd, .events = POLLIN};
		int r = poll(&pf, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t n = read(rfd, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(buf) - 1)
			break;
	}
	if (timed_out)
		kill(child, SIGKILL);
	int status = 0;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		return sc_error_make(err, ETIMEDOUT, "the child did not finish within %d ms",
				     timeout_ms);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (got >= sizeof(int)) {
		int code;
		memcpy(&code, buf, sizeof(code));
		buf[got] = '\0';
		return sc_error_make(err, code, "%s", buf + sizeof(int));
	}
	if (WIFSIGNALED(status))
		return sc_error_make(err, EIO, "the child was killed by signal %d",
				     WTERMSIG(status));
	return sc_error_make(err, EIO, "the child failed with status %d", WEXITSTATUS(status));
}

int sc_run_in_mntns(int pidfd, sc_child_fn fn, void *arg, int timeout_ms, sc_error_t *err)
{
	struct mntns_arg a = {.pidfd = pidfd, .fn = fn, .arg = arg};
	return sc_run_in_child(enter_then_run, &a, timeout_ms, err);
}

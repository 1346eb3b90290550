// SPDX-License-Identifier: GPL-2.0-or-later
/* Exec receivers: run a command (no shell) with the document on its stdin, kill it past its timeout.
 *
 * The delivery thread forks; the child calls only async-signal-safe functions
 * before execve (the daemon has other threads). What the command may do is
 * what the daemon has left after its capability drop, minus CAP_NET_ADMIN:
 * the child empties its permitted, effective and inheritable sets, and with
 * no_new_privs (inherited) the exec cannot gain any. It stays uid 0, so it
 * can open files root owns where their owner bits allow, and signal root's
 * processes; it cannot touch nftables, bind a privileged port or read
 * another user's files. It runs in its own process group, with a fixed
 * environment, stdin the document, stdout and stderr a pipe whose first
 * bytes the daemon logs when it fails. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include "clock.h"
#include "notify_int.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* Async-signal-safe: "minewall: STEP failed: errno N" on fd 2. */
static void child_fail(const char *step, int err)
{
	char buf[96], num[12];
	size_t n = 0, k = 0, i;

	for (i = 0; "minewall notify: "[i]; i++)
		buf[n++] = "minewall notify: "[i];
	for (i = 0; step[i] && n < 60; i++)
		buf[n++] = step[i];
	for (i = 0; " failed: errno "[i]; i++)
		buf[n++] = " failed: errno "[i];
	do {
		num[k++] = (char)('0' + err % 10);
		err /= 10;
	} while (err && k < sizeof(num));
	while (k)
		buf[n++] = num[--k];
	buf[n++] = '\n';
	if (write(2, buf, n) < 0)
		_exit(127);
}

static void __attribute__((noreturn)) child(int in_fd, int out_fd, char *const argv[],
					     char *const envp[])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[2];
	struct sigaction dfl;
	sigset_t none;
	int sig, fd;

	/* Its own group, so a timeout kills what it started too. */
	setpgid(0, 0);
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(126);
	if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0)
		for (fd = 3; fd < 4096; fd++)
			close(fd);
	/* The daemon blocks its signals (signalfd) and ignores SIGPIPE; an exec keeps both. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		child_fail("no_new_privs", errno);
		_exit(126);
	}
	/* Nothing of the daemon's CAP_NET_ADMIN: a command never changes nftables. */
	memset(caps, 0, sizeof(caps));
	if (syscall(SYS_capset, &hdr, caps) < 0) {
		child_fail("capset", errno);
		_exit(126);
	}
	if (chdir("/") < 0) {
		child_fail("chdir /", errno);
		_exit(126);
	}
	execve(argv[0], argv, envp);
	child_fail("execve", errno);
	_exit(127);
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int notify_exec_start(struct notify_job *j, char *why, size_t size)
{
	char ev[64], rcv[96], id[80];
	char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 "LC_ALL=C", ev, rcv, id, NULL };
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	size_t off = 0;
	pid_t pid;

	snprintf(ev, sizeof(ev), "MINEWALL_EVENT=%s", j->event);
	snprintf(rcv, sizeof(rcv), "MINEWALL_RECEIVER=%s", j->name);
	snprintf(id, sizeof(id), "MINEWALL_DELIVERY=%s", j->id);
	j->out_len = 0;
	j->out[0] = '\0';
	j->killed = false;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		snprintf(why, size, "pipe: %s", strerror(errno));
		goto err;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, size, "fork: %s", strerror(errno));
		goto err;
	}
	if (pid == 0)
		child(in[0], out[1], j->rcv->argv, envp);
	close(in[0]);
	close(out[1]);
	j->pid = pid;
	j->outfd = out[0];
	set_nonblock(j->outfd);
	j->pidfd = (int)syscall(SYS_pidfd_open, pid, 0u);
	j->deadline_ms = now_monotonic_ms() + (uint64_t)j->rcv->timeout_s * 1000u;
	/* The document (at most NOTIFY_DOC_MAX) fits in a fresh pipe: this never waits. A
	 * command that exits without reading it makes the write fail, which is its business. */
	set_nonblock(in[1]);
	while (off < j->len) {
		ssize_t w = write(in[1], j->doc + off, j->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(in[1]);
	return 0;
err:
	if (in[0] >= 0) {
		close(in[0]);
		close(in[1]);
	}
	if (out[0] >= 0) {
		close(out[0]);
		close(out[1]);
	}
	return -1;
}

/* Keep the first bytes of what the command says; read and drop the rest so it never
 * blocks on a full pipe. At end of file the pipe is closed (no busy wake-ups). */
static void read_output(struct notify_job *j)
{
	char buf[4096];
	unsigned int k;

	for (k = 0; j->outfd >= 0 && k < 64; k++) {
		ssize_t r = read(j->outfd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			close(j->outfd);
			j->outfd = -1;
			return;
		}
		if (j->out_len < sizeof(j->out) - 1) {
			size_t n = sizeof(j->out) - 1 - j->out_len;

			if (n > (size_t)r)
				n = (size_t)r;
			memcpy(j->out + j->out_len, buf, n);
			j->out_len += n;
			j->out[j->out_len] = '\0';
		}
	}
}

/* The output as one line for the log: control characters become spaces. */
static const char *output_line(struct notify_job *j)
{
	size_t i;

	for (i = 0; i < j->out_len; i++)
		if ((unsigned char)j->out[i] < 0x20 || j->out[i] == 0x7f)
			j->out[i] = ' ';
	while (j->out_len && j->out[j->out_len - 1] == ' ')
		j->out[--j->out_len] = '\0';
	return j->out;
}

static void close_fds(struct notify_job *j)
{
	if (j->outfd >= 0)
		close(j->outfd);
	if (j->pidfd >= 0)
		close(j->pidfd);
	j->outfd = j->pidfd = -1;
	j->pid = -1;
}

bool notify_exec_poll(struct notify_job *j, uint64_t now_ms, enum notify_outcome *o, char *why,
		      size_t size)
{
	int status;
	pid_t r;

	read_output(j);
	r = waitpid(j->pid, &status, WNOHANG);
	if (r == 0) {
		if (now_ms >= j->deadline_ms && !j->killed) {
			kill(-j->pid, SIGKILL);
			kill(j->pid, SIGKILL);
			j->killed = true;
		}
		return false;
	}
	read_output(j);
	if (r < 0) {
		snprintf(why, size, "waitpid: %s", strerror(errno));
		*o = NOTIFY_ERROR;
	} else if (j->killed) {
		snprintf(why, size, "killed after %u s", j->rcv->timeout_s);
		*o = NOTIFY_TIMEOUT;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		snprintf(why, size, "exit 0");
		*o = NOTIFY_DELIVERED;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) >= 126 &&
		   strstr(j->out, "minewall notify: ")) {
		/* It never ran: execve (or what prepares it) failed in the child. */
		snprintf(why, size, "%s", output_line(j));
		*o = NOTIFY_ERROR;
	} else {
		const char *line = output_line(j);

		if (WIFEXITED(status))
			snprintf(why, size, "exit %d%s%s", WEXITSTATUS(status), *line ? ": " : "", line);
		else
			snprintf(why, size, "killed by signal %d%s%s", WTERMSIG(status),
				 *line ? ": " : "", line);
		*o = NOTIFY_REJECTED;
	}
	close_fds(j);
	return true;
}

void notify_exec_abort(struct notify_job *j)
{
	if (j->pid > 0) {
		kill(-j->pid, SIGKILL);
		kill(j->pid, SIGKILL);
		while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close_fds(j);
}

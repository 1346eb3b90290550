// SPDX-License-Identifier: GPL-2.0-or-later
/* Control socket server: bounded, non-blocking clients in the daemon's event loop. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ctl_server.h"
#include "listener.h"
#include "log.h"

#define CTL_MAX_TABLES 8
/* A client that neither sends nor reads for this long is dropped (followers excepted). */
#define CTL_IDLE_MS 30000
/* How long a client we hung up on may take to close its side. */
#define CTL_LINGER_MS 2000

struct ctl_client {
	int fd;
	bool json;		/* of the follow subscription */
	bool closing;		/* close once the output is flushed */
	bool eof;		/* the peer shut down its side */
	bool writing;		/* EPOLLOUT requested */
	bool reading;		/* EPOLLIN requested */
	uint64_t linger_ms;	/* answered and half-closed at this time; 0: not yet */
	const char *follow;
	uint64_t last_ms;
	size_t in_len;
	char in[CTL_MAX_LINE];
	char *out;
	size_t out_len, out_off, out_cap;
};

struct ctl_table {
	const struct ctl_command *cmds;
	void *arg;
};

struct ctl_server {
	struct evloop *loop;
	struct listener *lst;
	char *path;
	gid_t gid;		/* allowed group, or (gid_t)-1 */
	struct ctl_table tables[CTL_MAX_TABLES];
	unsigned int n_tables;
	struct log_ratelimit rl;
};

/* The supplementary groups line of /proc/PID/status. Bounded read, bounded parse. */
static bool proc_in_group(pid_t pid, uid_t uid, gid_t want)
{
	char path[64], buf[4096], *line, *save = NULL;
	bool uid_ok = false, found = false;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long r, e;

		/* The pid may have been reused: the process must still be the peer's user. */
		if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2)
			uid_ok = e == (unsigned long)uid;
		if (strncmp(line, "Groups:", 7) == 0) {
			char *p = line + 7, *end;

			for (;;) {
				unsigned long g = strtoul(p, &end, 10);

				if (end == p)
					break;
				if (g == (unsigned long)want)
					found = true;
				p = end;
			}
		}
	}
	return uid_ok && found;
}

int ctl_peer_allowed(uid_t uid, gid_t gid, pid_t pid, gid_t allowed_gid)
{
	if (uid == 0)
		return 1;
	if (allowed_gid == (gid_t)-1)
		return 0;
	if (gid == allowed_gid)
		return 1;
	return pid > 0 && proc_in_group(pid, uid, allowed_gid);
}

static void client_free(void *client)
{
	struct ctl_client *c = client;

	free(c->out);
	free(c);
}

/* Queue bytes for the client; false when it would exceed the bound. */
static bool client_queue(struct ctl_client *c, const char *p, size_t n)
{
	size_t pending = c->out_len - c->out_off;

	if (n == 0)
		return true;
	if (pending + n > CTL_MAX_OUTPUT)
		return false;
	if (c->out_off > 0 && c->out_len + n > c->out_cap) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_len = pending;
		c->out_off = 0;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *q;

		while (cap < c->out_len + n)
			cap *= 2;
		q = realloc(c->out, cap);
		if (!q)
			return false;
		c->out = q;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return true;
}

/* Readable while the peer may still send (an ended input would wake the loop
 * forever); writable while output waits. */
static void client_watch(struct ctl_server *s, struct ctl_client *c)
{
	bool reading = !c->eof;

	if ((c->out_len > 0) != c->writing || reading != c->reading) {
		c->writing = c->out_len > 0;
		c->reading = reading;
		evloop_mod(s->loop, c->fd, c->reading, c->writing);
	}
}

/* Write what the socket takes now. -1 when the client is gone. */
static int client_flush(struct ctl_server *s, struct ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		c->out_off += (size_t)n;
		c->last_ms = listener_now_ms();
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		/* Closing with unread input would reset the connection and could destroy
		 * the answer in flight: half-close, then read until the peer closes. */
		if (c->closing && c->eof)
			return -1;
		if (c->closing && !c->linger_ms) {
			shutdown(c->fd, SHUT_WR);
			c->linger_ms = listener_now_ms();
		}
	}
	client_watch(s, c);
	return 0;
}

/* Answer with one error line and hang up once it is sent. */
static void client_fail(struct ctl_client *c, const char *code, const char *msg)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "error %s %s\n", code, msg);

	client_queue(c, line, (size_t)n);
	c->closing = true;
}

static const struct ctl_command *find_command(struct ctl_server *s, const char *name, void **arg)
{
	unsigned int t;
	const struct ctl_command *cmd;

	for (t = 0; t < s->n_tables; t++) {
		for (cmd = s->tables[t].cmds; cmd->name; cmd++) {
			if (strcmp(cmd->name, name) == 0) {
				*arg = s->tables[t].arg;
				return cmd;
			}
		}
	}
	return NULL;
}

static int builtin_help(struct ctl_server *s, struct ctl_resp *resp)
{
	const struct ctl_command *cmd;
	unsigned int t;
	bool first = true;

	if (resp->json)
		ctl_resp_printf(resp, "{\"commands\":[");
	else
		ctl_resp_printf(resp, "help: list the commands\n");
	for (t = 0; t < s->n_tables; t++) {
		for (cmd = s->tables[t].cmds; cmd->name; cmd++) {
			if (resp->json) {
				ctl_resp_printf(resp, "%s{\"name\":", first ? "" : ",");
				ctl_resp_json_str(resp, cmd->name);
				ctl_resp_printf(resp, ",\"help\":");
				ctl_resp_json_str(resp, cmd->help);
				ctl_resp_printf(resp, "}");
			} else {
				ctl_resp_printf(resp, "%s\n", cmd->help);
			}
			first = false;
		}
	}
	if (resp->json)
		ctl_resp_printf(resp, "]}\n");
	return 0;
}

static void client_request(struct ctl_server *s, struct ctl_client *c, const char *line, size_t len)
{
	static struct ctl_req req;	/* 4 KiB: not on the stack of the event loop */
	const struct ctl_command *cmd;
	struct ctl_resp resp;
	const char *why;
	void *arg = NULL;
	char *out = NULL;
	size_t out_len;
	int rc;

	if (ctl_req_parse(line, len, &req, &why) < 0) {
		client_fail(c, "bad-request", why);
		return;
	}
	ctl_resp_init(&resp, CTL_MAX_OUTPUT - 4096, req.json);
	if (strcmp(req.argv[0], "help") == 0)
		rc = builtin_help(s, &resp);
	else if ((cmd = find_command(s, req.argv[0], &arg)))
		rc = cmd->handler(arg, &req, &resp);
	else
		rc = ctl_resp_error(&resp, "unknown-command", "unknown command '%.64s' (try help)",
				    req.argv[0]);
	if (ctl_frame(&resp, rc, &out, &out_len) < 0 || !client_queue(c, out, out_len)) {
		c->out_off = c->out_len = 0;
		client_fail(c, "too-large", "response exceeds the size limit");
	} else if (rc == 0 && !resp.overflow && resp.follow) {
		c->follow = resp.follow;
		c->json = req.json;
	}
	free(out);
	ctl_resp_free(&resp);
}

/* Take the complete lines out of the input buffer. */
static void client_parse(struct ctl_server *s, struct ctl_client *c)
{
	size_t start = 0;

	while (!c->closing && !c->follow && start < c->in_len) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);

		if (!nl)
			break;
		client_request(s, c, c->in + start, (size_t)(nl - (c->in + start)));
		start = (size_t)(nl - c->in) + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (!c->closing && !c->follow && c->in_len == sizeof(c->in))
		client_fail(c, "too-long", "request line longer than 4096 bytes");
	else if (!c->closing && !c->follow && c->eof)
		c->closing = true;	/* nothing more will come: hang up after the answer */
}

static void client_io(void *owner, void *client, unsigned int slot)
{
	struct ctl_server *s = owner;
	struct ctl_client *c = client;
	int fd = c->fd;

	for (unsigned int rounds = 0; !c->eof && rounds < 64; rounds++) {
		char discard[512];
		bool keep = !c->closing && !c->follow;
		ssize_t n;

		/* Followers and clients being hung up on get their input read and ignored. */
		if (keep && c->in_len == sizeof(c->in))
			break;
		n = keep ? read(fd, c->in + c->in_len, sizeof(c->in) - c->in_len) :
			   read(fd, discard, sizeof(discard));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 || (n == 0 && c->follow)) {
			listener_drop(s->lst, slot);
			return;
		}
		if (n == 0) {
			c->eof = true;
			break;
		}
		c->last_ms = listener_now_ms();
		if (keep) {
			c->in_len += (size_t)n;
			client_parse(s, c);
		}
	}
	if (c->eof)
		client_parse(s, c);
	if (client_flush(s, c) < 0)
		listener_drop(s->lst, slot);
}

/* Root, or a member of the control group; anyone else gets one refusal line. */
static const char *client_admit(void *owner, int fd)
{
	struct ctl_server *s = owner;
	struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	socklen_t cl = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0 &&
	    ctl_peer_allowed(cred.uid, cred.gid, cred.pid, s->gid))
		return NULL;
	log_info("control: refused uid %d (pid %d): not root%s",
		 (int)cred.uid, (int)cred.pid, s->gid != (gid_t)-1 ? " or in the control group" : "");
	return "error denied permission denied: not root or in the control group\n";
}

static void *client_new(void *owner, int fd)
{
	struct ctl_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->reading = true;
	c->last_ms = listener_now_ms();
	return c;
}

/* Followers stay; anyone else idle too long, or hung up on and slow to
 * close, goes. */
static bool client_expired(void *owner, void *client, uint64_t now)
{
	const struct ctl_client *c = client;

	return (c->linger_ms && now - c->linger_ms > CTL_LINGER_MS) ||
	       (!c->follow && now - c->last_ms > CTL_IDLE_MS);
}

static const struct listener_ops ctl_listener_ops = {
	.name = "control",
	.admit = client_admit,
	.client_new = client_new,
	.client_free = client_free,
	.client_io = client_io,
	.client_expired = client_expired,
	.full_line = "error busy too many control clients\n",
	.oom_line = "error busy out of resources\n",
};

void ctl_server_publish(struct ctl_server *s, const char *topic, const char *text, const char *json)
{
	unsigned int i;

	if (!s)
		return;
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = listener_client(s->lst, i);
		const char *line;

		if (!c || !c->follow || strcmp(c->follow, topic) != 0)
			continue;
		line = c->json ? json : text;
		/* Flushing happens in the loop, never here on the packet path. One line
		 * each: anything after a line break is not sent. */
		if (!client_queue(c, " ", 1) || !client_queue(c, line, strcspn(line, "\r\n")) ||
		    !client_queue(c, "\n", 1)) {
			log_warnx_rl(&s->rl, "control: dropping a client that does not read its output");
			listener_drop(s->lst, i);
			continue;
		}
		client_watch(s, c);
	}
}

int ctl_server_register(struct ctl_server *s, const struct ctl_command *cmds, void *arg)
{
	if (s->n_tables == CTL_MAX_TABLES)
		return -1;
	s->tables[s->n_tables++] = (struct ctl_table){ cmds, arg };
	return 0;
}

/* An existing socket that answers belongs to a running daemon; one that does not is stale. */
static int socket_take_over(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("control socket %s: exists and is not a socket", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r == 0) {
		log_warnx("control socket %s: another minewalld answers on it", path);
		return -1;
	}
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

struct ctl_server *ctl_server_open(struct evloop *loop, const struct ctl_server_cfg *cfg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_server *s = calloc(1, sizeof(*s));
	char *dir = NULL, *slash;
	mode_t old_mask;
	int fd = -1, r;

	if (!s)
		return NULL;
	s->gid = (gid_t)-1;
	s->loop = loop;
	if (strlen(cfg->path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket %s: path too long", cfg->path);
		goto err;
	}
	if (cfg->group) {
		struct group *gr = getgrnam(cfg->group);

		if (!gr) {
			log_warnx("control.group \"%s\": no such group", cfg->group);
			goto err;
		}
		s->gid = gr->gr_gid;
	}
	if (!(s->path = strdup(cfg->path)) || !(dir = strdup(cfg->path)))
		goto err_sys;
	/* The usual parent is /run/minewall: make it when systemd did not. */
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			log_warn("control socket directory %s", dir);
			goto err;
		}
	}
	if (socket_take_over(cfg->path) < 0)
		goto err_sys;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err_sys;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", cfg->path);
	/* Born owner-only, so no one connects before the mode and group are set. */
	old_mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (r < 0)
		goto err_sys;
	if ((cfg->group && chown(cfg->path, (uid_t)-1, s->gid) < 0) ||
	    chmod(cfg->path, cfg->mode) < 0 || listen(fd, 16) < 0) {
		log_warn("control socket %s", cfg->path);
		unlink(cfg->path);
		goto err;
	}
	s->lst = listener_open(loop, fd, CTL_MAX_CLIENTS, &ctl_listener_ops, s);
	fd = -1;	/* the listener's now, also when it failed */
	if (!s->lst) {
		unlink(cfg->path);
		goto err;
	}
	free(dir);
	log_info("control socket %s (mode %04o%s%s)", cfg->path, (unsigned int)cfg->mode,
		 cfg->group ? ", group " : "", cfg->group ? cfg->group : "");
	return s;
err_sys:
	log_warn("control socket %s", cfg->path);
err:
	if (fd >= 0)
		close(fd);
	free(dir);
	free(s->path);
	free(s);
	return NULL;
}

void ctl_server_close(struct ctl_server *s)
{
	if (!s)
		return;
	listener_close(s->lst);
	unlink(s->path);
	free(s->path);
	free(s);
}

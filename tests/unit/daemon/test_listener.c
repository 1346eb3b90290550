// SPDX-License-Identifier: GPL-2.0-or-later
/* The listener: admission, the client bound, per-client I/O by slot, expiry
 * by the owner's rule, and close. A Unix socket in a private directory; the
 * loop runs for a bounded time set by a timerfd. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include "listener.h"
#include "unit.h"

struct owner {
	int created, freed, io;
	bool refuse;		/* admit says no */
	bool expire;		/* every client has expired */
	uint64_t expired_asked;
};

struct client {
	int fd;
	struct owner *o;
};

static const char *t_admit(void *owner, int fd)
{
	return ((struct owner *)owner)->refuse ? "refused\n" : NULL;
}

static void *t_new(void *owner, int fd)
{
	struct client *c = calloc(1, sizeof(*c));

	c->fd = fd;
	c->o = owner;
	c->o->created++;
	return c;
}

static void t_free(void *client)
{
	struct client *c = client;

	c->o->freed++;
	free(c);
}

/* Echo one read back. */
static void t_io(void *owner, void *client, unsigned int slot)
{
	struct client *c = client;
	char buf[64];
	ssize_t n = read(c->fd, buf, sizeof(buf));

	c->o->io++;
	if (n > 0)
		(void)!write(c->fd, buf, (size_t)n);
}

static bool t_expired(void *owner, void *client, uint64_t now)
{
	struct owner *o = owner;

	o->expired_asked++;
	return o->expire;
}

static const struct listener_ops ops = {
	.name = "test",
	.admit = t_admit,
	.client_new = t_new,
	.client_free = t_free,
	.client_io = t_io,
	.client_expired = t_expired,
	.full_line = "full\n",
	.oom_line = "oom\n",
};

static void on_stop(struct evloop *loop, int fd, void *arg)
{
	uint64_t exp;

	(void)!read(fd, &exp, sizeof(exp));
	evloop_stop(loop);
}

/* Run the loop for ms milliseconds. */
static void run_for(struct evloop *loop, long ms)
{
	struct itimerspec its = { .it_value = { ms / 1000, (ms % 1000) * 1000000L } };
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	timerfd_settime(tfd, 0, &its, NULL);
	evloop_add(loop, tfd, on_stop, NULL);
	evloop_run(loop);
	evloop_del(loop, tfd);
	close(tfd);
}

static int dial(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* What the server sent before closing, up to len - 1 bytes ("" if nothing). */
static void drain(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len - 1 && (n = recv(fd, buf + got, len - 1 - got, MSG_DONTWAIT)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
}

int main(void)
{
	char dir[] = "/tmp/mwlistener.XXXXXX", buf[64];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct owner o = { 0 };
	struct evloop *loop = evloop_new();
	struct listener *l;
	int lfd, c[3], i;

	CHECK(loop != NULL);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0 && listen(lfd, 8) == 0);
	l = listener_open(loop, lfd, 2, &ops, &o);
	CHECK(l != NULL && listener_max(l) == 2);

	/* Two fit, the third is told the table is full and closed. */
	for (i = 0; i < 3; i++)
		c[i] = dial(&sun);
	run_for(loop, 100);
	CHECK(o.created == 2);
	CHECK(listener_client(l, 0) != NULL && listener_client(l, 1) != NULL);
	CHECK(listener_client(l, 2) == NULL);
	drain(c[2], buf, sizeof(buf));
	CHECK_STR(buf, "full\n");
	close(c[2]);

	/* I/O reaches the right client. */
	CHECK(write(c[1], "ping", 4) == 4);
	run_for(loop, 50);
	CHECK(o.io >= 1);
	drain(c[1], buf, sizeof(buf));
	CHECK_STR(buf, "ping");

	/* Dropping a slot frees the client and closes its socket. */
	listener_drop(l, 0);
	CHECK(o.freed == 1 && listener_client(l, 0) == NULL);
	listener_drop(l, 0);		/* already free: nothing */
	listener_drop(l, 99);		/* out of range: nothing */
	CHECK(o.freed == 1);
	drain(c[0], buf, sizeof(buf));
	CHECK(recv(c[0], buf, sizeof(buf), MSG_DONTWAIT) == 0);	/* EOF */
	close(c[0]);

	/* Admission refused: the refusal line, no client made. */
	o.refuse = true;
	c[0] = dial(&sun);
	run_for(loop, 100);
	CHECK(o.created == 2);
	drain(c[0], buf, sizeof(buf));
	CHECK_STR(buf, "refused\n");
	close(c[0]);
	o.refuse = false;

	/* The one-second sweep asks the owner and drops what expired. */
	run_for(loop, 1200);
	CHECK(o.expired_asked >= 1 && listener_client(l, 1) != NULL);
	o.expire = true;
	run_for(loop, 1200);
	CHECK(listener_client(l, 1) == NULL && o.freed == 2);
	close(c[1]);

	/* Close frees whatever is left. */
	c[0] = dial(&sun);
	run_for(loop, 50);
	CHECK(o.created == 3);
	listener_close(l);
	CHECK(o.freed == 3);
	close(c[0]);
	unlink(sun.sun_path);
	rmdir(dir);
	evloop_free(loop);
	return UNIT_DONE();
}

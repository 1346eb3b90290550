// SPDX-License-Identifier: GPL-2.0-or-later
/* A listening stream socket and its bounded client table in the event loop. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include "listener.h"
#include "log.h"

struct listener_slot {
	int fd;
	void *client;		/* NULL: free */
};

struct listener {
	struct evloop *loop;
	int fd, timerfd;
	const struct listener_ops *ops;
	void *owner;
	unsigned int max;
	struct listener_slot *slots;
	struct log_ratelimit rl;
};

uint64_t listener_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void *listener_client(const struct listener *l, unsigned int slot)
{
	return slot < l->max ? l->slots[slot].client : NULL;
}

unsigned int listener_max(const struct listener *l)
{
	return l->max;
}

void listener_drop(struct listener *l, unsigned int slot)
{
	struct listener_slot *s;

	if (slot >= l->max || !l->slots[slot].client)
		return;
	s = &l->slots[slot];
	evloop_del(l->loop, s->fd);
	close(s->fd);
	l->ops->client_free(s->client);
	s->client = NULL;
	s->fd = -1;
}

/* A fresh socket's buffer takes one short line; if not, the peer gets a hang-up. */
static void refuse(int fd, const char *line)
{
	if (line && send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("could not send refusal: %s", strerror(errno));
	close(fd);
}

static void on_client(struct evloop *loop, int fd, void *arg)
{
	struct listener *l = arg;
	unsigned int i;

	for (i = 0; i < l->max; i++) {
		if (l->slots[i].client && l->slots[i].fd == fd) {
			l->ops->client_io(l->owner, l->slots[i].client, i);
			return;
		}
	}
}

static void on_accept(struct evloop *loop, int lfd, void *arg)
{
	struct listener *l = arg;

	for (;;) {
		const char *refusal;
		unsigned int i;
		void *c;
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warnx_rl(&l->rl, "%s: accept: %s", l->ops->name, strerror(errno));
			return;
		}
		refusal = l->ops->admit ? l->ops->admit(l->owner, fd) : NULL;
		if (refusal) {
			refuse(fd, refusal);
			continue;
		}
		for (i = 0; i < l->max && l->slots[i].client; i++)
			;
		if (i == l->max) {
			refuse(fd, l->ops->full_line);
			continue;
		}
		c = l->ops->client_new(l->owner, fd);
		if (!c || evloop_add(loop, fd, on_client, l) < 0) {
			if (c)
				l->ops->client_free(c);
			refuse(fd, l->ops->oom_line);
			continue;
		}
		l->slots[i] = (struct listener_slot){ .fd = fd, .client = c };
	}
}

static void on_timer(struct evloop *loop, int fd, void *arg)
{
	struct listener *l = arg;
	uint64_t exp, now = listener_now_ms();
	unsigned int i;

	if (read(fd, &exp, sizeof(exp)) < 0)
		return;
	for (i = 0; i < l->max; i++) {
		void *c = l->slots[i].client;

		if (c && l->ops->client_expired(l->owner, c, now)) {
			log_debug("%s: dropping an idle client", l->ops->name);
			listener_drop(l, i);
		}
	}
}

struct listener *listener_open(struct evloop *loop, int fd, unsigned int max,
			       const struct listener_ops *ops, void *owner)
{
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	struct listener *l = calloc(1, sizeof(*l));

	if (!l) {
		log_warn("%s: listening socket", ops->name);
		close(fd);
		return NULL;
	}
	l->timerfd = -1;
	l->slots = calloc(max, sizeof(*l->slots));
	if (!l->slots)
		goto err;
	l->loop = loop;
	l->fd = fd;
	l->ops = ops;
	l->owner = owner;
	l->max = max;
	l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->timerfd < 0 || timerfd_settime(l->timerfd, 0, &its, NULL) < 0 ||
	    evloop_add(loop, fd, on_accept, l) < 0)
		goto err;
	if (evloop_add(loop, l->timerfd, on_timer, l) < 0) {
		evloop_del(loop, fd);
		goto err;
	}
	return l;
err:
	log_warn("%s: listening socket", ops->name);
	close(fd);
	if (l->timerfd >= 0)
		close(l->timerfd);
	free(l->slots);
	free(l);
	return NULL;
}

void listener_close(struct listener *l)
{
	unsigned int i;

	if (!l)
		return;
	for (i = 0; i < l->max; i++)
		listener_drop(l, i);
	evloop_del(l->loop, l->fd);
	evloop_del(l->loop, l->timerfd);
	close(l->fd);
	close(l->timerfd);
	free(l->slots);
	free(l);
}

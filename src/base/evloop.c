// SPDX-License-Identifier: GPL-2.0-or-later
/* epoll loop: one callback per readable (or, on request, writable) fd. Small enough to read in minutes. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "evloop.h"
#include "log.h"

/* Queues, signals, timers, and the control and metrics clients. */
#define EVLOOP_MAX_FDS 128

struct evloop_watch {
	int fd;
	evloop_cb cb;
	void *arg;
};

struct evloop {
	int epfd;
	bool stop;
	struct evloop_watch w[EVLOOP_MAX_FDS];
};

struct evloop *evloop_new(void)
{
	struct evloop *loop = calloc(1, sizeof(*loop));
	int i;

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	for (i = 0; i < EVLOOP_MAX_FDS; i++)
		loop->w[i].fd = -1;
	return loop;
}

void evloop_free(struct evloop *loop)
{
	if (!loop)
		return;
	close(loop->epfd);
	free(loop);
}

int evloop_add(struct evloop *loop, int fd, evloop_cb cb, void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int i;

	for (i = 0; i < EVLOOP_MAX_FDS && loop->w[i].fd >= 0; i++)
		;
	if (i == EVLOOP_MAX_FDS) {
		errno = ENOSPC;
		return -1;
	}
	ev.data.u32 = (uint32_t)i;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	loop->w[i] = (struct evloop_watch){ fd, cb, arg };
	return 0;
}

int evloop_mod(struct evloop *loop, int fd, bool read, bool write)
{
	struct epoll_event ev = { .events = (read ? EPOLLIN : 0) | (write ? EPOLLOUT : 0) };
	int i;

	for (i = 0; i < EVLOOP_MAX_FDS; i++) {
		if (loop->w[i].fd == fd) {
			ev.data.u32 = (uint32_t)i;
			return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev);
		}
	}
	errno = ENOENT;
	return -1;
}

int evloop_del(struct evloop *loop, int fd)
{
	int i;

	for (i = 0; i < EVLOOP_MAX_FDS; i++) {
		if (loop->w[i].fd == fd) {
			epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
			loop->w[i].fd = -1;
			return 0;
		}
	}
	return -1;
}

int evloop_run(struct evloop *loop)
{
	struct epoll_event evs[16];

	loop->stop = false;
	while (!loop->stop) {
		int n = epoll_wait(loop->epfd, evs, 16, -1), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_wait");
			return -1;
		}
		for (i = 0; i < n && !loop->stop; i++) {
			struct evloop_watch *w = &loop->w[evs[i].data.u32];

			/* A callback may have removed this watch already. */
			if (w->fd >= 0)
				w->cb(loop, w->fd, w->arg);
		}
	}
	return 0;
}

void evloop_stop(struct evloop *loop) { loop->stop = true; }

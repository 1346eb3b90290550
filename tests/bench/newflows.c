// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark: new TCP flows per second. Client: C connections in flight for T
 * seconds, each connect, one 18-byte request, the answer, the server's close,
 * close; prints flows completed and the rate. Server (-l): answers each
 * request and closes first (its TIME_WAIT, not the client's ports). epoll. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "../tool_num.h"

#define NF_REQ "GET / HTTP/1.0\r\n\r\n"		/* 18 bytes, harmless to every detector */
#define NF_ANS "HTTP/1.0 200 OK\r\n\r\n"	/* 19 bytes */
#define NF_MAX_CONC 256
#define NF_CONN_TIMEOUT_NS (2000000000ull)

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: newflows -d IPV4 -p PORT [-c concurrent] [-t seconds]\n"
		"       newflows -l PORT [-t lifetime-seconds]\n");
	exit(2);
}

static int serve(unsigned long port, unsigned long lifetime)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	int one = 1, lfd, ep, i, n;

	alarm((unsigned int)lifetime);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (lfd < 0 || ep < 0)
		return 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4096) < 0) {
		perror("newflows: listen");
		return 1;
	}
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("listening on %lu\n", port);
	fflush(stdout);
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct epoll_event cev = { .events = EPOLLIN, .data.fd = c };

					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
				}
				continue;
			}
			{
				char buf[512];
				ssize_t r = read(fd, buf, sizeof(buf));

				if (r < 0 && errno == EAGAIN)
					continue;
				/* One request, one answer; then we close first. */
				if (r > 0 && write(fd, NF_ANS, sizeof(NF_ANS) - 1) < 0)
					r = -1;
				close(fd);
			}
		}
	}
}

struct slot {
	int fd;
	uint64_t t0;
	size_t have;
	int wrote;
};

static int slot_open(int ep, const struct sockaddr_in *a, struct slot *s)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN };
	int one = 1;

	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->t0 = now_ns();
	s->have = 0;
	s->wrote = 0;
	if (connect(s->fd, (const struct sockaddr *)a, sizeof(*a)) < 0 && errno != EINPROGRESS) {
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	ev.data.ptr = s;
	epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
	return 0;
}

static void slot_close(struct slot *s)
{
	close(s->fd);
	s->fd = -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned long port = 0, listen_port = 0, secs = 4, conc = 8, i;
	struct slot slots[NF_MAX_CONC];
	struct epoll_event evs[NF_MAX_CONC];
	uint64_t done = 0, failed = 0, t_start, t_end, t;
	int opt, ep, n, k;

	while ((opt = getopt(argc, argv, "d:p:c:t:l:")) != -1) {
		switch (opt) {
		case 'd': if (inet_pton(AF_INET, optarg, &a.sin_addr) != 1) usage(); break;
		case 'p': port = tool_num(optarg, 10, 65535, usage); break;
		case 'c': conc = tool_num(optarg, 10, NF_MAX_CONC, usage); break;
		case 't': secs = tool_num(optarg, 10, 3600, usage); break;
		case 'l': listen_port = tool_num(optarg, 10, 65535, usage); break;
		default: usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (listen_port)
		return serve(listen_port, secs);
	if (!port || !a.sin_addr.s_addr || !conc)
		usage();
	a.sin_port = htons((uint16_t)port);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return 1;
	t_start = now_ns();
	t_end = t_start + (uint64_t)secs * 1000000000u;
	for (i = 0; i < conc; i++)
		if (slot_open(ep, &a, &slots[i]) < 0)
			failed++;
	while ((t = now_ns()) < t_end) {
		n = epoll_wait(ep, evs, NF_MAX_CONC, 50);
		for (k = 0; k < n; k++) {
			struct slot *s = evs[k].data.ptr;
			char buf[64];
			ssize_t r;

			if (s->fd < 0)
				continue;
			if (!s->wrote && (evs[k].events & EPOLLOUT)) {
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

				if (write(s->fd, NF_REQ, sizeof(NF_REQ) - 1) != (ssize_t)sizeof(NF_REQ) - 1) {
					failed++;
					slot_close(s);
					slot_open(ep, &a, s);
					continue;
				}
				s->wrote = 1;
				epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
				continue;
			}
			if (!(evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			r = read(s->fd, buf, sizeof(buf));
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r > 0) {
				s->have += (size_t)r;
				continue;
			}
			/* EOF (the server closed after answering) or an error. */
			if (r == 0 && s->have == sizeof(NF_ANS) - 1)
				done++;
			else
				failed++;
			slot_close(s);
			if (slot_open(ep, &a, s) < 0)
				failed++;
		}
		/* A connection stuck past its timeout counts as failed and is replaced. */
		t = now_ns();
		for (i = 0; i < conc; i++) {
			if (slots[i].fd >= 0 && t > slots[i].t0 && t - slots[i].t0 > NF_CONN_TIMEOUT_NS) {
				failed++;
				slot_close(&slots[i]);
				slot_open(ep, &a, &slots[i]);
			} else if (slots[i].fd < 0 && slot_open(ep, &a, &slots[i]) < 0) {
				failed++;
			}
		}
	}
	t = now_ns() - t_start;
	printf("newflows: %llu flows %llu failed in %.2f s rate %.1f\n", (unsigned long long)done,
	       (unsigned long long)failed, (double)t / 1e9, (double)done * 1e9 / (double)t);
	return done ? 0 : 1;
}

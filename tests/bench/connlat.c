// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark: TCP connection set-up latency. Client: N sequential connections,
 * each timed from socket() to the first byte of the echoed request; prints
 * p50/p90/p99/max in microseconds. Server (-l): a sequential echo server. */
#include "config.h"

#include <errno.h>
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
#include <sys/socket.h>
#include "../tool_num.h"

#define LAT_REQ "GET / HTTP/1.0\r\n\r\n"	/* 18 bytes, harmless to every detector */

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: connlat -d IPV4 -p PORT [-n conns] [-t max-seconds]\n"
		"       connlat -l PORT [-t lifetime-seconds]\n");
	exit(2);
}

static void set_timeouts(int fd, int secs)
{
	struct timeval tv = { secs, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Echo what each client sends until it closes; one client at a time, which is
 * all the sequential client needs. Bounded by its lifetime (SIGALRM). */
static int serve(unsigned long port, unsigned long lifetime)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, lfd;

	alarm((unsigned int)lifetime);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 512) < 0) {
		perror("connlat: listen");
		return 1;
	}
	printf("listening on %lu\n", port);
	fflush(stdout);
	for (;;) {
		char buf[512];
		ssize_t n;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		set_timeouts(fd, 2);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(fd, buf, (size_t)n) != n)
				break;
		close(fd);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return (double)v[i < n ? i : n - 1] / 1000.0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned long n = 2000, port = 0, listen_port = 0, secs = 60, i, failed = 0;
	uint64_t *lat, t_end, sum = 0;
	size_t got = 0;
	int opt, one = 1;

	while ((opt = getopt(argc, argv, "d:p:n:t:l:")) != -1) {
		switch (opt) {
		case 'd': if (inet_pton(AF_INET, optarg, &a.sin_addr) != 1) usage(); break;
		case 'p': port = tool_num(optarg, 10, 65535, usage); break;
		case 'n': n = tool_num(optarg, 10, 1000000, usage); break;
		case 't': secs = tool_num(optarg, 10, 3600, usage); break;
		case 'l': listen_port = tool_num(optarg, 10, 65535, usage); break;
		default: usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (listen_port)
		return serve(listen_port, secs);
	if (!port || !a.sin_addr.s_addr || !n)
		usage();
	a.sin_port = htons((uint16_t)port);
	lat = calloc(n, sizeof(*lat));
	if (!lat)
		return 1;
	t_end = now_ns() + (uint64_t)secs * 1000000000u;
	for (i = 0; i < n && now_ns() < t_end; i++) {
		char buf[64];
		size_t have = 0;
		uint64_t t0 = now_ns();
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			failed++;
			continue;
		}
		set_timeouts(fd, 2);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    write(fd, LAT_REQ, sizeof(LAT_REQ) - 1) != (ssize_t)sizeof(LAT_REQ) - 1) {
			failed++;
			close(fd);
			continue;
		}
		while (have < sizeof(LAT_REQ) - 1) {
			ssize_t r = read(fd, buf + have, sizeof(buf) - have);

			if (r <= 0)
				break;
			have += (size_t)r;
		}
		if (have == sizeof(LAT_REQ) - 1) {
			lat[got] = now_ns() - t0;
			sum += lat[got++];
		} else {
			failed++;
		}
		close(fd);
	}
	if (!got) {
		printf("connlat: no connection completed (%lu failed)\n", failed);
		return 1;
	}
	qsort(lat, got, sizeof(*lat), cmp_u64);
	printf("connlat: %zu connections, %lu failed, us: mean %.1f p50 %.1f p90 %.1f p99 %.1f max %.1f\n",
	       got, failed, (double)sum / (double)got / 1000.0, pct(lat, got, 0.50),
	       pct(lat, got, 0.90), pct(lat, got, 0.99), pct(lat, got, 1.0));
	free(lat);
	return 0;
}

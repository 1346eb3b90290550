// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark load: UDP datagrams to N flows round-robin with sendmmsg, bounded
 * in time and count; optionally paced. Prints what it sent. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "../tool_num.h"

#define BLAST_MAX_BATCH 256
#define BLAST_PORTS 65535u

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: udpblast -d IPV4 [-p first-port] [-n flows] [-t seconds] [-c max-packets]\n"
		"                [-s payload-bytes] [-r packets-per-second] [-b batch]\n"
		"Flow i goes from socket i / ports to port first + i %% ports (ports = 65536 - first),\n"
		"so up to 32 * 65535 flows come from distinct 5-tuples.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct mmsghdr msgs[BLAST_MAX_BATCH];
	struct iovec iov[BLAST_MAX_BATCH];
	struct sockaddr_in dst[BLAST_MAX_BATCH];
	static uint8_t payload[1472];
	unsigned long flows = 64, first = 9000, size = 64, batch = 64;
	unsigned long max_pkts = 100000000, rate = 0, ports, nsock;
	double secs = 5, t0, t1, now;
	uint64_t sent = 0, errors = 0, next = 0;
	struct in_addr daddr = { 0 };
	int *fds, opt;
	unsigned long i;

	while ((opt = getopt(argc, argv, "d:p:n:t:c:s:r:b:")) != -1) {
		switch (opt) {
		case 'd': if (inet_pton(AF_INET, optarg, &daddr) != 1) usage(); break;
		case 'p': first = tool_num(optarg, 10, 65535, usage); break;
		case 'n': flows = tool_num(optarg, 10, 32ul * BLAST_PORTS, usage); break;
		case 't': secs = (double)tool_num(optarg, 10, 3600, usage); break;
		case 'c': max_pkts = tool_num(optarg, 10, 1ul << 40, usage); break;
		case 's': size = tool_num(optarg, 10, sizeof(payload), usage); break;
		case 'r': rate = tool_num(optarg, 10, 100000000, usage); break;
		case 'b': batch = tool_num(optarg, 10, BLAST_MAX_BATCH, usage); break;
		default: usage();
		}
	}
	if (!daddr.s_addr || !first || !flows || !batch)
		usage();
	ports = 65536 - first;
	nsock = (flows + ports - 1) / ports;
	fds = calloc(nsock, sizeof(*fds));
	if (!fds)
		return 1;
	for (i = 0; i < nsock; i++) {
		int sz = 4 * 1024 * 1024;

		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0) {
			perror("socket");
			return 1;
		}
		setsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	memset(payload, 'x', sizeof(payload));
	t0 = now_s();
	now = t0;
	while (sent < max_pkts && (now = now_s()) - t0 < secs) {
		unsigned long n = batch, sock = next / ports % nsock, k;
		int r;

		if (rate) {
			/* Pace: never ahead of rate * elapsed. */
			double allowed = (now - t0) * (double)rate;

			if ((double)sent >= allowed) {
				struct timespec ts = { 0, 20000 };

				nanosleep(&ts, NULL);
				continue;
			}
			if ((double)(sent + n) > allowed + (double)batch)
				n = (unsigned long)(allowed - (double)sent) + 1;
		}
		if (n > max_pkts - sent)
			n = (unsigned long)(max_pkts - sent);
		/* One batch stays on one socket: messages of a sendmmsg share it. */
		for (k = 0; k < n; k++) {
			uint64_t f = (next + k) % flows;

			if (f / ports % nsock != sock)
				break;
			dst[k].sin_family = AF_INET;
			dst[k].sin_addr = daddr;
			dst[k].sin_port = htons((uint16_t)(first + f % ports));
			iov[k].iov_base = payload;
			iov[k].iov_len = size;
			memset(&msgs[k], 0, sizeof(msgs[k]));
			msgs[k].msg_hdr.msg_name = &dst[k];
			msgs[k].msg_hdr.msg_namelen = sizeof(dst[k]);
			msgs[k].msg_hdr.msg_iov = &iov[k];
			msgs[k].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(fds[sock], msgs, (unsigned int)k, 0);
		if (r < 0) {
			/* Count it and try the same flows again: the loop is bounded in time. */
			errors++;
			continue;
		}
		sent += (uint64_t)r;
		next += (uint64_t)r;
	}
	t1 = now_s();
	printf("sent %llu packets to %lu flows in %.3f s (%.0f pps), %llu send errors\n",
	       (unsigned long long)sent, flows, t1 - t0, (double)sent / (t1 - t0),
	       (unsigned long long)errors);
	for (i = 0; i < nsock; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

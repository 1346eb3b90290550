// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark baseline: src/packet/queue.c with a callback that accepts every packet,
 * so the only difference from minewalld is the engine. Same queue settings. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "../tool_num.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void accept_all(void *arg, const struct queue_packet *p, struct queue_verdict *v)
{
	v->action = QV_ACCEPT;
	v->set_mark = false;
}

static void usage(void)
{
	fprintf(stderr, "usage: nfq_acceptall [-q num] [-c copy_range] [-l max_len] [-o (fail open)] [-r ready-file]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	/* minewalld's defaults, except fail-open: the benchmark wants overflow to drop. */
	struct queue_cfg cfg = { .num = 0, .copy_range = 4096, .maxlen = 8192, .fail_open = false };
	const char *ready = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	struct queue_stats st;
	struct pollfd pfd;
	struct queue *q;
	int opt;

	while ((opt = getopt(argc, argv, "q:c:l:or:")) != -1) {
		switch (opt) {
		case 'q': cfg.num = (uint16_t)tool_num(optarg, 10, 65535, usage); break;
		case 'c': cfg.copy_range = (uint32_t)tool_num(optarg, 10, 65535, usage); break;
		case 'l': cfg.maxlen = (uint32_t)tool_num(optarg, 10, 1048576, usage); break;
		case 'o': cfg.fail_open = true; break;
		case 'r': ready = optarg; break;
		default: usage();
		}
	}
	log_init("nfq_acceptall", 1, LOG_LVL_INFO);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	q = queue_open(&cfg);
	if (!q)
		fatalx("cannot open queue %u", cfg.num);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	pfd.fd = queue_fd(q);
	pfd.events = POLLIN;
	while (!stop) {
		if (poll(&pfd, 1, 200) < 0 && errno != EINTR)
			fatal("poll");
		if (pfd.revents & POLLIN && queue_process(q, accept_all, NULL) < 0)
			fatalx("queue %u: receive failed", cfg.num);
	}
	queue_get_stats(q, &st);
	printf("nfq_acceptall: %llu packets, %llu verdict messages, %llu enobufs, %llu errors\n",
	       (unsigned long long)st.packets, (unsigned long long)st.verdict_msgs,
	       (unsigned long long)st.enobufs, (unsigned long long)st.errors);
	queue_close(q);
	return 0;
}

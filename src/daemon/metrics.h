/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prometheus endpoint: a tiny HTTP server in the event loop serving GET /metrics
 * in the text exposition format 0.0.4. */
#ifndef MW_METRICS_H
#define MW_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "evloop.h"
#include "mwstats.h"

#define METRICS_MAX_CLIENTS 16
#define METRICS_MAX_REQUEST 8192	/* request line + headers */
#define METRICS_IDLE_MS 5000

/* Judge the bytes received so far: 0 while the head is incomplete, else the
 * HTTP status to answer: 200 (GET /metrics), 404, 405 or 400. */
int metrics_http_check(const uint8_t *buf, size_t len);

/* The exposition text for a snapshot. */
void metrics_render(FILE *f, const struct mwstats *st);

struct metrics;

/* Listen on addr:port and serve snapshots from fn. NULL on error (logged). */
struct metrics *metrics_open(struct evloop *loop, const char *listen, mwstats_fn fn, void *arg);
void metrics_close(struct metrics *m);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Publishing our own detections as a signed feed: snapshot, delta, index, written atomically. */
#ifndef MW_FEED_PUB_H
#define MW_FEED_PUB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "ep_table.h"

/* One detection to publish: an address entry, or a domain when domain is set. */
struct feed_pub_item {
	struct ep_entry ep;
	const char *domain;
	uint64_t ttl;		/* seconds */
	const char *reason;	/* may be NULL */
};

/* The daemon fills *items (malloc'd array, freed by feed_pub with free()) and
 * *n; the strings must live until the callback is called again. 0 or -1. */
typedef int (*feed_pub_collect_cb)(struct feed_pub_item **items, size_t *n, void *arg);

struct feed_pub;
/* NULL with errno 0 when publishing is off (no dir or key), NULL with errno
 * set on error (unreadable or encrypted key: the key must be unencrypted). */
struct feed_pub *feed_pub_new(const struct mw_conf *c, feed_pub_collect_cb collect, void *arg);
/* Publish when publish.interval has passed since the last time. 0 or -1. */
int feed_pub_tick(struct feed_pub *p, time_t now);
/* Publish now: "feed" (snapshot) and "feed.minisig", "delta-BASE-SERIAL" and
 * its .minisig against the previous snapshot, then "index" ("serial N"). */
int feed_pub_now(struct feed_pub *p, time_t now);
uint64_t feed_pub_serial(const struct feed_pub *p);
void feed_pub_free(struct feed_pub *p);

#endif

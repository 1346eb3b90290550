/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Publishing our own detections as a signed feed: snapshots, deltas and the index, written atomically. */
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
struct evloop;
/* NULL with errno 0 when publishing is off (no dir or key), NULL with errno
 * set on error (unreadable or encrypted key: the key must be unencrypted).
 * The publisher takes up where the files in its directory left off: serial,
 * snapshot and deltas. loop (may be NULL: no debounce timer, tests call
 * feed_pub_delta) runs the debounce of feed_pub_poke. */
struct feed_pub *feed_pub_new(const struct mw_conf *c, struct evloop *loop,
			      feed_pub_collect_cb collect, void *arg);
/* A detection changed what we block: a delta goes out publish.debounce_ms
 * later, with every change made meanwhile (a burst makes one delta). */
void feed_pub_poke(struct feed_pub *p);
/* Publish when publish.interval has passed since the last snapshot. 0 or -1. */
int feed_pub_tick(struct feed_pub *p, time_t now);
/* Publish now, with a snapshot: "feed" and "feed.minisig", the delta from
 * the previous serial ("delta-BASE-SERIAL" and its .minisig), then the signed
 * "index" naming the snapshot and the chain of deltas. 0 or -1. */
int feed_pub_now(struct feed_pub *p, time_t now);
/* Publish now, a delta only (the snapshot stays): nothing when nothing
 * changed; a snapshot when there is none yet or the chain since it is long. */
int feed_pub_delta(struct feed_pub *p, time_t now);
uint64_t feed_pub_serial(const struct feed_pub *p);
void feed_pub_free(struct feed_pub *p);

#endif

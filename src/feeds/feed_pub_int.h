/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by feed_pub.c and feed_pub_disk.c only: the publisher and its files. */
#ifndef MW_FEED_PUB_INT_H
#define MW_FEED_PUB_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "feed.h"
#include "feed_index.h"
#include "feed_pub.h"
#include "minisign.h"

/* Deltas the index keeps at most, and how many may follow a snapshot before
 * the next publication writes a snapshot anyway (a subscriber that falls
 * back fetches the snapshot and at most that many deltas). */
#define PUB_KEEP_LINKS		64
#define PUB_MAX_SINCE_SNAPSHOT	48
/* A delta file the index no longer names is removed this long after it was
 * written: a subscriber holding an older index may still ask for it. */
#define PUB_DELTA_GRACE		600

struct feed_pub {
	char *dir;
	char provider[FEED_PROVIDER_MAX];
	struct minisign_seckey sk;
	unsigned int interval, validity, debounce_ms;
	feed_pub_collect_cb collect;
	void *arg;
	uint64_t serial;	/* the newest published */
	struct feed cur;	/* the set of the newest serial, for the next delta */
	bool have_cur;
	struct feed_index *idx;	/* the index last written (have_idx) */
	bool have_idx;
	uint64_t prev_snapshot;	/* serial of the snapshot before idx->snapshot */
	time_t last_snapshot;	/* 0: none written in this run */
	struct evloop *loop;
	int tfd;		/* the debounce timer */
	bool armed;
};

/* feed_pub_disk.c: sign body and write it and NAME.minisig; the index's
 * signature goes first (sig_first), so a reader that sees the new index
 * finds its signature. 0 or -1. */
int feed_pub_write_signed(struct feed_pub *p, const char *name, const char *body, size_t len,
			  bool sig_first);
/* At start: the serial, the index and the newest set from the directory
 * (the snapshot and the deltas the index names, their hashes checked). What
 * cannot be rebuilt makes the next publication a snapshot with no deltas. */
void feed_pub_load(struct feed_pub *p);
/* Remove delta files the index does not name, once PUB_DELTA_GRACE passed. */
void feed_pub_prune(struct feed_pub *p, time_t now);

#endif

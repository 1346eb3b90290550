/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Feed subscriptions: fetch on a schedule, verify, accept, persist, hand the result to the daemon. */
#ifndef MW_FEED_SUB_H
#define MW_FEED_SUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "ep_table.h"
#include "feed.h"
#include "feed_fetch.h"

struct evloop;
struct feed_subs;

/* How the set handed to apply came to be. */
struct feed_apply_info {
	enum feed_kind via;	/* FEED_DELTA: deltas on the set in force;
				 * FEED_SNAPSHOT: a snapshot (and the deltas after it) */
	uint64_t from;		/* the serial in force before; 0: none */
	unsigned int deltas;	/* deltas merged */
	bool cached;		/* the last good copy from state_dir, at start */
};

/* Called with the FULL set of entries a feed now wants (kind FEED_SNAPSHOT,
 * entries sorted by feed_entry_cmp, all FEED_ADD): deltas have already been
 * merged onto the previous set. Return 0 once applied atomically, -1 when
 * nothing was changed: then the feed's state does not advance and the next
 * fetch tries again. Runs in the event loop's thread. */
typedef int (*feed_apply_cb)(const char *name, const struct feed *f,
			     const struct feed_apply_info *how, void *arg);

/* Polls of the index by result. */
enum feed_poll_result { FEED_POLL_304 = 0, FEED_POLL_200, FEED_POLL_ERROR, FEED_POLL_MAX };

struct feed_sub_status {
	char name[FEED_PROVIDER_MAX];
	const char *url;		/* owned by the subscription */
	bool have;			/* a feed is applied */
	uint64_t serial;		/* of the applied feed */
	int64_t expires;
	time_t last_ok;			/* last fetch that ended applied or unchanged; 0 never */
	time_t last_error_time;		/* 0 never */
	char last_error[256];		/* "" none; "rollback: serial 3 is lower ..." */
	unsigned long rejected;		/* feeds refused by verification or policy */
	unsigned long errors;		/* fetch and apply failures */
	unsigned int failures;		/* consecutive, drives the backoff */
	size_t entries;			/* applied */
	time_t next_fetch;
	int64_t issued;			/* of the serial in force; 0: none */
	bool index;			/* the provider's index is polled (else snapshots) */
	unsigned long polls[FEED_POLL_MAX];	/* index polls: 304, 200, error */
	unsigned long delta_applies;	/* sets applied through deltas */
	unsigned long snapshot_applies;	/* sets applied through a snapshot */
	unsigned long fallbacks;	/* deltas missing or bad: the snapshot instead */
};

/* Subscriptions from c->feeds. loop NULL: no fetch thread and no timer
 * (tests drive feed_subs_process). NULL on error. */
struct feed_subs *feed_subs_new(const struct mw_conf *c, struct evloop *loop,
				feed_apply_cb apply, void *arg);
/* Addresses no feed may block (copied): see feed_protect_gather. */
int feed_subs_set_protect(struct feed_subs *s, const struct ep_entry *p, size_t n);
/* Load each feed's last good copy from state_dir, verify it again and apply
 * it, then schedule the first polls (spread over a poll period). 0, or -1
 * only when state_dir is unusable.
 *
 * A feed with poll > 0 polls DIR/index next to its url (a conditional GET:
 * 304 costs a few hundred bytes) and, when it names a newer serial, fetches
 * the deltas from the serial in force (DIR/delta-BASE-SERIAL), verifies each
 * and applies them at once; a delta that is missing or bad makes it take the
 * snapshot (url) and the deltas after it instead. Without an index (404) it
 * fetches the snapshot every interval. */
int feed_subs_start(struct feed_subs *s);
/* Fetch now (minewallctl feeds sync); name NULL: every feed. 0, or -1 when no
 * feed has that name. */
int feed_subs_sync_now(struct feed_subs *s, const char *name);
/* Fill up to max entries; returns the number of subscriptions. */
size_t feed_subs_status(const struct feed_subs *s, struct feed_sub_status *out, size_t max);
void feed_subs_free(struct feed_subs *s);

/* The seam between fetching and deciding: handle one finished fetch of feed
 * name's snapshot (a feed job: body, signature, keys) at time now. Tests call
 * it with hand-made results. Returns the verdict (FEED_OK when applied,
 * FEED_UNCHANGED, a rejection, or FEED_E_SYSTEM for fetch/apply/disk errors). */
enum feed_verdict feed_subs_process(struct feed_subs *s, const char *name,
				    const struct feed_fetch_job *job, time_t now);
/* Without an event loop (tests): one whole poll of feed name now, every
 * transfer run inline (index, deltas, the snapshot when they fail). Returns
 * the verdict of its last step. */
enum feed_verdict feed_subs_poll_sync(struct feed_subs *s, const char *name);

/* How many subscriptions currently list e (same type and value). */
unsigned int feed_subs_listed_by(const struct feed_subs *s, const struct feed_entry *e);
/* The action for entry e of feed name, corroboration included. */
enum conf_feed_action feed_subs_decide(const struct feed_subs *s, const char *name,
				       const struct feed_entry *e);

/* The gateway's own addresses (getifaddrs), the name servers in resolv_conf
 * (NULL: /etc/resolv.conf; absent is fine) and allow[] into a malloc'd array. */
int feed_protect_gather(const char *resolv_conf, const struct ep_entry *allow, size_t nallow,
			struct ep_entry **out, size_t *n);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by feed_sub.c and feed_sub_store.c only: the subscriptions and what one calls in the other. */
#ifndef MW_FEED_SUB_INT_H
#define MW_FEED_SUB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "feed.h"
#include "feed_fetch.h"
#include "feed_sub.h"
#include "minisign.h"

#define SUB_MAX_KEYS	(CONF_MAX_PUBKEYS + 8)	/* pinned + learnt by rotation */

struct evloop;
struct feed_fetcher;

struct feed_sub {
	char name[FEED_PROVIDER_MAX];
	char provider[FEED_PROVIDER_MAX];
	char *url;
	enum conf_feed_action action;
	unsigned int interval;
	struct feed_limits lim;
	struct minisign_pubkey keys[SUB_MAX_KEYS];
	size_t nkeys, npinned;
	struct feed_state st;		/* last applied, as persisted */
	bool applied;			/* cur was handed to apply() in this run */
	struct feed cur;		/* the full set apply() last accepted */
	struct feed_fetch_cache cache;	/* validators of the body behind cur */
	struct feed_fetch_job job;
	bool busy;
	time_t next_at;
	struct feed_subs *owner;
	struct feed_sub_status status;
};

struct feed_subs {
	struct feed_sub *subs;
	size_t n;
	char *state_dir;
	unsigned int corroborate;
	struct feed_policy pol;
	struct ep_entry *protect;
	struct feed_fetch_opts fopts;
	feed_apply_cb apply;
	void *arg;
	struct evloop *loop;
	struct feed_fetcher *fetcher;
	int tfd;
};

/* feed_sub.c: a failed fetch, verification or apply: counted in the status,
 * logged, the feed keeps its serial. */
void feed_sub_error(struct feed_sub *sub, time_t now, bool rejected, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A fetch that ended applied or unchanged, into the status. */
void feed_sub_ok(struct feed_sub *sub, time_t now);
/* The full set after f on top of cur, as a sorted snapshot of adds. 0, or -1. */
int feed_sub_want_build(const struct feed *cur, const struct feed *f, struct feed *out);
/* Whether k is one of the feed's keys, pinned or learnt. */
bool feed_sub_key_known(const struct feed_sub *sub, const struct minisign_pubkey *k);

/* feed_sub_store.c: save feed f as fetched in job (body and signature as
 * signed, then the state line, the commit point). 0, or -1. */
int feed_sub_persist(struct feed_subs *s, struct feed_sub *sub, const struct feed *f,
		     const struct feed_fetch_job *job);
/* Save the keys learnt by rotation. 0, or -1. */
int feed_sub_persist_keys(struct feed_subs *s, struct feed_sub *sub);
/* The feed's learnt keys, state and cached files, verified again and applied;
 * on a failure the state stays (it still refuses replays) and nothing is applied. */
void feed_sub_load(struct feed_subs *s, struct feed_sub *sub, time_t now);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the feed_sub*.c files only: the subscriptions and what one calls in the other. */
#ifndef MW_FEED_SUB_INT_H
#define MW_FEED_SUB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "feed.h"
#include "feed_fetch.h"
#include "feed_index.h"
#include "feed_sub.h"
#include "minisign.h"

#define SUB_MAX_KEYS	(CONF_MAX_PUBKEYS + 8)	/* pinned + learnt by rotation */
/* Deltas kept in state_dir on top of the cached snapshot: past this many the
 * next update takes the provider's newer snapshot, so a restart re-verifies
 * a short chain. */
#define SUB_MAX_CACHED_DELTAS	128

struct evloop;
struct feed_fetcher;

/* What the job in flight is for. */
enum sub_phase {
	PH_IDLE = 0,
	PH_FEED,	/* the snapshot with its signature and keys (no index) */
	PH_INDEX,	/* the index (conditional) and its signature */
	PH_DELTAS,	/* the deltas from the serial in force */
	PH_SNAPSHOT,	/* the snapshot the index names and the deltas after it */
};

struct feed_sub {
	char name[FEED_PROVIDER_MAX];
	char provider[FEED_PROVIDER_MAX];
	char *url;
	char *dir_url;			/* url up to its last '/': where index and deltas are */
	enum conf_feed_action action;
	unsigned int interval;		/* seconds between snapshot fetches without an index */
	unsigned int poll;		/* seconds between index polls; 0: no index */
	struct feed_limits lim;
	struct minisign_pubkey keys[SUB_MAX_KEYS];
	size_t nkeys, npinned;
	struct feed_state st;		/* last applied, as persisted */
	bool applied;			/* cur was handed to apply() in this run */
	struct feed cur;		/* the full set apply() last accepted */
	struct feed_fetch_cache cache;	/* validators of the body behind cur */
	/* The index: validators of the last one fully handled (the next poll's
	 * condition), the verified one being acted on and its validators. */
	struct feed_fetch_cache idx_cache, idx_pending;
	struct feed_index *idx;
	bool no_index;			/* the last poll found none: snapshots every interval */
	bool idx_retried;		/* one immediate retry after a bad index signature */
	uint64_t cached_snapshot;	/* serial of NAME.snapshot in state_dir */
	unsigned int cached_deltas;	/* NAME.delta.* on top of it */
	uint64_t keys_due_ms;		/* when to fetch the keys document again */
	enum sub_phase phase;
	enum feed_verdict last_v;	/* of the last step, for feed_subs_poll_sync */
	struct feed_fetch_job job;
	bool busy;
	uint64_t next_at;		/* wall-clock ms of the next poll */
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

/* A file of a chain as fetched or cached: what feed_sub_persist writes. */
struct sub_file {
	enum feed_kind kind;
	uint64_t serial;
	const uint8_t *body, *sig;
	size_t len, sig_len;
};

/* feed_sub.c: the directory part of a feed URL, with its '/' (malloc'd). */
char *feed_sub_dir_url(const char *url);
/* The subscription of that name, or NULL. */
struct feed_sub *feed_sub_find(const struct feed_subs *s, const char *name);
/* A failed fetch, verification or apply: counted in the status, logged, the
 * feed keeps its serial. */
void feed_sub_error(struct feed_sub *sub, time_t now, bool rejected, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A fetch that ended applied or unchanged, into the status. */
void feed_sub_ok(struct feed_sub *sub, time_t now);
/* Whether k is one of the feed's keys, pinned or learnt. */
bool feed_sub_key_known(const struct feed_sub *sub, const struct minisign_pubkey *k);
/* A keys document fetched beside the feed (both results may be errors:
 * none is the usual case); a verified one may pin the next key. */
void feed_sub_keys_doc(struct feed_subs *s, struct feed_sub *sub, const struct feed_fetch_result *keys,
		       const struct feed_fetch_result *keys_sig, time_t now);
/* want (moved from) into apply(): on success it becomes cur. FEED_OK or FEED_E_SYSTEM. */
enum feed_verdict feed_sub_apply(struct feed_subs *s, struct feed_sub *sub, struct feed *want,
				 const struct feed_apply_info *how, time_t now);

/* feed_sub_poll.c: the polling schedule and its jobs: the timer and the fetch
 * thread (with a loop), the first poll spread over a poll period. */
int feed_sub_poll_init(struct feed_subs *s);
void feed_sub_poll_fini(struct feed_subs *s);
void feed_sub_schedule_first(struct feed_sub *sub, uint64_t now_ms, size_t i);
void feed_sub_arm(struct feed_subs *s);
/* A poll now: the index when the feed has one, else the snapshot. */
void feed_sub_poll_start(struct feed_subs *s, struct feed_sub *sub);

/* feed_sub_chain.c: a finished deltas or snapshot job against the verified
 * index sub->idx: verify every file, merge, apply once, persist. */
enum feed_verdict feed_sub_chain(struct feed_subs *s, struct feed_sub *sub, bool with_snapshot,
				 time_t now);

/* feed_sub_store.c: save the files of a chain (at most one snapshot, first),
 * then the state line, the commit point; a snapshot drops the older deltas. 0, or -1. */
int feed_sub_persist(struct feed_subs *s, struct feed_sub *sub, const struct sub_file *files,
		     size_t n);
/* Save the keys learnt by rotation. 0, or -1. */
int feed_sub_persist_keys(struct feed_subs *s, struct feed_sub *sub);
/* The feed's learnt keys, state and cached files, verified again and applied;
 * on a failure the state stays (it still refuses replays) and nothing is applied. */
void feed_sub_load(struct feed_subs *s, struct feed_sub *sub, time_t now);
/* The time a link of a chain is checked at: now for the last one; for the
 * others a moment they were valid, since only the newest must be fresh. */
time_t feed_sub_link_time(const struct feed *f, time_t now, bool last);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/* Polling a feed: a conditional GET of its index every few seconds, then its deltas or snapshot.
 *
 * One poll is a short run of jobs on the fetch thread, each decided on here in
 * the daemon's thread:
 *   PH_INDEX     index (If-None-Match / If-Modified-Since) and, when it changed,
 *                index.minisig; every `interval` also the keys document.
 *                304: done. A verified, newer index: PH_DELTAS from the serial
 *                in force when the index lists it, else PH_SNAPSHOT. None
 *                there (404): PH_FEED, and the next poll after `interval`.
 *   PH_DELTAS    the deltas from the serial in force to the newest; all good:
 *                applied at once. One missing or bad: counted, PH_SNAPSHOT.
 *   PH_SNAPSHOT  the snapshot the index names and the deltas after it.
 *   PH_FEED      the snapshot, its signature and keys (feeds without an index).
 * The next poll comes `poll` seconds later, jittered by +-20 % so thousands
 * of subscribers do not arrive in step; failures back off exponentially. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <sodium.h>

#include "clock.h"
#include "evloop.h"
#include "feed_sub_int.h"
#include "log.h"

#define BACKOFF_FACTOR	8		/* snapshot feeds: failures wait at most interval * 8 ... */
#define BACKOFF_CAP	86400		/* ... and never more than a day */
#define SMALL_MAX	(64 * 1024)	/* signatures and keys documents */
#define INDEX_TIMEOUT	10		/* seconds for an index or signature transfer */

static void job_done(struct feed_fetch_job *job, void *arg);

/* ---- schedule ---- */

void feed_sub_arm(struct feed_subs *s)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	uint64_t now = now_wall_ms(), next = 0;
	size_t i;

	if (s->tfd < 0)
		return;
	for (i = 0; i < s->n; i++)
		if (!s->subs[i].busy && (!next || s->subs[i].next_at < next))
			next = s->subs[i].next_at;
	if (!next)
		return;	/* every feed is being fetched; their completions re-arm */
	/* A zero it_value disarms: "now" is one nanosecond. */
	if (next > now) {
		its.it_value.tv_sec = (time_t)((next - now) / 1000);
		its.it_value.tv_nsec = (long)((next - now) % 1000) * 1000000L;
	} else {
		its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(s->tfd, 0, &its, NULL) < 0)
		log_warn("feeds: timerfd_settime");
}

static bool index_mode(const struct feed_sub *sub)
{
	return sub->poll && !sub->no_index;
}

/* d ms jittered into [0.8 d, 1.2 d]. */
static uint64_t jitter(uint64_t d)
{
	return d - d / 5 + (d ? randombytes_uniform((uint32_t)(2 * d / 5 + 1)) : 0);
}

static void schedule(struct feed_sub *sub, uint64_t now)
{
	uint64_t d;
	unsigned int cap;

	if (sub->status.failures) {
		/* An index poller comes back within `interval` after an outage;
		 * a snapshot fetcher backs off further. */
		if (index_mode(sub)) {
			cap = sub->interval > sub->poll ? sub->interval : sub->poll;
			d = 1000ull * feed_backoff(sub->status.failures, sub->poll, cap,
						   randombytes_random());
		} else {
			cap = sub->interval * BACKOFF_FACTOR;
			if (cap > BACKOFF_CAP)
				cap = BACKOFF_CAP;
			d = 1000ull * feed_backoff(sub->status.failures,
						   sub->interval / 4 ? sub->interval / 4 : 1, cap,
						   randombytes_random());
		}
	} else if (index_mode(sub)) {
		d = jitter(1000ull * sub->poll);
	} else {
		d = 1000ull * sub->interval;
	}
	sub->next_at = now + d;
	sub->status.next_fetch = (time_t)(sub->next_at / 1000);
}

void feed_sub_schedule_first(struct feed_sub *sub, uint64_t now_ms, size_t i)
{
	/* Spread the first polls over a poll period (snapshot feeds: a few
	 * seconds), so gateways restarted together do not poll in step. */
	if (sub->poll)
		sub->next_at = now_ms + randombytes_uniform(1000u * sub->poll);
	else
		sub->next_at = now_ms + 1000ull * (i % 5);
	sub->status.next_fetch = (time_t)(sub->next_at / 1000);
}

/* ---- jobs ---- */

/* Hand the job to the fetch thread, or run it here without a loop. */
static void submit(struct feed_subs *s, struct feed_sub *sub, enum sub_phase ph)
{
	struct feed_fetch_job *job = &sub->job;

	job->opts = s->fopts;
	job->opts.max_size = sub->lim.max_size;
	/* An index is small and polled often: a stuck server must not hold the
	 * fetch thread for the whole feed timeout. */
	if (ph == PH_INDEX && job->opts.total_timeout > INDEX_TIMEOUT)
		job->opts.total_timeout = INDEX_TIMEOUT;
	job->done = job_done;
	job->arg = sub;
	sub->phase = ph;
	sub->busy = true;
	if (s->fetcher) {
		feed_fetcher_submit(s->fetcher, job);
		return;
	}
	feed_fetch_job_clear(job);
	feed_fetch_job_run(job);
	job_done(job, sub);
}

static void submit_feed(struct feed_subs *s, struct feed_sub *sub)
{
	struct feed_fetch_job *job = &sub->job;

	feed_fetch_job_free_items(job);
	job->url = sub->url;
	/* Without the set in memory a 304 would leave us with nothing: ask for the body. */
	if (sub->applied)
		job->cond = sub->cache;
	else
		memset(&job->cond, 0, sizeof(job->cond));
	job->want_keys = 1;
	submit(s, sub, PH_FEED);
}

static int add_pair(struct feed_fetch_job *job, const char *dir, const char *name, size_t max,
		    unsigned int flags)
{
	size_t n = strlen(dir) + strlen(name) + sizeof(".keys.minisig");
	char *u = malloc(n);
	int rc;

	if (!u)
		return -1;
	snprintf(u, n, "%s%s", dir, name);
	rc = feed_fetch_job_add(job, u, max, NULL, flags);
	snprintf(u, n, "%s%s.minisig", dir, name);
	if (rc == 0)
		rc = feed_fetch_job_add(job, u, SMALL_MAX, NULL, flags | FETCH_IF_PREV_OK);
	free(u);
	return rc;
}

static void submit_index(struct feed_subs *s, struct feed_sub *sub, bool cond)
{
	struct feed_fetch_job *job = &sub->job;
	uint64_t now = now_wall_ms();
	size_t n = strlen(sub->dir_url) + sizeof("index.minisig");
	char *u = malloc(n);
	int rc = -1;

	feed_fetch_job_free_items(job);
	if (!u)
		goto out;
	snprintf(u, n, "%sindex", sub->dir_url);
	/* Without the set in memory, or after a bad signature, ask for the body. */
	rc = feed_fetch_job_add(job, u, FEED_INDEX_MAX_SIZE,
				cond && sub->applied ? &sub->idx_cache : NULL, 0);
	snprintf(u, n, "%sindex.minisig", sub->dir_url);
	if (rc == 0)
		rc = feed_fetch_job_add(job, u, SMALL_MAX, NULL, FETCH_IF_PREV_OK);
	/* The keys document now and then, not on every poll. */
	if (rc == 0 && now >= sub->keys_due_ms) {
		rc = add_pair(job, sub->url, ".keys", SMALL_MAX, FETCH_OPTIONAL);
		/* The pair's second item needs the first, and neither may stop the job. */
		sub->keys_due_ms = now + 1000ull * sub->interval;
	}
	free(u);
out:
	if (rc < 0) {
		sub->last_v = FEED_E_SYSTEM;
		feed_sub_error(sub, time(NULL), false, "out of memory");
		schedule(sub, now);
		return;
	}
	submit(s, sub, PH_INDEX);
}

static size_t link_max(const struct feed_sub *sub, const struct feed_index_link *k)
{
	return k->size < sub->lim.max_size ? (size_t)k->size : sub->lim.max_size;
}

/* The deltas from link first on (PH_DELTAS), or the snapshot and the deltas
 * after it (PH_SNAPSHOT), of the verified index in sub->idx. */
static void submit_chain(struct feed_subs *s, struct feed_sub *sub, bool with_snapshot,
			 size_t first)
{
	const struct feed_index *x = sub->idx;
	struct feed_fetch_job *job = &sub->job;
	char name[FEED_INDEX_NAME_MAX];
	size_t i;
	int rc = 0;

	feed_fetch_job_free_items(job);
	if (with_snapshot) {
		/* The whole URL: its last part need not be "feed". */
		rc = feed_fetch_job_add(job, sub->url, link_max(sub, &x->snapshot), NULL, 0);
		if (rc == 0) {
			size_t n = strlen(sub->url) + sizeof(".minisig");
			char *u = malloc(n);

			rc = -1;
			if (u) {
				snprintf(u, n, "%s.minisig", sub->url);
				rc = feed_fetch_job_add(job, u, SMALL_MAX, NULL, FETCH_IF_PREV_OK);
				free(u);
			}
		}
	}
	for (i = first; rc == 0 && i < x->n_links; i++) {
		feed_index_delta_name(x->links[i].base, x->links[i].serial, name);
		/* Cut at what the index announces, never past max_size. */
		rc = add_pair(job, sub->dir_url, name, link_max(sub, &x->links[i]), 0);
	}
	if (rc < 0) {
		sub->last_v = FEED_E_SYSTEM;
		feed_sub_error(sub, time(NULL), false, "out of memory");
		schedule(sub, now_wall_ms());
		return;
	}
	submit(s, sub, with_snapshot ? PH_SNAPSHOT : PH_DELTAS);
}

/* The snapshot the index names and the deltas that lead from it to the newest. */
static void submit_snapshot(struct feed_subs *s, struct feed_sub *sub)
{
	const struct feed_index *x = sub->idx;

	submit_chain(s, sub, true, x->snapshot.serial == x->serial ? x->n_links :
		     (size_t)feed_index_find(x, x->snapshot.serial));
}

void feed_sub_poll_start(struct feed_subs *s, struct feed_sub *sub)
{
	if (sub->poll) {
		/* A feed found without an index is checked for one again every
		 * interval, before its snapshot. */
		sub->idx_retried = false;
		submit_index(s, sub, true);
	} else {
		submit_feed(s, sub);
	}
}

/* ---- the index ---- */

/* Where the verified index leads: nothing, the deltas, or the snapshot. */
static void index_plan(struct feed_subs *s, struct feed_sub *sub)
{
	const struct feed_index *x = sub->idx;
	int k = sub->applied ? feed_index_find(x, sub->st.serial) : -1;

	if (k >= 0 && sub->cached_deltas + (x->n_links - (size_t)k) > SUB_MAX_CACHED_DELTAS &&
	    x->snapshot.serial > sub->cached_snapshot) {
		log_info("feed %s: %u deltas cached on snapshot %llu: taking snapshot %llu", sub->name,
			 sub->cached_deltas, (unsigned long long)sub->cached_snapshot,
			 (unsigned long long)x->snapshot.serial);
		k = -1;
	}
	if (k >= 0)
		submit_chain(s, sub, false, (size_t)k);
	else
		submit_snapshot(s, sub);
}

/* The index job is back: 304, none, an error, or a new index to verify.
 * What comes next (a deltas or snapshot job) is submitted from here. */
static void index_done(struct feed_subs *s, struct feed_sub *sub, time_t now)
{
	struct feed_fetch_job *job = &sub->job;
	const struct feed_fetch_result *r = &job->items[0].r, *sig = &job->items[1].r;
	struct feed_policy pol = s->pol;
	enum feed_verdict v;
	char err[512];

	if (job->n_items >= 4)
		feed_sub_keys_doc(s, sub, &job->items[2].r, &job->items[3].r, now);
	sub->last_v = FEED_E_SYSTEM;
	if (r->status == FETCH_UNCHANGED) {
		sub->last_v = FEED_UNCHANGED;
		sub->status.polls[FEED_POLL_304]++;
		sub->status.index = true;
		feed_sub_ok(sub, now);
		return;
	}
	if (r->status != FETCH_OK) {
		sub->status.polls[FEED_POLL_ERROR]++;
		if (r->missing) {
			/* The provider publishes no index: its snapshot, every interval. */
			if (!sub->no_index)
				log_info("feed %s: no index at %sindex (%s): fetching the snapshot "
					 "every %us", sub->name, sub->dir_url, r->reason, sub->interval);
			sub->no_index = true;
			sub->status.index = false;
			submit_feed(s, sub);
			return;
		}
		feed_sub_error(sub, now, false, "index fetch: %s", r->reason);
		return;
	}
	sub->status.polls[FEED_POLL_200]++;
	if (sub->no_index)
		log_info("feed %s: the provider now publishes an index: polling it every %us",
			 sub->name, sub->poll);
	sub->no_index = false;
	sub->status.index = true;
	if (sig->status != FETCH_OK || !sig->body) {
		feed_sub_error(sub, now, false, "index signature fetch: %s", sig->reason);
		return;
	}
	v = feed_index_verify(r->body, r->len, (const char *)sig->body, sig->len, sub->keys,
			      sub->nkeys, sub->idx, err, sizeof(err));
	/* The provider writes the signature, then the index: a poll between the
	 * two renames may pair them wrongly. One immediate retry tells that
	 * apart from a forgery. */
	if ((v == FEED_E_SIGNATURE || v == FEED_E_COMMENT) && !sub->idx_retried) {
		sub->idx_retried = true;
		submit_index(s, sub, false);
		return;
	}
	if (v == FEED_OK) {
		pol.provider = sub->provider;
		v = feed_index_accept(&sub->st, sub->idx, &pol, now, err, sizeof(err));
	}
	sub->last_v = v;
	if (v == FEED_UNCHANGED && sub->applied) {
		sub->idx_cache = r->cache;
		feed_sub_ok(sub, now);
		return;
	}
	if (v != FEED_OK && v != FEED_UNCHANGED) {
		feed_sub_error(sub, now, true, "index %s: %s", feed_verdict_str(v), err);
		return;
	}
	sub->idx_pending = r->cache;
	index_plan(s, sub);
}

/* ---- completions ---- */

static void job_done(struct feed_fetch_job *job, void *arg)
{
	struct feed_sub *sub = arg;
	struct feed_subs *s = sub->owner;
	time_t now = time(NULL);
	enum sub_phase ph = sub->phase;
	enum feed_verdict v;

	sub->busy = false;
	sub->phase = PH_IDLE;
	switch (ph) {
	case PH_INDEX:
		index_done(s, sub, now);
		break;
	case PH_DELTAS:
		v = feed_sub_chain(s, sub, false, now);
		if (v == FEED_OK) {
			sub->idx_cache = sub->idx_pending;
			break;
		}
		/* A missing or bad delta: the snapshot and what follows it. */
		sub->status.fallbacks++;
		log_warnx("feed %s: falling back to the snapshot", sub->name);
		submit_snapshot(s, sub);
		break;
	case PH_SNAPSHOT:
		v = feed_sub_chain(s, sub, true, now);
		if (v == FEED_OK || v == FEED_UNCHANGED)
			sub->idx_cache = sub->idx_pending;
		break;
	case PH_FEED:
		sub->last_v = feed_subs_process(s, sub->name, job, now);
		break;
	case PH_IDLE:
		break;
	}
	/* Not busy: this poll is over (a step that submitted another one, run
	 * inline without a loop, has already been through here). */
	if (!sub->busy) {
		schedule(sub, now_wall_ms());
		feed_fetch_job_clear(job);
	}
	feed_sub_arm(s);
}

static void on_timer(struct evloop *loop, int fd, void *arg)
{
	struct feed_subs *s = arg;
	uint64_t now = now_wall_ms(), n;
	size_t i;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("feeds: timerfd read");
	for (i = 0; i < s->n; i++)
		if (!s->subs[i].busy && s->subs[i].next_at <= now)
			feed_sub_poll_start(s, &s->subs[i]);
	feed_sub_arm(s);
}

int feed_sub_poll_init(struct feed_subs *s)
{
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->tfd < 0 || evloop_add(s->loop, s->tfd, on_timer, s) < 0)
		return -1;
	s->fetcher = feed_fetcher_new(s->loop);
	return s->fetcher ? 0 : -1;
}

void feed_sub_poll_fini(struct feed_subs *s)
{
	feed_fetcher_free(s->fetcher);
	s->fetcher = NULL;
	if (s->tfd >= 0) {
		evloop_del(s->loop, s->tfd);
		close(s->tfd);
		s->tfd = -1;
	}
}

enum feed_verdict feed_subs_poll_sync(struct feed_subs *s, const char *name)
{
	struct feed_sub *sub = feed_sub_find(s, name);

	if (!sub || s->fetcher)
		return FEED_E_SYSTEM;
	sub->last_v = FEED_E_SYSTEM;
	feed_sub_poll_start(s, sub);
	return sub->last_v;
}

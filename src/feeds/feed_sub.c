// SPDX-License-Identifier: GPL-2.0-or-later
/* Feed subscriptions: per feed, fetch -> verify -> accept -> apply -> persist, or keep the last good. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <sodium.h>

#include "evloop.h"
#include "feed_sub.h"
#include "feed_sub_int.h"
#include "log.h"

#define BACKOFF_FACTOR	8			/* failures wait at most interval * 8 ... */
#define BACKOFF_CAP	86400			/* ... and never more than a day */

static struct feed_sub *sub_find(const struct feed_subs *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->subs[i].name, name) == 0)
			return &s->subs[i];
	return NULL;
}

static int entry_cmp(const void *a, const void *b)
{
	return feed_entry_cmp(a, b);
}

unsigned int feed_subs_listed_by(const struct feed_subs *s, const struct feed_entry *e)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->subs[i].applied && s->subs[i].cur.n_entries &&
		    bsearch(e, s->subs[i].cur.entries, s->subs[i].cur.n_entries,
			    sizeof(*e), entry_cmp))
			n++;
	return n;
}

enum conf_feed_action feed_subs_decide(const struct feed_subs *s, const char *name,
				       const struct feed_entry *e)
{
	const struct feed_sub *sub = sub_find(s, name);

	if (!sub)
		return FEED_ACT_ALERT;
	return conf_feed_corroborate(sub->action, feed_subs_listed_by(s, e), s->corroborate);
}

/* ---- merging a delta onto the current set ---- */

struct tagged {
	const struct feed_entry *e;
	size_t seq;
};

static int tagged_cmp(const void *a, const void *b)
{
	const struct tagged *p = a, *q = b;
	int c = feed_entry_cmp(p->e, q->e);

	if (c)
		return c;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* The full set after f: a snapshot is the set itself; a delta's last operation on a
 * (type, value) wins over cur. out becomes a sorted FEED_SNAPSHOT of adds. */
int feed_sub_want_build(const struct feed *cur, const struct feed *f, struct feed *out)
{
	size_t n = (f->kind == FEED_DELTA ? cur->n_entries : 0) + f->n_entries, i, j, k = 0;
	struct tagged *t = calloc(n ? n : 1, sizeof(*t));
	int ret = -1;

	*out = *f;
	out->entries = NULL;
	out->n_entries = 0;
	out->kind = FEED_SNAPSHOT;
	out->base = 0;
	if (!t)
		return -1;
	if (f->kind == FEED_DELTA)
		for (i = 0; i < cur->n_entries; i++, k++)
			t[k] = (struct tagged){ &cur->entries[i], k };
	for (i = 0; i < f->n_entries; i++, k++)
		t[k] = (struct tagged){ &f->entries[i], k };
	if (n)
		qsort(t, n, sizeof(*t), tagged_cmp);
	out->entries = calloc(n ? n : 1, sizeof(*out->entries));
	if (!out->entries)
		goto out;
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && feed_entry_cmp(t[i].e, t[j].e) == 0; j++)
			;
		if (t[j - 1].e->op == FEED_ADD)
			out->entries[out->n_entries++] = *t[j - 1].e;
	}
	out->announced = out->n_entries;
	ret = 0;
out:
	free(t);
	return ret;
}

/* ---- status ---- */

void feed_sub_error(struct feed_sub *sub, time_t now, bool rejected, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sub->status.last_error, sizeof(sub->status.last_error), fmt, ap);
	va_end(ap);
	sub->status.last_error_time = now;
	if (rejected)
		sub->status.rejected++;
	else
		sub->status.errors++;
	sub->status.failures++;
	log_warnx("feed %s: %s; keeping serial %llu", sub->name, sub->status.last_error,
		  (unsigned long long)sub->st.serial);
}

void feed_sub_ok(struct feed_sub *sub, time_t now)
{
	sub->status.last_ok = now;
	sub->status.failures = 0;
	sub->status.have = sub->st.have;
	sub->status.serial = sub->st.serial;
	sub->status.expires = sub->st.expires;
	sub->status.entries = sub->applied ? sub->cur.n_entries : 0;
}

/* ---- keys announced by the provider ---- */

bool feed_sub_key_known(const struct feed_sub *sub, const struct minisign_pubkey *k)
{
	size_t i;

	for (i = 0; i < sub->nkeys; i++)
		if (memcmp(sub->keys[i].keyid, k->keyid, MINISIGN_KEYID_BYTES) == 0 &&
		    memcmp(sub->keys[i].pk, k->pk, MINISIGN_PK_BYTES) == 0)
			return true;
	return false;
}

/* A keys document signed by a pinned key may announce the next key: pin it too. */
static void keys_doc(struct feed_subs *s, struct feed_sub *sub, const struct feed_fetch_job *job,
		     time_t now)
{
	struct feed_keys k;
	enum feed_verdict v;
	char err[256];

	if (job->keys.status != FETCH_OK || job->keys_sig.status != FETCH_OK ||
	    !job->keys.body || !job->keys_sig.body)
		return;	/* no keys document is the usual case */
	v = feed_keys_verify(job->keys.body, job->keys.len, (const char *)job->keys_sig.body,
			     job->keys_sig.len, sub->keys, sub->nkeys, now, &k, err, sizeof(err));
	if (v != FEED_OK) {
		feed_sub_error(sub, now, true, "keys document rejected (%s): %s",
			       feed_verdict_str(v), err);
		return;
	}
	if (strcmp(k.provider, sub->provider) != 0) {
		feed_sub_error(sub, now, true, "keys document for provider \"%s\"", k.provider);
		return;
	}
	if (!k.has_next || feed_sub_key_known(sub, &k.next))
		return;
	if (sub->nkeys == SUB_MAX_KEYS) {
		feed_sub_error(sub, now, true, "keys document: no room for another key");
		return;
	}
	sub->keys[sub->nkeys++] = k.next;
	if (feed_sub_persist_keys(s, sub) < 0)
		log_warn("feed %s: cannot save the rotated key", sub->name);
	log_info("feed %s: pinned the announced next key", sub->name);
}

static enum feed_verdict sub_apply(struct feed_subs *s, struct feed_sub *sub, struct feed *f,
				   time_t now)
{
	struct feed want;

	if (feed_sub_want_build(&sub->cur, f, &want) < 0) {
		feed_sub_error(sub, now, false, "out of memory");
		return FEED_E_SYSTEM;
	}
	if (s->apply(sub->name, &want, s->arg) < 0) {
		feed_fini(&want);
		feed_sub_error(sub, now, false, "apply failed for serial %llu",
			       (unsigned long long)f->serial);
		return FEED_E_SYSTEM;
	}
	feed_fini(&sub->cur);
	sub->cur = want;
	sub->applied = true;
	return FEED_OK;
}

enum feed_verdict feed_subs_process(struct feed_subs *s, const char *name,
				    const struct feed_fetch_job *job, time_t now)
{
	struct feed_sub *sub = sub_find(s, name);
	struct feed_policy pol = s->pol;
	struct feed f;
	enum feed_verdict v;
	char err[512];

	if (!sub)
		return FEED_E_SYSTEM;
	memset(&f, 0, sizeof(f));
	keys_doc(s, sub, job, now);
	if (job->body.status == FETCH_UNCHANGED) {
		feed_sub_ok(sub, now);
		return FEED_UNCHANGED;
	}
	if (job->body.status != FETCH_OK) {
		feed_sub_error(sub, now, false, "fetch: %s", job->body.reason);
		return FEED_E_SYSTEM;
	}
	if (job->sig.status != FETCH_OK || !job->sig.body || !job->body.body) {
		feed_sub_error(sub, now, false, "signature fetch: %s", job->sig.reason);
		return FEED_E_SYSTEM;
	}
	/* The signature is checked before a byte of the feed is parsed. */
	v = feed_verify(job->body.body, job->body.len, (const char *)job->sig.body, job->sig.len,
			sub->keys, sub->nkeys, &sub->lim, &f, err, sizeof(err));
	if (v != FEED_OK) {
		feed_sub_error(sub, now, true, "%s: %s", feed_verdict_str(v), err);
		goto out;
	}
	pol.provider = sub->provider;
	v = feed_accept(&sub->st, &f, &pol, now, err, sizeof(err));
	/* Applied before a restart but not in this run (its cache was unusable): apply again. */
	if (v == FEED_UNCHANGED && !sub->applied && f.kind == FEED_SNAPSHOT) {
		struct feed_state none = { 0 };

		v = feed_accept(&none, &f, &pol, now, err, sizeof(err));
	} else if (v == FEED_OK && f.kind == FEED_DELTA && !sub->applied) {
		v = FEED_E_BASE;
		snprintf(err, sizeof(err), "delta on serial %llu, but that set is not loaded",
			 (unsigned long long)f.base);
	}
	if (v == FEED_UNCHANGED) {
		sub->cache = job->body.cache;
		feed_sub_ok(sub, now);
		goto out;
	}
	if (v != FEED_OK) {
		feed_sub_error(sub, now, true, "%s: %s", feed_verdict_str(v), err);
		goto out;
	}
	v = sub_apply(s, sub, &f, now);
	if (v != FEED_OK)
		goto out;
	feed_state_update(&sub->st, &f);
	sub->cache = job->body.cache;
	if (feed_sub_persist(s, sub, &f, job) < 0)
		log_warn("feed %s: cannot save serial %llu in %s", sub->name,
			 (unsigned long long)f.serial, s->state_dir);
	feed_sub_ok(sub, now);
	log_info("feed %s: applied %s serial %llu, %zu entries", sub->name,
		 feed_kind_str(f.kind), (unsigned long long)f.serial, sub->cur.n_entries);
out:
	feed_fini(&f);
	return v;
}

/* ---- scheduling: one timerfd for all feeds, the fetch thread for transfers ---- */

static void arm(struct feed_subs *s)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	time_t now = time(NULL), next = 0;
	size_t i;

	if (s->tfd < 0)
		return;
	for (i = 0; i < s->n; i++)
		if (!s->subs[i].busy && (!next || s->subs[i].next_at < next))
			next = s->subs[i].next_at;
	if (!next)
		return;	/* every feed is being fetched; their completions re-arm */
	/* A zero it_value disarms: "now" is one nanosecond. */
	if (next > now)
		its.it_value.tv_sec = next - now;
	else
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(s->tfd, 0, &its, NULL) < 0)
		log_warn("feeds: timerfd_settime");
}

static void schedule(struct feed_sub *sub, time_t now)
{
	unsigned int d = sub->interval, cap;

	if (sub->status.failures) {
		cap = sub->interval * BACKOFF_FACTOR;
		if (cap > BACKOFF_CAP)
			cap = BACKOFF_CAP;
		d = feed_backoff(sub->status.failures, sub->interval / 4 ? sub->interval / 4 : 1,
				 cap, randombytes_random());
	}
	sub->next_at = now + d;
	sub->status.next_fetch = sub->next_at;
}

static void on_fetched(struct feed_fetch_job *job, void *arg)
{
	struct feed_sub *sub = arg;
	time_t now = time(NULL);

	sub->busy = false;
	feed_subs_process(sub->owner, sub->name, job, now);
	feed_fetch_job_clear(job);
	schedule(sub, now);
	arm(sub->owner);
}

static void submit(struct feed_subs *s, struct feed_sub *sub)
{
	struct feed_fetch_job *job = &sub->job;

	job->url = sub->url;
	/* Without the set in memory a 304 would leave us with nothing: ask for the body. */
	if (sub->applied)
		job->cond = sub->cache;
	else
		memset(&job->cond, 0, sizeof(job->cond));
	job->opts = s->fopts;
	job->opts.max_size = sub->lim.max_size;
	job->want_keys = 1;
	job->done = on_fetched;
	job->arg = sub;
	sub->busy = true;
	feed_fetcher_submit(s->fetcher, job);
}

static void on_timer(struct evloop *loop, int fd, void *arg)
{
	struct feed_subs *s = arg;
	time_t now = time(NULL);
	uint64_t n;
	size_t i;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("feeds: timerfd read");
	for (i = 0; i < s->n; i++)
		if (!s->subs[i].busy && s->subs[i].next_at <= now)
			submit(s, &s->subs[i]);
	arm(s);
}

/* ---- life cycle ---- */

struct feed_subs *feed_subs_new(const struct mw_conf *c, struct evloop *loop,
				feed_apply_cb apply, void *arg)
{
	struct feed_subs *s = calloc(1, sizeof(*s));
	unsigned int i, j;
	char err[256];

	if (!s)
		return NULL;
	s->tfd = -1;
	s->apply = apply;
	s->arg = arg;
	s->loop = loop;
	s->corroborate = c->feed_corroborate;
	feed_policy_default(&s->pol);
	s->pol.max_skew = c->feed_skew;
	s->pol.min_ttl = c->feed_ttl_min;
	s->pol.max_ttl = c->feed_ttl_max;
	s->pol.min_plen4 = (uint8_t)c->feed_min_prefix4;
	s->pol.min_plen6 = (uint8_t)c->feed_min_prefix6;
	feed_fetch_opts_default(&s->fopts);
	s->fopts.connect_timeout = c->feed_connect_timeout;
	s->fopts.total_timeout = c->feed_timeout;
	if (!(s->state_dir = strdup(c->feed_state_dir ? c->feed_state_dir : ".")))
		goto err;
	s->subs = calloc(c->n_feeds ? c->n_feeds : 1, sizeof(*s->subs));
	if (!s->subs)
		goto err;
	for (i = 0; i < c->n_feeds; i++) {
		const struct conf_feed *cf = &c->feeds[i];
		struct feed_sub *sub = &s->subs[s->n++];

		sub->owner = s;
		snprintf(sub->name, sizeof(sub->name), "%s", cf->name);
		snprintf(sub->provider, sizeof(sub->provider), "%s",
			 cf->provider ? cf->provider : cf->name);
		if (!(sub->url = strdup(cf->url)))
			goto err;
		sub->action = (enum conf_feed_action)cf->action;
		sub->interval = cf->interval;
		feed_limits_default(&sub->lim);
		sub->lim.max_size = cf->max_size;
		sub->lim.max_entries = cf->max_entries;
		for (j = 0; j < cf->n_pubkeys; j++) {
			if (minisign_pubkey_parse(cf->pubkeys[j], strlen(cf->pubkeys[j]),
						  &sub->keys[sub->nkeys], err, sizeof(err)) < 0) {
				log_warnx("feed %s: %s", sub->name, err);
				goto err;
			}
			sub->nkeys++;
		}
		sub->npinned = sub->nkeys;
		snprintf(sub->status.name, sizeof(sub->status.name), "%s", sub->name);
		sub->status.url = sub->url;
	}
	if (loop) {
		s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (s->tfd < 0 || evloop_add(loop, s->tfd, on_timer, s) < 0)
			goto err;
		if (!(s->fetcher = feed_fetcher_new(loop)))
			goto err;
	}
	return s;
err:
	feed_subs_free(s);
	return NULL;
}

int feed_subs_set_protect(struct feed_subs *s, const struct ep_entry *p, size_t n)
{
	struct ep_entry *copy = NULL;

	if (n && !(copy = malloc(n * sizeof(*copy))))
		return -1;
	if (n)
		memcpy(copy, p, n * sizeof(*copy));
	free(s->protect);
	s->protect = copy;
	s->pol.protect = copy;
	s->pol.n_protect = n;
	return 0;
}

int feed_subs_start(struct feed_subs *s)
{
	time_t now = time(NULL);
	size_t i;

	if (s->n && mkdir(s->state_dir, 0700) < 0 && errno != EEXIST) {
		log_warn("feeds: cannot create %s", s->state_dir);
		return -1;
	}
	for (i = 0; i < s->n; i++) {
		feed_sub_load(s, &s->subs[i], now);
		/* Spread the first fetches a little so restarts do not come in a burst. */
		s->subs[i].next_at = now + (time_t)(i % 5);
		s->subs[i].status.next_fetch = s->subs[i].next_at;
	}
	arm(s);
	return 0;
}

int feed_subs_sync_now(struct feed_subs *s, const char *name)
{
	time_t now = time(NULL);
	bool found = false;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (name && strcmp(s->subs[i].name, name) != 0)
			continue;
		s->subs[i].next_at = now;
		found = true;
	}
	arm(s);
	return found ? 0 : -1;
}

size_t feed_subs_status(const struct feed_subs *s, struct feed_sub_status *out, size_t max)
{
	size_t i;

	for (i = 0; i < s->n && i < max; i++)
		out[i] = s->subs[i].status;
	return s->n;
}

void feed_subs_free(struct feed_subs *s)
{
	size_t i;

	if (!s)
		return;
	/* The thread first: it may still hold a job that lives in a sub. */
	feed_fetcher_free(s->fetcher);
	if (s->tfd >= 0) {
		evloop_del(s->loop, s->tfd);
		close(s->tfd);
	}
	for (i = 0; i < s->n; i++) {
		feed_fini(&s->subs[i].cur);
		feed_fetch_job_clear(&s->subs[i].job);
		free(s->subs[i].url);
	}
	free(s->subs);
	free(s->protect);
	free(s->state_dir);
	free(s);
}

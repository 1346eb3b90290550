// SPDX-License-Identifier: GPL-2.0-or-later
/* Feed subscriptions: per feed, fetch -> verify -> accept -> apply -> persist, or keep the last good. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <sodium.h>

#include "evloop.h"
#include "feed_file.h"
#include "feed_sub.h"
#include "feed_text.h"
#include "log.h"

#define SUB_MAX_KEYS	(CONF_MAX_PUBKEYS + 8)	/* pinned + learnt by rotation */
#define SIG_MAX		(64 * 1024)
#define BACKOFF_FACTOR	8			/* failures wait at most interval * 8 ... */
#define BACKOFF_CAP	86400			/* ... and never more than a day */

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
static int want_build(const struct feed *cur, const struct feed *f, struct feed *out)
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

static void sub_error(struct feed_sub *sub, time_t now, bool rejected, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void sub_error(struct feed_sub *sub, time_t now, bool rejected, const char *fmt, ...)
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

static void sub_ok(struct feed_sub *sub, time_t now)
{
	sub->status.last_ok = now;
	sub->status.failures = 0;
	sub->status.have = sub->st.have;
	sub->status.serial = sub->st.serial;
	sub->status.expires = sub->st.expires;
	sub->status.entries = sub->applied ? sub->cur.n_entries : 0;
}

/* ---- persistence in state_dir ----
 * NAME.state          the feed_state line: the commit point, written last
 * NAME.snapshot(.minisig)   the last snapshot as the provider signed it
 * NAME.delta.SERIAL(.minisig)  deltas applied on top of it, in serial order
 * NAME.keys           keys learnt by rotation, one public key line each */

static int persist_feed(struct feed_subs *s, struct feed_sub *sub, const struct feed *f,
			const struct feed_fetch_job *job)
{
	char fn[FEED_PROVIDER_MAX + 48], st[256];
	DIR *d;
	struct dirent *de;
	size_t nl = strlen(sub->name);

	if (f->kind == FEED_SNAPSHOT) {
		snprintf(fn, sizeof(fn), "%s.snapshot", sub->name);
		if (feed_file_write(s->state_dir, fn, job->body.body, job->body.len) < 0)
			return -1;
		snprintf(fn, sizeof(fn), "%s.snapshot.minisig", sub->name);
		if (feed_file_write(s->state_dir, fn, job->sig.body, job->sig.len) < 0)
			return -1;
	} else {
		snprintf(fn, sizeof(fn), "%s.delta.%llu", sub->name, (unsigned long long)f->serial);
		if (feed_file_write(s->state_dir, fn, job->body.body, job->body.len) < 0)
			return -1;
		snprintf(fn, sizeof(fn), "%s.delta.%llu.minisig", sub->name,
			 (unsigned long long)f->serial);
		if (feed_file_write(s->state_dir, fn, job->sig.body, job->sig.len) < 0)
			return -1;
	}
	if (feed_state_format(&sub->st, st, sizeof(st)) < 0)
		return -1;
	snprintf(fn, sizeof(fn), "%s.state", sub->name);
	if (feed_file_write(s->state_dir, fn, st, strlen(st)) < 0)
		return -1;
	if (f->kind != FEED_SNAPSHOT)
		return 0;
	/* A new snapshot makes the old deltas useless: drop them, after the state moved. */
	d = opendir(s->state_dir);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, sub->name, nl) == 0 &&
		    strncmp(de->d_name + nl, ".delta.", 7) == 0)
			feed_file_remove(s->state_dir, de->d_name);
	closedir(d);
	return 0;
}

static int persist_keys(struct feed_subs *s, struct feed_sub *sub)
{
	char fn[FEED_PROVIDER_MAX + 16], *buf;
	size_t i, len = 0;
	int ret;

	buf = malloc((sub->nkeys - sub->npinned) * 128 + 1);
	if (!buf)
		return -1;
	buf[0] = '\0';
	for (i = sub->npinned; i < sub->nkeys; i++) {
		if (minisign_pubkey_format(&sub->keys[i], buf + len, 128) < 0) {
			free(buf);
			return -1;
		}
		len += strlen(buf + len);
	}
	snprintf(fn, sizeof(fn), "%s.keys", sub->name);
	ret = feed_file_write(s->state_dir, fn, buf, len);
	free(buf);
	return ret;
}

static bool key_known(const struct feed_sub *sub, const struct minisign_pubkey *k)
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
		sub_error(sub, now, true, "keys document rejected (%s): %s", feed_verdict_str(v),
			  err);
		return;
	}
	if (strcmp(k.provider, sub->provider) != 0) {
		sub_error(sub, now, true, "keys document for provider \"%s\"", k.provider);
		return;
	}
	if (!k.has_next || key_known(sub, &k.next))
		return;
	if (sub->nkeys == SUB_MAX_KEYS) {
		sub_error(sub, now, true, "keys document: no room for another key");
		return;
	}
	sub->keys[sub->nkeys++] = k.next;
	if (persist_keys(s, sub) < 0)
		log_warn("feed %s: cannot save the rotated key", sub->name);
	log_info("feed %s: pinned the announced next key", sub->name);
}

static enum feed_verdict sub_apply(struct feed_subs *s, struct feed_sub *sub, struct feed *f,
				   time_t now)
{
	struct feed want;

	if (want_build(&sub->cur, f, &want) < 0) {
		sub_error(sub, now, false, "out of memory");
		return FEED_E_SYSTEM;
	}
	if (s->apply(sub->name, &want, s->arg) < 0) {
		feed_fini(&want);
		sub_error(sub, now, false, "apply failed for serial %llu",
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
		sub_ok(sub, now);
		return FEED_UNCHANGED;
	}
	if (job->body.status != FETCH_OK) {
		sub_error(sub, now, false, "fetch: %s", job->body.reason);
		return FEED_E_SYSTEM;
	}
	if (job->sig.status != FETCH_OK || !job->sig.body || !job->body.body) {
		sub_error(sub, now, false, "signature fetch: %s", job->sig.reason);
		return FEED_E_SYSTEM;
	}
	/* The signature is checked before a byte of the feed is parsed. */
	v = feed_verify(job->body.body, job->body.len, (const char *)job->sig.body, job->sig.len,
			sub->keys, sub->nkeys, &sub->lim, &f, err, sizeof(err));
	if (v != FEED_OK) {
		sub_error(sub, now, true, "%s: %s", feed_verdict_str(v), err);
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
		sub_ok(sub, now);
		goto out;
	}
	if (v != FEED_OK) {
		sub_error(sub, now, true, "%s: %s", feed_verdict_str(v), err);
		goto out;
	}
	v = sub_apply(s, sub, &f, now);
	if (v != FEED_OK)
		goto out;
	feed_state_update(&sub->st, &f);
	sub->cache = job->body.cache;
	if (persist_feed(s, sub, &f, job) < 0)
		log_warn("feed %s: cannot save serial %llu in %s", sub->name,
			 (unsigned long long)f.serial, s->state_dir);
	sub_ok(sub, now);
	log_info("feed %s: applied %s serial %llu, %zu entries", sub->name,
		 feed_kind_str(f.kind), (unsigned long long)f.serial, sub->cur.n_entries);
out:
	feed_fini(&f);
	return v;
}

/* ---- start-up from state_dir ---- */

static int delta_serial_cmp(const void *a, const void *b)
{
	const uint64_t *p = a, *q = b;

	return *p < *q ? -1 : *p > *q;
}

/* Verify one cached file pair as if fetched. */
static enum feed_verdict load_one(struct feed_subs *s, struct feed_sub *sub, const char *fn,
				  struct feed_state *chain, time_t now)
{
	struct feed_fetch_job job;
	char sfn[FEED_PROVIDER_MAX + 64];
	struct feed f;
	struct feed_policy pol = s->pol;
	enum feed_verdict v = FEED_E_SYSTEM;
	char err[512];

	memset(&job, 0, sizeof(job));
	memset(&f, 0, sizeof(f));
	snprintf(sfn, sizeof(sfn), "%s.minisig", fn);
	if (feed_file_read(s->state_dir, fn, sub->lim.max_size, &job.body.body, &job.body.len) < 0 ||
	    feed_file_read(s->state_dir, sfn, SIG_MAX, &job.sig.body, &job.sig.len) < 0) {
		if (errno != ENOENT)
			log_warn("feed %s: cannot read %s/%s", sub->name, s->state_dir, fn);
		goto out;
	}
	v = feed_verify(job.body.body, job.body.len, (const char *)job.sig.body, job.sig.len,
			sub->keys, sub->nkeys, &sub->lim, &f, err, sizeof(err));
	if (v == FEED_OK) {
		pol.provider = sub->provider;
		v = feed_accept(chain, &f, &pol, now, err, sizeof(err));
	}
	if (v != FEED_OK) {
		log_warnx("feed %s: cached %s refused (%s): %s", sub->name, fn,
			  feed_verdict_str(v), err);
		goto out;
	}
	feed_state_update(chain, &f);
	{
		struct feed want;

		if (want_build(&sub->cur, &f, &want) < 0) {
			v = FEED_E_SYSTEM;
			goto out;
		}
		feed_fini(&sub->cur);
		sub->cur = want;
	}
out:
	feed_fini(&f);
	feed_fetch_job_clear(&job);
	return v;
}

static void sub_load(struct feed_subs *s, struct feed_sub *sub, time_t now)
{
	char fn[FEED_PROVIDER_MAX + 64], err[256];
	struct feed_state chain = { 0 };
	uint8_t *buf = NULL;
	uint64_t *serials = NULL;
	size_t len, n = 0, cap = 0, i, nl = strlen(sub->name);
	DIR *d;
	struct dirent *de;

	snprintf(fn, sizeof(fn), "%s.keys", sub->name);
	if (feed_file_read(s->state_dir, fn, 64 * 1024, &buf, &len) == 0) {
		const char *p = (const char *)buf, *e = p + len;

		/* Two lines per key, as minisign_pubkey_format writes them. */
		while (p < e && sub->nkeys < SUB_MAX_KEYS) {
			const char *l2 = memchr(p, '\n', (size_t)(e - p)), *l3;

			if (!l2 || !(l3 = memchr(l2 + 1, '\n', (size_t)(e - l2 - 1))))
				break;
			if (minisign_pubkey_parse(p, (size_t)(l3 + 1 - p), &sub->keys[sub->nkeys],
						  err, sizeof(err)) == 0 &&
			    !key_known(sub, &sub->keys[sub->nkeys]))
				sub->nkeys++;
			p = l3 + 1;
		}
		free(buf);
	}
	snprintf(fn, sizeof(fn), "%s.state", sub->name);
	if (feed_file_read(s->state_dir, fn, 4096, &buf, &len) < 0)
		return;
	if (feed_state_parse((const char *)buf, len, &sub->st, err, sizeof(err)) < 0) {
		log_warnx("feed %s: %s/%s: %s", sub->name, s->state_dir, fn, err);
		memset(&sub->st, 0, sizeof(sub->st));
		free(buf);
		return;
	}
	free(buf);
	sub->status.have = sub->st.have;
	sub->status.serial = sub->st.serial;
	/* The snapshot, then every delta up to the recorded serial, each verified again. */
	snprintf(fn, sizeof(fn), "%s.snapshot", sub->name);
	if (load_one(s, sub, fn, &chain, now) != FEED_OK)
		goto fail;
	d = opendir(s->state_dir);
	while (d && (de = readdir(d))) {
		uint64_t ser;
		const char *p = de->d_name + nl + 7;

		if (strncmp(de->d_name, sub->name, nl) != 0 ||
		    strncmp(de->d_name + nl, ".delta.", 7) != 0 || strchr(p, '.') ||
		    feed_u64_parse(p, strlen(p), &ser) < 0 || ser > sub->st.serial)
			continue;
		if (n == cap) {
			uint64_t *q = realloc(serials, (cap = cap ? cap * 2 : 16) * sizeof(*q));

			if (!q)
				break;
			serials = q;
		}
		serials[n++] = ser;
	}
	if (d)
		closedir(d);
	if (n)
		qsort(serials, n, sizeof(*serials), delta_serial_cmp);
	for (i = 0; i < n; i++) {
		if (serials[i] <= chain.serial)
			continue;
		snprintf(fn, sizeof(fn), "%s.delta.%llu", sub->name, (unsigned long long)serials[i]);
		if (load_one(s, sub, fn, &chain, now) != FEED_OK)
			goto fail;
	}
	free(serials);
	if (chain.serial != sub->st.serial ||
	    sodium_memcmp(chain.hash, sub->st.hash, FEED_HASH_BYTES) != 0) {
		log_warnx("feed %s: cached files end at serial %llu, state says %llu",
			  sub->name, (unsigned long long)chain.serial,
			  (unsigned long long)sub->st.serial);
		goto drop;
	}
	if (s->apply(sub->name, &sub->cur, s->arg) < 0) {
		sub_error(sub, now, false, "apply of the cached serial %llu failed",
			  (unsigned long long)sub->st.serial);
		goto drop;
	}
	sub->applied = true;
	sub_ok(sub, now);
	log_info("feed %s: applied cached serial %llu, %zu entries", sub->name,
		 (unsigned long long)sub->st.serial, sub->cur.n_entries);
	return;
fail:
	free(serials);
drop:
	/* The state stays: it still refuses replays of older feeds. */
	feed_fini(&sub->cur);
	memset(&sub->cur, 0, sizeof(sub->cur));
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
		sub_load(s, &s->subs[i], now);
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

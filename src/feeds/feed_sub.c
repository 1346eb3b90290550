// SPDX-License-Identifier: GPL-2.0-or-later
/* Feed subscriptions: per feed, fetch -> verify -> accept -> apply -> persist, or keep the last good. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "clock.h"
#include "feed_sub.h"
#include "feed_sub_int.h"
#include "log.h"


struct feed_sub *feed_sub_find(const struct feed_subs *s, const char *name)
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
	const struct feed_sub *sub = feed_sub_find(s, name);

	if (!sub)
		return FEED_ACT_ALERT;
	return conf_feed_corroborate(sub->action, feed_subs_listed_by(s, e), s->corroborate);
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
	sub->status.issued = sub->applied ? sub->cur.issued : 0;
}

/* "scheme://host/dir/feed" -> "scheme://host/dir/"; a URL without a path gets "/". */
char *feed_sub_dir_url(const char *url)
{
	const char *host = strstr(url, "://"), *slash;
	size_t n;
	char *d;

	host = host ? host + 3 : url;
	/* file:///path has an empty host: its path starts right away. */
	slash = strrchr(host, '/');
	n = slash ? (size_t)(slash + 1 - url) : strlen(url);
	d = malloc(n + 2);
	if (!d)
		return NULL;
	memcpy(d, url, n);
	if (!slash)
		d[n++] = '/';
	d[n] = '\0';
	return d;
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
void feed_sub_keys_doc(struct feed_subs *s, struct feed_sub *sub, const struct feed_fetch_result *keys,
		       const struct feed_fetch_result *keys_sig, time_t now)
{
	struct feed_keys k;
	enum feed_verdict v;
	char err[256];

	if (keys->status != FETCH_OK || keys_sig->status != FETCH_OK || !keys->body ||
	    !keys_sig->body)
		return;	/* no keys document is the usual case */
	v = feed_keys_verify(keys->body, keys->len, (const char *)keys_sig->body, keys_sig->len,
			     sub->keys, sub->nkeys, now, &k, err, sizeof(err));
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

enum feed_verdict feed_sub_apply(struct feed_subs *s, struct feed_sub *sub, struct feed *want,
				 const struct feed_apply_info *how, time_t now)
{
	if (s->apply(sub->name, want, how, s->arg) < 0) {
		feed_sub_error(sub, now, false, "apply failed for serial %llu",
			       (unsigned long long)want->serial);
		feed_fini(want);
		return FEED_E_SYSTEM;
	}
	feed_fini(&sub->cur);
	sub->cur = *want;
	memset(want, 0, sizeof(*want));
	sub->applied = true;
	if (how->via == FEED_DELTA)
		sub->status.delta_applies++;
	else
		sub->status.snapshot_applies++;
	return FEED_OK;
}

enum feed_verdict feed_subs_process(struct feed_subs *s, const char *name,
				    const struct feed_fetch_job *job, time_t now)
{
	struct feed_sub *sub = feed_sub_find(s, name);
	struct feed_policy pol = s->pol;
	struct feed f;
	enum feed_verdict v;
	char err[512];

	if (!sub)
		return FEED_E_SYSTEM;
	memset(&f, 0, sizeof(f));
	feed_sub_keys_doc(s, sub, &job->keys, &job->keys_sig, now);
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
	{
		struct feed_apply_info how = { f.kind, sub->applied ? sub->st.serial : 0,
					       f.kind == FEED_DELTA, false };
		struct sub_file file = { f.kind, f.serial, job->body.body, job->sig.body,
					 job->body.len, job->sig.len };
		struct feed want;

		if (feed_merge(&sub->cur, &f, &want) < 0) {
			feed_sub_error(sub, now, false, "out of memory");
			v = FEED_E_SYSTEM;
			goto out;
		}
		v = feed_sub_apply(s, sub, &want, &how, now);
		if (v != FEED_OK)
			goto out;
		feed_state_update(&sub->st, &f);
		sub->cache = job->body.cache;
		if (feed_sub_persist(s, sub, &file, 1) < 0)
			log_warn("feed %s: cannot save serial %llu in %s", sub->name,
				 (unsigned long long)f.serial, s->state_dir);
	}
	feed_sub_ok(sub, now);
	log_info("feed %s: applied %s serial %llu, %zu entries", sub->name,
		 feed_kind_str(f.kind), (unsigned long long)f.serial, sub->cur.n_entries);
out:
	feed_fini(&f);
	return v;
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
		if (!(sub->dir_url = feed_sub_dir_url(cf->url)) ||
		    !(sub->idx = calloc(1, sizeof(*sub->idx))))
			goto err;
		sub->action = (enum conf_feed_action)cf->action;
		sub->interval = cf->interval;
		sub->poll = cf->poll;
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
	if (loop && feed_sub_poll_init(s) < 0)
		goto err;
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
		feed_sub_schedule_first(&s->subs[i], now_wall_ms(), i);
	}
	feed_sub_arm(s);
	return 0;
}

int feed_subs_sync_now(struct feed_subs *s, const char *name)
{
	uint64_t now = now_wall_ms();
	bool found = false;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (name && strcmp(s->subs[i].name, name) != 0)
			continue;
		s->subs[i].next_at = now;
		found = true;
	}
	feed_sub_arm(s);
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
	feed_sub_poll_fini(s);
	for (i = 0; i < s->n; i++) {
		feed_fini(&s->subs[i].cur);
		feed_fetch_job_clear(&s->subs[i].job);
		feed_fetch_job_free_items(&s->subs[i].job);
		free(s->subs[i].idx);
		free(s->subs[i].url);
		free(s->subs[i].dir_url);
	}
	free(s->subs);
	free(s->protect);
	free(s->state_dir);
	free(s);
}

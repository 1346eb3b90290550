// SPDX-License-Identifier: GPL-2.0-or-later
/* Feeds in the daemon: each accepted feed becomes its kernel sets in one
 * atomic batch, and its domains join the pool domains. Our own detections
 * are published by daemon_feeds_pub.c, the feeds command is in
 * daemon_feeds_ctl.c, start and reload in daemon_feeds_conf.c.
 *
 * What an entry does. "block": into the feed's sets (ip, cidr, ip:port).
 * "throttle" and "alert": no kernel change, only counted and reported in the
 * feed's event (the ruleset's meters are per internal host; there is no
 * meter for destinations, so a throttled destination is alert-only until the
 * ruleset grows one). With feed.corroborate = k, a "block" entry listed by
 * fewer than k feeds is treated as "throttle", i.e. alert-only.
 *
 * Domain entries join the lists' pool domains that the detectors match (TLS
 * SNI, DNS, HTTP CONNECT / SOCKS): pool_domains_build makes one set of both,
 * handed to the workers like a reload's lists (workers_set_pool_domains, the
 * old set freed once every worker uses the new). A match on a name a feed
 * lists says "source=feed:NAME" in its event; a name listed only by feeds
 * whose action for it is not "block" (alert, throttle, or uncorroborated) is
 * reported, not blocked, and teaches no address. A new version of a feed
 * replaces all its domains at once, right after its address sets commit.
 *
 * Time. The kernel elements carry no timeout (enforce_sync_source has none);
 * this file enforces each entry's TTL, counted from the feed's issue time,
 * and the feed's own expiry: when the earliest of them passes, the sets are
 * synced and the pool domains built again without what ran out. A restart
 * re-applies the cached feed with the same rule, so nothing outlives its
 * time by more than a tick. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "ctl_cmds.h"
#include "daemon_enforce.h"
#include "daemon_feeds.h"
#include "daemon_feeds_int.h"
#include "daemon_notify.h"
#include "enforce.h"
#include "event.h"
#include "eventlog.h"
#include "feed_pub.h"
#include "feed_sub.h"
#include "log.h"
#include "pool_domains.h"
#include "pool_lists.h"
#include "workers.h"

#define DF_RETRY_MS		10000	/* after a failed expiry sync */

/* ---- entries ------------------------------------------------------------ */

static int ep_cmp(const void *a, const void *b)
{
	const struct ep_entry *p = a, *q = b;
	int c;

	if (p->family != q->family)
		return p->family < q->family ? -1 : 1;
	c = memcmp(p->addr, q->addr, sizeof(p->addr));
	if (c)
		return c;
	if (p->plen != q->plen)
		return p->plen < q->plen ? -1 : 1;
	return p->port < q->port ? -1 : p->port > q->port;
}

static bool is_cidr(const struct ep_entry *e)
{
	return !e->port && e->plen < (e->family == AF_INET ? 32 : 128);
}

/* a covers b: same family and b lies within a's prefix. */
static bool covers(const struct ep_entry *a, const struct ep_entry *b)
{
	unsigned int full = a->plen / 8, bits = a->plen % 8;

	if (a->family != b->family || a->plen > b->plen)
		return false;
	if (memcmp(a->addr, b->addr, full) != 0)
		return false;
	return !bits || ((a->addr[full] ^ b->addr[full]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

struct df_feed *df_find(struct daemon_feeds *df, const char *name)
{
	unsigned int i;

	for (i = 0; i < df->n; i++)
		if (strcmp(df->feed[i].name, name) == 0)
			return &df->feed[i];
	return NULL;
}

static uint64_t next_expiry(const struct ep_entry *v, size_t n)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].expires_ms && (!m || v[i].expires_ms < m))
			m = v[i].expires_ms;
	return m;
}

static uint64_t next_expiry_doms(uint64_t m, const struct pool_domain *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].expires_ms && (!m || v[i].expires_ms < m))
			m = v[i].expires_ms;
	return m;
}

/* ---- pool domains --------------------------------------------------------- */

/* The pool domains with feed `with` holding v[n]: NULL with *none when no
 * feed has a live domain (the lists' own set serves). Counts go to bl/al. */
static struct pool_domains *domains_build(struct daemon_feeds *df, const struct df_feed *with,
					  const struct pool_domain *v, size_t n,
					  const struct pool_lists *lists, uint64_t now,
					  size_t *bl, size_t *al, bool *none)
{
	struct pool_domains_feed in[CONF_MAX_FEEDS];
	struct pool_domains *pd;
	unsigned int i;
	size_t total = 0;

	*none = false;
	for (i = 0; i < df->n; i++) {
		const struct df_feed *x = &df->feed[i];

		in[i] = (struct pool_domains_feed){ .name = x->name, .action = x->action,
						    .v = x == with ? v : x->doms,
						    .n = x == with ? n : x->ndoms };
		total += in[i].n;
		bl[i] = al[i] = 0;
	}
	if (!total) {
		*none = true;
		return NULL;
	}
	pd = pool_domains_build(lists ? lists->domains : NULL, in, df->n, df->corroborate, now);
	if (!pd)
		return NULL;
	for (i = 0; i < df->n; i++) {
		bl[i] = in[i].blocked;
		al[i] = in[i].alerted;
	}
	return pd;
}

/* Hand pd to the workers; the previous set is freed once every worker
 * moved on (kept, and logged by workers, if one did not). */
void df_domains_publish(struct daemon *d, struct pool_domains *pd)
{
	struct daemon_feeds *df = d->feeds;
	struct pool_domains *old = df->pd;

	if (d->workers && workers_set_pool_domains(d->workers, pd) < 0)
		old = NULL;	/* a worker may still read it: never freed */
	df->pd = pd;
	pool_domains_free(old);
}

/* Build and publish the pool domains from what the feeds hold now (after a
 * reload: new lists, a new feed table). 0 or -1 (the previous set stays). */
int df_domains_refresh(struct daemon *d, const struct pool_lists *lists)
{
	struct daemon_feeds *df = d->feeds;
	size_t bl[CONF_MAX_FEEDS], al[CONF_MAX_FEEDS];
	struct pool_domains *pd;
	unsigned int i;
	bool none;

	pd = domains_build(df, NULL, NULL, 0, lists, now_wall_ms(), bl, al, &none);
	if (!pd && !none) {
		log_warnx("feeds: pool domains not rebuilt (out of memory); the previous ones stay");
		return -1;
	}
	df_domains_publish(d, pd);
	for (i = 0; i < df->n; i++) {
		df->feed[i].dom_blocked = bl[i];
		df->feed[i].dom_alerted = al[i];
	}
	return 0;
}

/* ---- events ------------------------------------------------------------- */

void df_json_str(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(out + o, size - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

static void feed_event(struct daemon *d, const struct df_feed *x, uint64_t serial, size_t entries,
		       const char *result, const char *reason)
{
	char ts[48], json[1024], text[640], why[520];
	struct timeval tv;

	gettimeofday(&tv, NULL);
	event_timestamp(ts, sizeof(ts), &tv);
	df_json_str(why, sizeof(why), reason);
	snprintf(json, sizeof(json),
		 "{\"timestamp\":\"%s\",\"event_type\":\"feed\",\"name\":\"%s\",\"serial\":%llu,"
		 "\"entries\":%zu,\"blocked\":%zu,\"alert_only\":%zu,\"domains\":%zu,"
		 "\"domains_alert_only\":%zu,\"result\":\"%s\",\"reason\":\"%s\"}",
		 ts, x->name, (unsigned long long)serial, entries, x->blocked, x->alerted,
		 x->dom_blocked + x->dom_alerted, x->dom_alerted, result, why);
	snprintf(text, sizeof(text), "feed %s: %s serial %llu, %zu entries (%zu blocked, %zu alert only; "
		 "%zu pool domains, %zu of them alert only)%s%s",
		 x->name, result, (unsigned long long)serial, entries, x->blocked, x->alerted,
		 x->dom_blocked + x->dom_alerted, x->dom_alerted, *reason ? ": " : "", reason);
	eventlog_write_line(d->events, json, text);
	ctl_cmds_event_line(d->cmds, ts, text, json);
	if (strcmp(result, "rejected") == 0)
		daemon_notify_feed_rejected(d, json, text);
}

/* ---- feeds into the kernel ---------------------------------------------- */

/* The kernel's view of feed i when feed `with` holds v[n]: the entries whose
 * action (corroboration included) is block, prefixes inside another of the
 * same feed left to it (interval sets refuse overlaps). */
static struct ep_entry *wanted_of(struct daemon_feeds *df, unsigned int i, const struct df_feed *with,
				  const struct ep_entry *v, size_t n, size_t *nw, size_t *alerted)
{
	const struct df_feed *x = &df->feed[i];
	const struct ep_entry *src = x == with ? v : x->eps;
	size_t ns = x == with ? n : x->n, k;
	struct ep_entry *w = malloc((ns ? ns : 1) * sizeof(*w));
	const struct ep_entry *last[2] = { NULL, NULL };

	*nw = *alerted = 0;
	if (!w)
		return NULL;
	for (k = 0; k < ns; k++) {
		const struct ep_entry *e = &src[k];
		unsigned int listed = 1, j;
		int fam = e->family == AF_INET ? 0 : 1;

		/* This host's addresses and resolvers as they are now, and the
		 * allowlist: accepted before they were, never blocked. */
		if (df_protected(df, e))
			continue;
		if (df->corroborate && x->action == FEED_ACT_BLOCK) {
			for (j = 0; j < df->n; j++) {
				const struct df_feed *o = &df->feed[j];

				if (j == i)
					continue;
				if (o == with ? bsearch(e, v, n, sizeof(*e), ep_cmp) != NULL :
				    (o->n && bsearch(e, o->eps, o->n, sizeof(*e), ep_cmp) != NULL))
					listed++;
			}
		}
		if (conf_feed_corroborate(x->action, listed, df->corroborate) != FEED_ACT_BLOCK) {
			(*alerted)++;
			continue;
		}
		if (is_cidr(e)) {
			if (last[fam] && covers(last[fam], e))
				continue;
			last[fam] = e;
		}
		w[*nw] = *e;
		w[*nw].expires_ms = 0;
		w[*nw].tag = 0;
		(*nw)++;
	}
	return w;
}

/* Make the kernel hold feed `with` = v[n] (and, with corroboration, every
 * other feed re-decided against it) in ONE batch. On success v is owned by
 * the feed. 0, or -1 with nothing changed. */
static int feeds_commit(struct daemon *d, struct df_feed *with, struct ep_entry *v, size_t n)
{
	struct daemon_feeds *df = d->feeds;
	struct enforcer *e = daemon_enforcer(d);
	size_t blocked[CONF_MAX_FEEDS] = { 0 }, alerted[CONF_MAX_FEEDS] = { 0 }, changes;
	struct ep_entry *w[CONF_MAX_FEEDS] = { NULL };
	uint64_t t0 = now_monotonic_ms(), t1;
	unsigned int i;

	if (!e || !enforce_feed_name_ok(with->name)) {
		log_warnx("feed %s: %s", with->name, e ? "the name is not usable as a set name "
			  "(1..20 of A-Z a-z 0-9 _ -)" : "no enforcer");
		return -1;
	}
	if (enforce_begin(e) < 0)
		return -1;
	for (i = 0; i < df->n; i++) {
		struct df_feed *x = &df->feed[i];
		int rc;

		if (x != with && (!df->corroborate || !enforce_feed_name_ok(x->name)))
			continue;
		w[i] = wanted_of(df, i, with, v, n, &blocked[i], &alerted[i]);
		if (!w[i])
			goto fail;
		if (x->kern_known)
			rc = enforce_sync_known(e, ENF_FEED, x->name, x->kern, x->blocked, w[i],
						blocked[i]);
		else
			rc = enforce_sync_source(e, ENF_FEED, x->name, w[i], blocked[i]);
		if (rc < 0)
			goto fail;
	}
	changes = enforce_pending(e);
	t1 = now_monotonic_ms();
	if (enforce_commit(e) < 0)
		goto fail;
	log_info("feed %s: %zu set changes in one batch (diff %llu ms, commit %llu ms)", with->name,
		 changes, (unsigned long long)(t1 - t0), (unsigned long long)(now_monotonic_ms() - t1));
	for (i = 0; i < df->n; i++) {
		struct df_feed *x = &df->feed[i];

		if (!w[i])
			continue;
		x->blocked = blocked[i];
		x->alerted = alerted[i];
		free(x->kern);
		x->kern = w[i];
		x->kern_known = true;
	}
	free(with->eps);
	with->eps = v;
	with->n = n;
	with->next_expiry_ms = next_expiry(v, n);
	return 0;
fail:
	log_warnx("feed %s: sets not changed: %s", with->name, enforce_error(e));
	enforce_abort(e);
	for (i = 0; i < df->n; i++) {
		if (w[i])
			df->feed[i].kern_known = false;
		free(w[i]);
	}
	return -1;
}

int df_recommit(struct daemon *d, struct df_feed *x)
{
	struct ep_entry *v = malloc((x->n ? x->n : 1) * sizeof(*v));

	if (!v)
		return -1;
	if (x->n)
		memcpy(v, x->eps, x->n * sizeof(*v));
	if (feeds_commit(d, x, v, x->n) < 0) {
		free(v);
		return -1;
	}
	return 0;
}

/* feed_subs' apply callback: f is the full set the feed now wants. Its
 * domains are built into the next pool domains before the address sets are
 * committed, so a failure of either changes nothing; the domains are handed
 * to the workers right after the commit. */
int df_on_apply(const char *name, const struct feed *f, const struct feed_apply_info *how,
		void *arg)
{
	struct daemon *d = arg;
	struct daemon_feeds *df = d->feeds;
	struct df_feed *x = df ? df_find(df, name) : NULL;
	uint64_t now = now_wall_ms(), fexp = f->expires > 0 ? (uint64_t)f->expires * 1000u : 0;
	size_t bl[CONF_MAX_FEEDS], al[CONF_MAX_FEEDS];
	struct pool_domains *pd;
	struct pool_domain *dv;
	struct ep_entry *v;
	size_t i, n = 0, dom = 0, gone = 0;
	char why[160];
	bool none;
	int k;

	if (!x)
		return -1;
	/* A domain slot is large: count them first (feeds of a million
	 * addresses usually carry few names). */
	for (i = 0; i < f->n_entries; i++)
		dom += f->entries[i].type == FEED_T_DOMAIN;
	v = malloc((f->n_entries ? f->n_entries : 1) * sizeof(*v));
	dv = malloc((dom ? dom : 1) * sizeof(*dv));
	dom = 0;
	if (!v || !dv)
		goto err;
	for (i = 0; i < f->n_entries; i++) {
		const struct feed_entry *fe = &f->entries[i];
		uint64_t exp = f->issued > 0 ? ((uint64_t)f->issued + fe->ttl) * 1000u : 0;
		struct ep_entry ep;

		if (fe->op != FEED_ADD)
			continue;
		if (fexp && (!exp || exp > fexp))
			exp = fexp;
		if (exp && exp <= now) {
			gone++;
			continue;
		}
		if (fe->type == FEED_T_DOMAIN) {
			snprintf(dv[dom].name, sizeof(dv[dom].name), "%s", fe->value);
			dv[dom++].expires_ms = exp;
			continue;
		}
		ep = fe->ep;
		ep.tag = 0;
		ep.expires_ms = exp;
		v[n++] = ep;
	}
	if (n)
		qsort(v, n, sizeof(*v), ep_cmp);
	if (dom)
		qsort(dv, dom, sizeof(*dv), pool_domain_cmp);
	pd = domains_build(df, x, dv, dom, df->lists, now, bl, al, &none);
	if (!pd && !none) {
		log_warnx("feed %s: its domains cannot be built (out of memory)", name);
		goto err;
	}
	if (feeds_commit(d, x, v, n) < 0) {
		pool_domains_free(pd);
		goto err;
	}
	free(x->doms);
	x->doms = dv;
	x->ndoms = dom;
	x->next_expiry_ms = next_expiry_doms(x->next_expiry_ms, dv, dom);
	df_domains_publish(d, pd);
	for (i = 0; i < df->n; i++) {
		df->feed[i].dom_blocked = bl[i];
		df->feed[i].dom_alerted = al[i];
	}
	x->serial = f->serial;
	x->applied_at = time(NULL);
	x->restored = df->starting;
	/* How it came: operators and tests tell a delta from a snapshot here. */
	if (how->cached)
		k = snprintf(why, sizeof(why), "the last good copy from the state directory");
	else if (how->via == FEED_DELTA)
		k = snprintf(why, sizeof(why), "via %u delta%s from serial %llu", how->deltas,
			     how->deltas == 1 ? "" : "s", (unsigned long long)how->from);
	else
		k = snprintf(why, sizeof(why), "via the snapshot%s", how->deltas ?
			     " and the deltas after it" : "");
	if (gone && k > 0 && (size_t)k < sizeof(why))
		snprintf(why + k, sizeof(why) - (size_t)k, "; %zu entries past their TTL", gone);
	feed_event(d, x, f->serial, f->n_entries, "applied", why);
	if (dom)
		log_info("feed %s: %zu pool domains (%zu alert only)", name, x->dom_blocked + x->dom_alerted,
			 x->dom_alerted);
	return 0;
err:
	free(v);
	free(dv);
	return -1;
}

/* Entries (or the whole feed) whose time is up leave the sets and the pool
 * domains. */
static void expire_feed(struct daemon *d, struct df_feed *x, uint64_t now)
{
	struct daemon_feeds *df = d->feeds;
	struct ep_entry *v = malloc((x->n ? x->n : 1) * sizeof(*v));
	struct pool_domain *dv = malloc((x->ndoms ? x->ndoms : 1) * sizeof(*dv));
	size_t bl[CONF_MAX_FEEDS], al[CONF_MAX_FEEDS];
	size_t i, n = 0, dn = 0, gone;
	struct pool_domains *pd;
	char why[96];
	bool none;

	if (!v || !dv)
		goto retry;
	for (i = 0; i < x->n; i++)
		if (!x->eps[i].expires_ms || x->eps[i].expires_ms > now)
			v[n++] = x->eps[i];
	gone = x->n - n;
	for (i = 0; i < x->ndoms; i++)
		if (!x->doms[i].expires_ms || x->doms[i].expires_ms > now)
			dv[dn++] = x->doms[i];
	pd = domains_build(df, x, dv, dn, df->lists, now, bl, al, &none);
	if (!pd && !none)
		goto retry;
	if (feeds_commit(d, x, v, n) < 0) {
		pool_domains_free(pd);
		goto retry;
	}
	snprintf(why, sizeof(why), "%zu entries and %zu domains past their TTL left the sets",
		 gone, x->ndoms - dn);
	free(x->doms);
	x->doms = dv;
	x->ndoms = dn;
	x->next_expiry_ms = next_expiry_doms(x->next_expiry_ms, dv, dn);
	df_domains_publish(d, pd);
	for (i = 0; i < df->n; i++) {
		df->feed[i].dom_blocked = bl[i];
		df->feed[i].dom_alerted = al[i];
	}
	feed_event(d, x, x->serial, n + dn, "expired", why);
	return;
retry:
	free(v);
	free(dv);
	x->next_expiry_ms = now + DF_RETRY_MS;
}

/* ---- every second ------------------------------------------------------- */

void daemon_feeds_tick(struct daemon *d)
{
	struct daemon_feeds *df = d->feeds;
	struct feed_sub_status st[CONF_MAX_FEEDS];
	uint64_t now;
	size_t n, i;

	if (!df)
		return;
	df_protect_check(d, false);
	now = now_wall_ms();
	for (i = 0; i < df->n; i++)
		if (df->feed[i].next_expiry_ms && now >= df->feed[i].next_expiry_ms)
			expire_feed(d, &df->feed[i], now);
	n = df->subs ? feed_subs_status(df->subs, st, CONF_MAX_FEEDS) : 0;
	for (i = 0; i < n && i < CONF_MAX_FEEDS; i++) {
		struct df_feed *x = df_find(df, st[i].name);

		if (!x || (st[i].rejected == x->seen_rejected && st[i].errors == x->seen_errors))
			continue;
		feed_event(d, x, st[i].serial, st[i].entries,
			   st[i].rejected != x->seen_rejected ? "rejected" : "error", st[i].last_error);
		x->seen_rejected = st[i].rejected;
		x->seen_errors = st[i].errors;
	}
	if (df->pub && feed_pub_tick(df->pub, time(NULL)) < 0)
		log_warnx_rl(&df->rl, "publish: feed not written (the previous one stays)");
}

void daemon_feeds_protect_changed(struct daemon *d)
{
	df_protect_check(d, true);
}

const struct pool_domains *daemon_feeds_pool_domains(const struct daemon *d)
{
	return d->feeds ? d->feeds->pd : NULL;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Feeds in the daemon: the ranges no feed may block follow the host (addresses, resolvers, allowlist). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_enforce.h"
#include "daemon_feeds_int.h"
#include "ep_table.h"
#include "feed_sub.h"
#include "log.h"

/* How often the host's addresses and /etc/resolv.conf are read again. */
#define DF_PROTECT_POLL_MS	2000u

struct collect {
	struct ep_entry *v;
	size_t n, cap;
};

static int collect_cb(const struct ep_entry *e, void *arg)
{
	struct collect *c = arg;

	if (e->port)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		struct ep_entry *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n] = *e;
	c->v[c->n].expires_ms = 0;
	c->v[c->n++].tag = 0;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct ep_entry *p = a, *q = b;

	if (p->family != q->family)
		return p->family < q->family ? -1 : 1;
	if (p->plen != q->plen)
		return p->plen < q->plen ? -1 : 1;
	return memcmp(p->addr, q->addr, sizeof(p->addr));
}

/* This host's addresses, the resolvers of /etc/resolv.conf and everything
 * the allowlist holds: the config's addresses and prefixes, its names as
 * resolved, and what minewallctl allow add put there. Sorted. 0 or -1. */
static int protect_gather(struct daemon *d, struct ep_entry **out, size_t *n)
{
	const struct ep_table *allow;
	const struct domain_set *names;
	struct collect c = { 0 };
	int rc;

	daemon_enforce_allowlists(d, &allow, &names);
	if (allow)
		ep_table_foreach(allow, collect_cb, &c);
	rc = feed_protect_gather(NULL, c.v, c.n, out, n);
	free(c.v);
	if (rc == 0 && *n)
		qsort(*out, *n, sizeof(**out), entry_cmp);
	return rc;
}

/* a and b overlap: one prefix lies within the other. */
static bool overlap(const struct ep_entry *a, const struct ep_entry *b)
{
	unsigned int plen = a->plen < b->plen ? a->plen : b->plen, full = plen / 8, bits = plen % 8;

	if (a->family != b->family || memcmp(a->addr, b->addr, full) != 0)
		return false;
	return !bits || ((a->addr[full] ^ b->addr[full]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

bool df_protected(const struct daemon_feeds *df, const struct ep_entry *e)
{
	size_t i;

	for (i = 0; i < df->n_protect; i++)
		if (overlap(&df->protect[i], e))
			return true;
	return false;
}

int df_protect_set(struct daemon *d, struct feed_subs *s)
{
	struct daemon_feeds *df = d->feeds;
	struct ep_entry *p = NULL;
	size_t n = 0;

	if (protect_gather(d, &p, &n) < 0) {
		log_warn("feeds: cannot gather the protected ranges");
		return -1;
	}
	if (s && feed_subs_set_protect(s, p, n) < 0) {
		free(p);
		return -1;
	}
	free(df->protect);
	df->protect = p;
	df->n_protect = n;
	df->protect_ms = now_monotonic_ms();
	return 0;
}

void df_protect_check(struct daemon *d, bool now)
{
	struct daemon_feeds *df = d->feeds;
	struct ep_entry *p = NULL;
	size_t n = 0, i, added = 0;
	char buf[80];

	if (!df || !df->subs || (!now && now_monotonic_ms() - df->protect_ms < DF_PROTECT_POLL_MS))
		return;
	df->protect_ms = now_monotonic_ms();
	if (protect_gather(d, &p, &n) < 0) {
		log_warnx_rl(&df->rl, "feeds: cannot gather the protected ranges");
		return;
	}
	if (n == df->n_protect && (!n || memcmp(p, df->protect, n * sizeof(*p)) == 0)) {
		free(p);
		return;
	}
	if (feed_subs_set_protect(df->subs, p, n) < 0) {
		free(p);
		return;
	}
	for (i = 0; i < n; i++) {
		if (bsearch(&p[i], df->protect, df->n_protect, sizeof(*p), entry_cmp))
			continue;
		if (added++ < 4)
			log_info("feeds: %s is protected now (no feed may block it)",
				 ep_entry_str(&p[i], buf, sizeof(buf)));
	}
	if (added > 4)
		log_info("feeds: %zu more ranges protected now", added - 4);
	free(df->protect);
	df->protect = p;
	df->n_protect = n;
	/* What the feeds in force block there leaves the kernel at once. */
	if (added)
		for (i = 0; i < df->n; i++)
			if (df->feed[i].eps && df_recommit(d, &df->feed[i]) < 0)
				log_warnx("feed %s: a newly protected range stays blocked until its "
					  "next update", df->feed[i].name);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Builds the union of the lists' pool domains and the applied feeds' domains. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_set.h"
#include "pool_domains.h"

int pool_domain_cmp(const void *a, const void *b)
{
	const struct pool_domain *p = a, *q = b;

	return strcmp(p->name, q->name);
}

static bool live(const struct pool_domain *d, uint64_t now_ms)
{
	return !d->expires_ms || d->expires_ms > now_ms;
}

/* How many feeds list d alive: feed i itself and every other that holds the name. */
static unsigned int listed_by(const struct pool_domains_feed *feeds, unsigned int n, unsigned int i,
			      const struct pool_domain *d, uint64_t now_ms)
{
	unsigned int c = 1, j;

	for (j = 0; j < n; j++) {
		const struct pool_domain *o;

		if (j == i || !feeds[j].n)
			continue;
		o = bsearch(d, feeds[j].v, feeds[j].n, sizeof(*d), pool_domain_cmp);
		if (o && live(o, now_ms))
			c++;
	}
	return c;
}

static int add_list_entry(const char *name, uint32_t tag, void *arg)
{
	(void)tag;
	return domain_set_add_tag(arg, name, POOL_DOM_LIST | POOL_DOM_BLOCK);
}

struct pool_domains *pool_domains_build(const struct domain_set *lists,
					struct pool_domains_feed *feeds, unsigned int n,
					unsigned int k, uint64_t now_ms)
{
	struct pool_domains *pd;
	unsigned int i;
	size_t j;

	if (n > CONF_MAX_FEEDS)
		return NULL;
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return NULL;
	pd->set = domain_set_new();
	if (!pd->set)
		goto err;
	/* A list entry keeps its meaning: the detector's configured action. */
	if (lists && domain_set_foreach(lists, add_list_entry, pd->set) < 0)
		goto err;
	for (i = 0; i < n; i++) {
		struct pool_domains_feed *f = &feeds[i];

		snprintf(pd->source[i], sizeof(pd->source[i]), "feed:%s", f->name ? f->name : "?");
		f->blocked = f->alerted = 0;
		for (j = 0; j < f->n; j++) {
			const struct pool_domain *d = &f->v[j];
			uint32_t tag = POOL_DOM_FEED(i);

			if (!live(d, now_ms))
				continue;
			/* throttle is alert-only for domains as for addresses. */
			if (conf_feed_corroborate(f->action, listed_by(feeds, n, i, d, now_ms), k) ==
			    FEED_ACT_BLOCK)
				tag |= POOL_DOM_BLOCK;
			/* feed_accept checked the value with the same rules; one
			 * the set refuses anyway is left out, not fatal. */
			if (domain_set_add_tag(pd->set, d->name, tag) < 0)
				continue;
			if (tag & POOL_DOM_BLOCK)
				f->blocked++;
			else
				f->alerted++;
		}
	}
	pd->n_feeds = n;
	return pd;
err:
	pool_domains_free(pd);
	return NULL;
}

void pool_domains_free(struct pool_domains *pd)
{
	if (!pd)
		return;
	domain_set_free(pd->set);
	free(pd);
}

void pool_domains_source(const struct pool_domains *pd, uint32_t tag, char *buf, size_t size)
{
	unsigned int i, shown = 0, more = 0;
	size_t o = 0;

	if (!size)
		return;
	buf[0] = '\0';
	if (tag & POOL_DOM_LIST)
		o += (size_t)snprintf(buf, size, "list");
	/* A few names, then a count: the event line stays within the event
	 * log's line however many feeds list the name. */
	for (i = 0; pd && i < pd->n_feeds; i++) {
		if (!(tag & POOL_DOM_FEED(i)))
			continue;
		if (shown == POOL_DOM_SOURCES_SHOWN || o >= size) {
			more++;
			continue;
		}
		o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "+" : "", pd->source[i]);
		shown++;
	}
	if (more && o < size)
		snprintf(buf + o, size - o, "+%u-more-feeds", more);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pool domains the detectors match: the lists' domains and the domain
 * entries of the applied feeds, as one read-only set whose entries say which
 * sources list them and whether any of those blocks. */
#ifndef MW_POOL_DOMAINS_H
#define MW_POOL_DOMAINS_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct domain_set;

/* Tag bits of the set's entries. */
#define POOL_DOM_LIST		0x1u		/* listed by the blocklist files */
#define POOL_DOM_FEED(i)	(0x2u << (i))	/* listed by feed i of the input */
#define POOL_DOM_FEEDS		(((0x2u << CONF_MAX_FEEDS) - 1) & ~0x1u)
#define POOL_DOM_BLOCK		0x80000000u	/* some source blocks it */
#define POOL_DOM_SOURCE_MAX	72		/* "feed:" + a feed name */
#define POOL_DOM_SOURCES_SHOWN	3		/* feeds named in an event, the rest counted */

/* A domain entry of a feed: the canonical feed value, and its end of life
 * (wall-clock ms, 0: never). */
struct pool_domain {
	char name[254];
	uint64_t expires_ms;
};

/* One applied feed: its domains sorted by strcmp of name (the corroboration
 * count looks them up), and the feed's configured action. */
struct pool_domains_feed {
	const char *name;
	enum conf_feed_action action;
	const struct pool_domain *v;
	size_t n;
	/* Out: live entries matched as blocking, and as alert only. */
	size_t blocked, alerted;
};

struct pool_domains {
	struct domain_set *set;
	char source[CONF_MAX_FEEDS][POOL_DOM_SOURCE_MAX];	/* "feed:NAME" of bit i */
	unsigned int n_feeds;
};

/* lists' entries (tag LIST|BLOCK: the detectors' actions apply) and every
 * live domain of feeds[0..n) (tag FEED(i), plus BLOCK when the feed's action
 * for it is block, corroboration with k included: a domain counts as listed
 * by every feed whose v holds the same name). Entries with expires_ms <= now
 * are left out. NULL on error (n > CONF_MAX_FEEDS, no memory). */
struct pool_domains *pool_domains_build(const struct domain_set *lists,
					struct pool_domains_feed *feeds, unsigned int n,
					unsigned int k, uint64_t now_ms);
void pool_domains_free(struct pool_domains *pd);
/* The sources tag names, "list+feed:a+feed:b", at most POOL_DOM_SOURCES_SHOWN
 * feeds by name and then "+N-more-feeds" (as much as fits in buf). */
void pool_domains_source(const struct pool_domains *pd, uint32_t tag, char *buf, size_t size);
/* strcmp order of pool_domain names, for qsort/bsearch. */
int pool_domain_cmp(const void *a, const void *b);

#endif

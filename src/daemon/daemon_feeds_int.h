/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the daemon's feeds files only (daemon_feeds*.c). */
#ifndef MW_DAEMON_FEEDS_INT_H
#define MW_DAEMON_FEEDS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "ctl_server.h"
#include "daemon.h"
#include "feed.h"
#include "log.h"

struct ep_entry;
struct feed_pub;
struct feed_subs;
struct pool_domain;
struct pool_domains;
struct pool_lists;

struct df_feed {
	char name[FEED_PROVIDER_MAX];
	enum conf_feed_action action;
	/* Address entries of the applied feed, sorted by ep_cmp; expires_ms is
	 * wall-clock ms (0: never), tag unused. */
	struct ep_entry *eps;
	size_t n;
	/* Domain entries of the applied feed, sorted by pool_domain_cmp. */
	struct pool_domain *doms;
	size_t ndoms;
	size_t dom_blocked, dom_alerted;	/* live domains as last built */
	size_t blocked, alerted;	/* as last synced */
	/* What the last commit left in the kernel, so the next sync needs no
	 * read-back; kern_known false (start, failed commit): read the sets. */
	struct ep_entry *kern;
	bool kern_known;
	uint64_t serial;		/* in force (applied) */
	time_t applied_at;		/* when it was applied; 0: nothing applied */
	bool restored;			/* applied from feed.state_dir at start or reload */
	uint64_t next_expiry_ms;	/* earliest entry or feed expiry; 0 none */
	unsigned long seen_rejected, seen_errors;
};

struct daemon_feeds {
	struct feed_subs *subs;
	struct feed_pub *pub;
	struct df_feed feed[CONF_MAX_FEEDS];
	unsigned int n;
	unsigned int corroborate;
	/* The pool domains the workers use (NULL: the lists' own, no feed
	 * lists a domain). */
	struct pool_domains *pd;
	/* The lists pd joins: d->lists, or during a reload the new ones
	 * (cached feeds are applied before d->lists is replaced). */
	const struct pool_lists *lists;
	bool registered;
	bool starting;			/* feed_subs_start: applying the copies on disk */
	struct log_ratelimit rl;
	/* Ranges no feed may block, as last gathered (sorted), and when. */
	struct ep_entry *protect;
	size_t n_protect;
	uint64_t protect_ms;
};

/* daemon_feeds.c: the feed of that name in the table, or NULL. */
struct df_feed *df_find(struct daemon_feeds *df, const char *name);
/* s as the inside of a JSON string, cut to fit size. */
void df_json_str(char *out, size_t size, const char *s);
/* feed_subs' apply callback (arg: the daemon): the feed's full set into its
 * kernel sets and the pool domains. 0, or -1 with nothing changed. */
struct feed_apply_info;
int df_on_apply(const char *name, const struct feed *f, const struct feed_apply_info *how,
		void *arg);
/* Hand pd to the workers, the previous set freed once none uses it. */
void df_domains_publish(struct daemon *d, struct pool_domains *pd);
/* Build and publish the pool domains from lists and what the feeds hold now.
 * 0, or -1 with a log line (the previous set stays). */
int df_domains_refresh(struct daemon *d, const struct pool_lists *lists);

/* Commit feed x's entries again (after the protected ranges changed). 0 or -1. */
int df_recommit(struct daemon *d, struct df_feed *x);

/* daemon_feeds_protect.c: gather this host's addresses, its resolvers and the
 * allowlist into df->protect and hand them to s (may be NULL). 0 or -1. */
int df_protect_set(struct daemon *d, struct feed_subs *s);
/* Every few seconds (or now): when the host's addresses, resolv.conf or the
 * allowlist changed, the subscriptions get the new ranges and what the
 * feeds in force block there leaves the kernel. */
void df_protect_check(struct daemon *d, bool now);
/* e overlaps a protected range: it never goes into a feed's sets. */
bool df_protected(const struct daemon_feeds *df, const struct ep_entry *e);

/* daemon_feeds_pub.c: the publisher of our detections when c asks for one
 * (publish dir and secret key), else NULL; why not is logged. */
struct feed_pub *df_pub_open(struct daemon *d, const struct mw_conf *c);

/* daemon_feeds_ctl.c: the feeds control command, registered by daemon_feeds_init. */
extern const struct ctl_command df_ctl_cmds[];

#endif

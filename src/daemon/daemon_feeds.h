/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's feeds: subscribed feeds into their kernel sets, our own
 * detections published as a signed feed. */
#ifndef MW_DAEMON_FEEDS_H
#define MW_DAEMON_FEEDS_H

#include "daemon.h"

struct pool_lists;

/* After daemon_enforce_init: protected ranges, subscriptions (the last good
 * copy of each feed is applied from feed.state_dir before the first fetch),
 * publishing, and the feeds control command. 0, or -1 with a log line. */
int daemon_feeds_init(struct daemon *d);
/* Every second: entries and feeds whose time is up leave the sets, fetch
 * results become events, the protected ranges follow the host's addresses
 * and resolvers, and our feed is published when its interval passed. */
void daemon_feeds_tick(struct daemon *d);
/* Before d->conf and d->lists are replaced by nc and nl: protected ranges
 * again; subscriptions and the publisher are made anew when their part of
 * the config changed (their state on disk carries over); the pool domains
 * are built again from nl and the feeds' domains. 0, or -1 with a log line
 * (old ones kept). */
int daemon_feeds_reload(struct daemon *d, const struct mw_conf *nc, const struct pool_lists *nl);
struct mwstats;
/* Each subscription's serial in force, its age and lag, last fetch and
 * error, polls and applies into st->feeds. */
void daemon_feeds_stats(const struct daemon *d, struct mwstats *st);
/* Our detection blocks changed (a detection, minewallctl blocks add or del):
 * publish a delta soon (feed.publish.debounce_ms). */
void daemon_feeds_detected(struct daemon *d);
struct pool_domains;
/* The pool domains the workers should use (lists + feeds), or NULL: the lists'. */
const struct pool_domains *daemon_feeds_pool_domains(const struct daemon *d);
/* The allowlist changed (minewallctl allow): its entries are protected from
 * the feeds at once, like the config's. */
void daemon_feeds_protect_changed(struct daemon *d);
void daemon_feeds_fini(struct daemon *d);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's enforcement: detections become kernel blocks, hosts escalate
 * through tiers, allowlists are honoured, and all of it survives a restart. */
#ifndef MW_DAEMON_ENFORCE_H
#define MW_DAEMON_ENFORCE_H

#include "daemon.h"
#include "enforce.h"
#include "event.h"

/* The ruleset's policy from a config. feed_names must hold CONF_MAX_FEEDS. */
void daemon_enforce_policy(const struct mw_conf *c, struct enforce_policy *p,
			   const char **feed_names);

/* After the ruleset is installed: allowlists, list endpoints and pool ports
 * into their sets, then the saved state (blocks and tiers with the time they
 * had left). Registers the blocks/allow/hosts control commands. 0 or -1. */
int daemon_enforce_init(struct daemon *d);
/* A detection: block its endpoint, learn DNS addresses, escalate its host. */
void daemon_enforce_event(struct daemon *d, const struct mw_event *ev);
/* Addresses a detector taught (DNS answers, pool SNI): into the dns sets for
 * their TTL, clamped; allowlisted ones are left alone. */
void daemon_enforce_learned(struct daemon *d, const struct det_learned *l, unsigned int n);
/* Every second: tiers whose time is up end; state is saved when it changed;
 * every few seconds the connections refused in the kernel since the last
 * look escalate their hosts (enforce.count_refused). */
void daemon_enforce_tick(struct daemon *d);
/* After a reload installed the new ruleset: bring the sets in line with the
 * new config and lists (only the differences). 0, or -1 with a log line. */
int daemon_enforce_reload(struct daemon *d, const struct mw_conf *nc, const struct pool_lists *nl);
/* Save the state one last time and let go of the enforcer. */
void daemon_enforce_fini(struct daemon *d);

/* For feeds: the enforcer, to sync a feed's sets. */
struct enforcer *daemon_enforcer(struct daemon *d);
struct ep_table;
struct domain_set;
/* The allowlists the packet path consults (NULL before daemon_enforce_init). */
void daemon_enforce_allowlists(const struct daemon *d, const struct ep_table **allow,
			       const struct domain_set **names);
/* Connections the block sets refused, as counted from the kernel since start. */
uint64_t daemon_enforce_refused(const struct daemon *d);
struct mwstats;
/* Hosts by tier and the daemon's block set sizes into st. */
void daemon_enforce_stats(const struct daemon *d, struct mwstats *st);

#endif

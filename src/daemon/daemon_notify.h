/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Notifications in the daemon: detections, tier changes and rejected feeds
 * become documents for the receivers of notify { } (notify.h delivers them);
 * minewallctl notify list and test; the counters /metrics serves. */
#ifndef MW_DAEMON_NOTIFY_H
#define MW_DAEMON_NOTIFY_H

#include <stdio.h>

#include "daemon.h"
#include "enforce.h"
#include "event.h"

struct escalate_change;
struct escalate_host;
struct mwstats;
struct notify_set;

/* The receivers of c with their secrets read: start-up, minewalld -t and
 * reload (parse, validate, then swap). NULL with every problem written to
 * errs as "FILE: message" lines. A config without receivers gives an empty set. */
struct notify_set *daemon_notify_prepare(const struct mw_conf *c, FILE *errs);
void daemon_notify_set_free(struct notify_set *s);

/* After the capability drop (the delivery thread and its commands inherit
 * the reduced set): takes s. Registers the notify control command. 0 or -1. */
int daemon_notify_init(struct daemon *d, struct notify_set *s);
/* Takes s: the receivers from now on; counters and queued deliveries of a
 * name that stays are kept. */
void daemon_notify_reload(struct daemon *d, struct notify_set *s);
/* Deliveries in flight get a second; the queued ones are dropped (logged). */
void daemon_notify_fini(struct daemon *d);

/* A detection of an internal host, before it is enforced: remembered as one
 * of the host's recent detections (the evidence of a tier change it causes). */
void daemon_notify_note(struct daemon *d, const struct mw_event *ev);
/* After it is enforced: a detection notice to the receivers that want one,
 * at most one per host and coalesce window; eh is the host's escalation
 * state now (NULL: watched, no count). */
void daemon_notify_detection(struct daemon *d, const struct mw_event *ev,
			     const struct escalate_host *eh);
/* A tier change and its event line (eve: JSON object, text: readable). */
void daemon_notify_tier(struct daemon *d, const struct escalate_change *c, const char *eve,
			const char *text);
/* A feed that failed its checks, with its event line. */
void daemon_notify_feed_rejected(struct daemon *d, const char *eve, const char *text);

/* Receivers' counters for /metrics. */
void daemon_notify_stats(const struct daemon *d, struct mwstats *st);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Escalation per internal host: watch -> throttle -> quarantine as detections
 * pile up within a window; tiers end on timeout or admin release. Plain C, no
 * kernel state: the daemon turns each change into enforcer calls and events. */
#ifndef MW_ESCALATE_H
#define MW_ESCALATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enforce.h"	/* enum enforce_tier: ENF_WATCH, ENF_THROTTLE, ENF_QUARANTINE */

struct escalate;

struct escalate_cfg {
	uint32_t window_s;		/* detections older than this do not count */
	uint32_t throttle_after;	/* detections within the window to throttle (0: never) */
	uint32_t quarantine_after;	/* ... to quarantine (0: never); > throttle_after */
	uint32_t throttle_timeout_s;	/* a throttle ends after this (0: never) */
	uint32_t quarantine_timeout_s;	/* a quarantine ends after this (0: never) */
};

struct escalate_host {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];
	enum enforce_tier tier;
	uint32_t detections;		/* within the current window */
	uint64_t tier_since_ms;		/* wall clock, ms since the epoch */
	uint64_t tier_until_ms;		/* 0: no timeout */
	uint64_t last_ms;		/* last detection */
};

struct escalate_change {
	struct escalate_host host;	/* state after the change */
	enum enforce_tier from;
	const char *why;		/* "detections", "timeout", "release", "restore" */
};

/* capacity: hosts tracked at once (bounded; the least recently seen WATCH host
 * is forgotten first; hosts in a tier are never forgotten while it lasts). */
struct escalate *escalate_new(unsigned int capacity, const struct escalate_cfg *cfg);
void escalate_free(struct escalate *es);
/* New thresholds (reload): tiers in force keep their timeouts. */
void escalate_set_cfg(struct escalate *es, const struct escalate_cfg *cfg);

/* One detection by host at now_ms (wall clock). true and *out filled when the
 * host moved up a tier. */
bool escalate_note(struct escalate *es, uint8_t family, const uint8_t addr[16], uint64_t now_ms,
		   struct escalate_change *out);
/* Admin release: back to WATCH, detections forgotten. true and *out when the
 * host was in a tier; false when unknown or already watched. */
bool escalate_release(struct escalate *es, uint8_t family, const uint8_t addr[16], uint64_t now_ms,
		      struct escalate_change *out);
/* End tiers whose time is up: cb gets each change. Returns how many. */
size_t escalate_expire(struct escalate *es, uint64_t now_ms,
		       void (*cb)(const struct escalate_change *c, void *arg), void *arg);
/* Put back a host read from the state file (tier_until_ms in the past: ignored). 0 or -1. */
int escalate_restore(struct escalate *es, const struct escalate_host *h, uint64_t now_ms);
/* Every tracked host; stop when cb returns non-zero. */
void escalate_foreach(const struct escalate *es, int (*cb)(const struct escalate_host *h, void *arg),
		      void *arg);
const struct escalate_host *escalate_find(const struct escalate *es, uint8_t family,
					  const uint8_t addr[16]);
size_t escalate_count(const struct escalate *es, enum enforce_tier tier);
const char *escalate_tier_name(enum enforce_tier tier);

#endif

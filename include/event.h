/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Events the engine reports, and their JSON form (Suricata EVE field names). */
#ifndef MW_EVENT_H
#define MW_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/time.h>

#include "conf.h"
#include "detect.h"
#include "flow.h"

/* The longest detail an event carries: a finding inside proxy tunnels names
 * the proxy and every tunnel before the finding's own detail. */
#define EVENT_DETAIL_MAX 512

enum event_type {
	EVENT_MINING = 0,	/* a detector matched a flow */
	EVENT_DECISION,		/* a flow was judged clean (log.decisions) */
	EVENT_SUSPECT,		/* a flow worth probing its server for (tls-suspect) */
};

struct mw_event {
	enum event_type type;
	struct timeval ts;		/* packet time: wall clock live, capture time offline */
	const struct flow_key *key;	/* addr[0]/port[0] = client */
	const char *detector;
	const char *dialect;		/* "" when none */
	const char *detail;
	enum conf_action action;
	bool confirmed;
	bool allowlisted;		/* the destination is allowlisted: reported, not blocked */
	bool inbound;			/* a flow a host outside opened towards a protected one:
					 * reported (a relay's inbound leg), never blocked or
					 * escalated */
	const struct det_addr *target;	/* relay: the tunnel's target when it is an
					 * address (blocked in place of the proxy), or NULL */
	unsigned int learned;		/* addresses learned from this event (DNS, SNI) */
	const struct det_learned *learned_addrs;	/* them, or NULL */
};

/* "mining", "decision" or "suspect". */
const char *event_type_name(enum event_type t);
/* One JSON object, no trailing newline. Returns the length, or -1 if it did not fit. */
int event_format_json(char *buf, size_t size, const struct mw_event *ev);
/* One readable line for syslog/stderr. */
int event_format_text(char *buf, size_t size, const struct mw_event *ev);
/* EVE timestamp: 2026-11-30T00:16:31.123456+0000 (UTC). */
void event_timestamp(char *buf, size_t size, const struct timeval *tv);
/* A microseconds field outside 0..999999 carried into the seconds, and the
 * seconds kept within the years 0001-9999, so every timestamp is valid. */
void event_timeval_normalize(struct timeval *tv);
/* Append s as a JSON string (with quotes) at buf[*pos]; returns -1 if it did not fit. */
int event_json_string(char *buf, size_t size, size_t *pos, const char *s);

#endif

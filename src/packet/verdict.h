/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Turning a decision about a flow into the verdict for one packet. The fail
 * policy for internal errors is written here and nowhere else. */
#ifndef MW_VERDICT_H
#define MW_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "queue.h"

struct verdict_policy {
	uint32_t mark_mask;	/* bits of the mark minewall owns */
	bool fail_open;		/* on an internal error: accept (true) or drop */
};

/* Still judging the flow: let this packet through, keep queueing the flow. */
void verdict_pass(struct queue_verdict *v);
/* Flow judged clean: accept and mark, so the kernel stops queueing it. */
void verdict_clean(const struct verdict_policy *pol, uint32_t pkt_mark, struct queue_verdict *v);
/* A detection's action on this packet: alert lets it through (the flow stays
 * inspected until its budget ends, so a DNS answer still teaches addresses);
 * drop and reject re-inject it with a mark the ruleset turns into a drop or a
 * reset and a blocked conntrack entry. */
void verdict_action(const struct verdict_policy *pol, enum conf_action act, uint32_t pkt_mark,
		    struct queue_verdict *v);
/* A segment that must not reach the peer before the bytes ahead of it were
 * judged (out of order during inspection): drop it, TCP resends it. */
void verdict_hold(struct queue_verdict *v);
/* Whether the packet already carries our drop or reject verdict: it came back
 * to the queue after NF_REPEAT instead of leaving the ruleset (a loop). */
bool verdict_returned(const struct verdict_policy *pol, uint32_t pkt_mark);
/* Whether the ruleset marked the packet as part of a flow opened from outside. */
bool verdict_inbound(const struct verdict_policy *pol, uint32_t pkt_mark);
/* Drop this packet, mark nothing (a looping packet). */
void verdict_drop(struct queue_verdict *v);
/* Something went wrong judging this packet (malformed, no memory): follow the fail mode. */
void verdict_error(const struct verdict_policy *pol, struct queue_verdict *v);

#endif

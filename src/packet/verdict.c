// SPDX-License-Identifier: GPL-2.0-or-later
/* Verdicts for one packet, from the engine's decision about its flow. */
#include "config.h"

#include "ruleset.h"
#include "verdict.h"

static uint32_t with_mark(const struct verdict_policy *pol, uint32_t pkt_mark, uint32_t value)
{
	return (pkt_mark & ~pol->mark_mask) | ruleset_mark(pol->mark_mask, value);
}

void verdict_pass(struct queue_verdict *v)
{
	v->action = QV_ACCEPT;
	v->set_mark = false;
}

void verdict_clean(const struct verdict_policy *pol, uint32_t pkt_mark, struct queue_verdict *v)
{
	v->action = QV_ACCEPT;
	v->set_mark = true;
	v->mark = with_mark(pol, pkt_mark, MW_MARK_CLEAN);
}

void verdict_action(const struct verdict_policy *pol, enum conf_action act, uint32_t pkt_mark,
		    struct queue_verdict *v)
{
	switch (act) {
	case ACT_ALERT:
		verdict_pass(v);
		return;
	case ACT_DROP:
		v->action = QV_REPEAT;
		v->set_mark = true;
		v->mark = with_mark(pol, pkt_mark, MW_MARK_BLOCK);
		return;
	case ACT_REJECT:
		v->action = QV_REPEAT;
		v->set_mark = true;
		v->mark = with_mark(pol, pkt_mark, MW_MARK_REJECT);
		return;
	}
}

bool verdict_returned(const struct verdict_policy *pol, uint32_t pkt_mark)
{
	uint32_t m = pkt_mark & pol->mark_mask;

	return pol->mark_mask != 0 && (m == ruleset_mark(pol->mark_mask, MW_MARK_BLOCK) ||
				       m == ruleset_mark(pol->mark_mask, MW_MARK_REJECT));
}

bool verdict_inbound(const struct verdict_policy *pol, uint32_t pkt_mark)
{
	return ruleset_mark_fits(pol->mark_mask, MW_MARK_INBOUND) &&
	       (pkt_mark & pol->mark_mask) == ruleset_mark(pol->mark_mask, MW_MARK_INBOUND);
}

void verdict_drop(struct queue_verdict *v)
{
	v->action = QV_DROP;
	v->set_mark = false;
}

void verdict_hold(struct queue_verdict *v)
{
	v->action = QV_DROP;
	v->set_mark = false;
}

void verdict_error(const struct verdict_policy *pol, struct queue_verdict *v)
{
	v->action = pol->fail_open ? QV_ACCEPT : QV_DROP;
	v->set_mark = false;
}

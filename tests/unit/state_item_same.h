/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Two state file items equal field by field (struct copies need not keep
 * padding): shared by test_state_file and fuzz_state_file. */
#ifndef MW_STATE_ITEM_SAME_H
#define MW_STATE_ITEM_SAME_H

#include <string.h>

#include "state_file_int.h"

static inline int state_item_same(const struct state_item *a, const struct state_item *b)
{
	if (a->kind != b->kind || strcmp(a->reason, b->reason) != 0)
		return 0;
	if (a->kind == STATE_TIER)
		return a->host.family == b->host.family &&
		       memcmp(a->host.addr, b->host.addr, 16) == 0 && a->host.tier == b->host.tier &&
		       a->host.detections == b->host.detections &&
		       a->host.tier_since_ms == b->host.tier_since_ms &&
		       a->host.tier_until_ms == b->host.tier_until_ms &&
		       a->host.last_ms == b->host.last_ms;
	return a->source == b->source && a->which == b->which && a->ep.family == b->ep.family &&
	       a->ep.plen == b->ep.plen && a->ep.port == b->ep.port &&
	       memcmp(a->ep.addr, b->ep.addr, 16) == 0 && a->ep.expires_ms == b->ep.expires_ms;
}

#endif

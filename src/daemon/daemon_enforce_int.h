/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the daemon's enforcement files only: daemon_enforce.c (detections
 * to blocks, allowlists, life cycle), daemon_escalate.c (host tiers,
 * connections refused in the kernel), daemon_state.c (the state file) and
 * daemon_enforce_ctl.c (minewallctl's blocks, allow and hosts). */
#ifndef MW_DAEMON_ENFORCE_INT_H
#define MW_DAEMON_ENFORCE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_server.h"
#include "daemon_enforce.h"
#include "ep_table.h"
#include "escalate.h"
#include "log.h"

struct mnl_socket;
struct refused_count;

/* Dynamic blocks the daemon made itself, by source; lists and feeds are
 * rebuilt from their files and are not part of the state. */
enum { DYN_DETECT = 0, DYN_DNS, DYN_N };

struct daemon_enforce {
	struct enforcer *enf;
	struct escalate *esc;
	struct ep_table *allow_static;	/* from the config (addresses and resolved names) */
	struct ep_table *allow_dyn;	/* added with minewallctl; persisted */
	struct ep_table *allow_all;	/* both: what the engine consults */
	struct domain_set *allow_names;
	struct ep_table *qallow;	/* quarantine allowlist, as installed */
	struct ep_table *dyn[DYN_N];	/* expires_ms: wall clock */
	uint8_t ports[8192];		/* pool ports as installed */
	bool dirty;
	uint64_t last_save_ms;
	struct log_ratelimit rl;
	struct log_ratelimit rl_block;	/* "block: ..." lines */
	struct refused_count *refused;	/* the refused sets as last read */
	struct mnl_socket *refused_nl;	/* opened at init; again on use if that failed */
	uint32_t refused_seq;
	uint64_t refused_last_ms;
	uint64_t refused_total;		/* refused connections counted */
};

/* daemon_enforce.c */

/* The enforce source of each kind of dynamic block. */
extern const enum enforce_source daemon_enforce_dyn_source[DYN_N];

/* One line to the event log and to minewallctl clients following events; ts
 * is the JSON's timestamp (event_timestamp), also put before the text. */
void daemon_enforce_emit(struct daemon *d, const char *ts, const char *json, const char *text);
/* An exact entry (same prefix and port) is in t. */
bool daemon_enforce_ep_has(const struct ep_table *t, const struct ep_entry *e);
/* Whether an address is on the allowlist the engine consults. */
bool daemon_enforce_allowlisted(const struct daemon_enforce *de, uint8_t family, const uint8_t *addr);
/* Queue one dynamic block (dyn: DYN_*) in the open batch and remember it for
 * the state file; timeout_s 0: no expiry. */
void daemon_enforce_block(struct daemon_enforce *de, int dyn, const struct ep_entry *e, uint32_t timeout_s);
/* Rebuild the engine's allowlist from the config's and minewallctl's, queue
 * the kernel difference in the open batch and hand it to the workers;
 * old_names (may be NULL) is freed once they no longer use it. 0 or -1. */
int daemon_enforce_allow_refresh(struct daemon *d, struct domain_set *old_names);

/* daemon_escalate.c */

/* Put a host's tier change into the kernel (in its own batch), log its event
 * and mark the state dirty. */
void daemon_escalate_apply(struct daemon *d, const struct escalate_change *c);
/* Read the refused sets when enforce.count_refused is on and it is time (or
 * refused_last_ms is 0): their hosts' new refused connections escalate them. */
void daemon_escalate_refused_poll(struct daemon *d, uint64_t now);

/* daemon_enforce_ctl.c */

/* The blocks, allow and hosts commands; their handlers take the daemon. */
extern const struct ctl_command daemon_enforce_cmds[];

/* daemon_state.c */

/* Write the state file now, when one is configured; on failure the previous
 * file is kept and the state stays dirty. */
void daemon_state_save(struct daemon *d);
/* Read the state file, when one is configured (making its directory when
 * missing), and put back the blocks, tiers and allowlist entries it holds,
 * with the time they have left. */
void daemon_state_restore(struct daemon *d);

#endif

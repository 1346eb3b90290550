/* SPDX-License-Identifier: GPL-2.0-or-later */
/* minewall's own nftables tables, chains and the queue rule, written with
 * libnftnl in one atomic batch; kernel feature probes. */
#ifndef MW_RULESET_H
#define MW_RULESET_H

#include <stdbool.h>
#include <stdint.h>

struct ct_sweep;
struct enforce_policy;
struct mnl_socket;
struct nlbatch;

/* Values inside the mark mask (shifted to the mask's lowest set bit). */
#define MW_MARK_CLEAN	1u	/* flow judged clean: skip the queue from now on */
#define MW_MARK_BLOCK	2u	/* flow blocked: drop it in the kernel from now on */
#define MW_MARK_REJECT	3u	/* reject this packet (TCP RST / ICMP), then block the flow */
/* ct mark only (as a packet mark 3 is REJECT): the second clean generation.
 * The ct mark's clean generations are CLEAN, CLEAN_ALT, then 4 up to the
 * largest value the mask holds (ruleset_gen.c). */
#define MW_MARK_CLEAN_ALT	3u
/* Packet mark only, set by the ruleset before queueing a packet of a flow
 * that a host outside opened towards a protected one (forward hook): the
 * daemon reports what such a flow carries (a relay's inbound leg) and never
 * blocks or escalates because of it. Needs a mask of at least 3 bits. */
#define MW_MARK_INBOUND	4u

enum queue_mech {
	QMECH_NATIVE = 0,	/* nft "queue" expression */
	QMECH_COMPAT,		/* nft_compat xt target "NFQUEUE" rev 3 */
};

struct ruleset_cfg {
	uint16_t queue_num;
	uint16_t queue_count;
	bool bypass;			/* fail-open: kernel accepts when no daemon listens */
	bool hook_output;
	bool hook_forward;
	const char *const *interfaces;	/* outbound interface names; n_interfaces == 0: all */
	unsigned int n_interfaces;
	/* The forward hook's outside (interfaces, or the default routes' when
	 * none are set); NULL: interfaces. inbound: also queue flows opened from
	 * there, with the INBOUND packet mark (needs fwd_interfaces). */
	const char *const *fwd_interfaces;
	unsigned int n_fwd_interfaces;
	bool inbound;
	/* output: a packet this host's own socket already marked CLEAN (the
	 * daemon's prober, SO_MARK) is not inspected; the mark chain gives its
	 * flow the clean ct mark, so its replies pass too. */
	bool probe_bypass;
	uint32_t mark_mask;
	/* syn_log: SYNs without payload are logged to NFLOG group syn_group and
	 * accepted where they were queued (the daemon reads the group); false:
	 * they are queued. */
	bool syn_log;
	uint16_t syn_group;
	/* Block verdicts, rate limits, feed sets (enforce.h); NULL: every
	 * source drops, no limits, no feeds. */
	const struct enforce_policy *policy;
};

/* Place a mark value (MW_MARK_*) inside mask. */
uint32_t ruleset_mark(uint32_t mask, uint32_t value);
/* Whether mask holds value (its bits all fall inside the mask). */
bool ruleset_mark_fits(uint32_t mask, uint32_t value);

/* Find out whether the kernel has the native queue expression. 0 and *mech set,
 * or -1 when nftables itself is unusable (log says why). Changes nothing. */
int ruleset_probe(enum queue_mech *mech);

/* Whether the kernel takes a "log group" rule (nft_log with nfnetlink_log):
 * 1 yes, 0 no (logged), -1 when nftables itself failed. Changes nothing. */
int ruleset_probe_log(uint16_t group);

/* Install or atomically replace minewall's chains and queue rules (one batch,
 * all or nothing). Dynamic sets in "inet minewall" survive a replace. 0 or -1. */
int ruleset_install(const struct ruleset_cfg *cfg, enum queue_mech mech);

/* Delete every table minewall created (one batch). Missing tables are fine. 0 or -1. */
int ruleset_remove(void);

const char *ruleset_mech_name(enum queue_mech mech);

/* Append to b (a batch of table inet minewall) the rules that move the
 * installed ruleset to the next clean generation, so that established flows
 * judged clean are checked against the sets once more before they skip them
 * again. Reads the current generation from the kernel (a dump on nl with
 * sequence number seq). Unless sw is NULL, first sweeps conntrack so no
 * entry carries the value about to become current (ct_sweep.h; a failed sweep
 * is counted in sw and does not fail the flip). 0 (nothing appended when no
 * minewall ruleset is installed) or -1. */
int ruleset_gen_flip(struct nlbatch *b, struct mnl_socket *nl, uint32_t seq,
		     struct ct_sweep *sw);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/* minewall's own nftables tables, chains and queue rules; kernel queue probe.
 *
 * Everything lives in "table inet minewall" (see the golden dump in
 * tests/lab/expected/ruleset-compat.nft). The enforcement sets live there too;
 * a replace deletes and re-adds only the chains listed in owned_chains[].
 * The queue is the native "queue" expression, or where the kernel lacks it
 * (CONFIG_NFT_QUEUE off) the x_tables NFQUEUE target through nft_compat. The
 * kernel accepts that target in inet tables (checked in a netns on 6.18:
 * rules load, packets are queued, bypass works), so one table serves both
 * mechanisms. nft 1.0.6 lists such rules as "queue num N bypass" but prints
 * "libxtables: unhandled NFPROTO" to stderr: cosmetic.
 * Per protected hook H (output, forward; input for replies of output flows):
 *   H          base chain, priority 10: skip loopback, select interfaces,
 *              goto H_inspect.
 *   H_inspect  jump H_fast (ct mark == CUR accept: a flow judged clean in the
 *              current generation costs one compare); quarantine, throttle
 *              and pool meters, block sets (ruleset_sets.c); any other clean
 *              value -> jump H_clean (back to CUR, or PREV for a throttled
 *              host, accept); ct mark BLOCK drop (output lets the
 *              reply-direction resets of forwarded rejects out), packet mark
 *              REJECT or BLOCK (set by the daemon with NF_REPEAT) -> ct mark
 *              BLOCK where there is a conntrack entry, then reject/drop with
 *              or without one; a packet still carrying that mark is never
 *              queued; else tcp/udp -> queue. input_inspect
 *              has no sets: any clean value accepts.
 *   H_mark     base chain, priority 20: packet mark CLEAN (the daemon's
 *              NF_ACCEPT verdict) -> goto H_clean, which writes CUR (PREV for
 *              a throttled host) into the ct mark bits.
 * The clean generation (ruleset_gen.c): the daemon's verdict always carries
 * CLEAN; which ct-mark value is current lives only in H_fast and H_clean.
 * Every enforcer batch that adds to a block, throttle or quarantine set (or
 * takes from an allowlist) also refills those chains with the next value
 * (ruleset_gen_flip), so established clean flows meet every check again on
 * their next packet, atomically with the new elements. An install keeps the
 * value the kernel has.
 * Only the mark bits under cfg->mark_mask are read or written: the ct mark is
 * set to (ct mark & ~mask) | value, so other users of the ct mark keep theirs.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include "log.h"
#include "nlbatch.h"
#include "enforce.h"
#include "ruleset.h"
#include "ruleset_int.h"

#define PROBE_TABLE	"minewall_probe"
#define PRIO_QUEUE	10
#define PRIO_MARK	20

/* Conntrack directions (enum ip_conntrack_dir). */
#define CT_DIR_ORIGINAL	0
#define CT_DIR_REPLY	1

/* Every chain minewall may own, in an order that deletes a
 * chain's callers (base chains with goto) before the chain itself. */
static const char *const owned_chains[] = {
	"output", "forward", "input", "output_mark", "forward_mark", "input_mark",
	"output_inspect", "forward_inspect", "input_inspect",
	"output_block4", "output_block6", "forward_block4", "forward_block6",
	"output_fast", "forward_fast", "output_clean", "forward_clean", "input_clean",
	"pure_tcp", "syn_tcp", COUNT_CHAIN4, COUNT_CHAIN6,
};

const char *ruleset_mech_name(enum queue_mech mech)
{
	switch (mech) {
	case QMECH_NATIVE:
		return "native";
	case QMECH_COMPAT:
		return "compat";
	}
	return "unknown";
}

/* ---- whole objects: tables and chains ---------------------------------- */

static void emit_table(struct build *bd, uint16_t type, uint16_t family,
		       const char *name)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	uint16_t flags = NLM_F_ACK | (type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);

	if (bd->failed)
		return;
	t = nftnl_table_alloc();
	if (t == NULL) {
		bd->failed = 1;
		return;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nlh = nlbatch_put(bd->b, type, family, flags);
	if (nlh == NULL) {
		bd->failed = 1;
	} else {
		nftnl_table_nlmsg_build_payload(nlh, t);
		snprintf(bd->what, sizeof(bd->what), "%s table %s %s",
			 type == NFT_MSG_NEWTABLE ? "add" : "delete",
			 family_name(family), name);
		if (nlbatch_next(bd->b, bd->what) < 0)
			bd->failed = 1;
	}
	nftnl_table_free(t);
}

/* hook < 0: a regular chain, or (for add) just "make sure it exists". */
static void emit_chain(struct build *bd, uint16_t type, uint16_t family,
		       const char *table, const char *name, int hook, int prio)
{
	struct nftnl_chain *c;
	struct nlmsghdr *nlh;
	uint16_t flags = NLM_F_ACK | (type == NFT_MSG_NEWCHAIN ? NLM_F_CREATE : 0);

	if (bd->failed)
		return;
	c = nftnl_chain_alloc();
	if (c == NULL) {
		bd->failed = 1;
		return;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (hook >= 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = nlbatch_put(bd->b, type, family, flags);
	if (nlh == NULL) {
		bd->failed = 1;
	} else {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		snprintf(bd->what, sizeof(bd->what), "%s chain %s %s %s",
			 type == NFT_MSG_NEWCHAIN ? "add" : "delete",
			 family_name(family), table, name);
		if (nlbatch_next(bd->b, bd->what) < 0)
			bd->failed = 1;
	}
	nftnl_chain_free(c);
}

/* ---- rules ------------------------------------------------------------- */


/* Base chain, priority 10: which packets get inspected at all.
 * forward: a packet leaving through an outside interface (protect.interfaces,
 * or the default routes' interfaces) in the original direction (an outbound
 * flow), and the replies of such flows coming back in through it. With
 * cfg->inbound, flows opened from outside towards us are inspected too,
 * their packets marked INBOUND so the daemon knows who opened them. With no
 * interface at all, every forwarded packet is. */
static void rules_select(struct build *bd, const struct hook_def *h)
{
	const struct ruleset_cfg *cfg = bd->cfg;
	const char *const *names = cfg->interfaces;
	unsigned int i, n = cfg->n_interfaces;

	if (h->hooknum == NF_INET_FORWARD && cfg->fwd_interfaces) {
		names = cfg->fwd_interfaces;
		n = cfg->n_fwd_interfaces;
	}
	if (h->hooknum != NF_INET_FORWARD) {
		uint32_t key = h->hooknum == NF_INET_LOCAL_OUT ? NFT_META_OIFNAME
							       : NFT_META_IIFNAME;

		rule_begin(bd, h->base);
		m_ifname(bd, key, "lo");
		x_verdict(bd, NF_ACCEPT, NULL);
		rule_end(bd);
		/* The prober's own connections: the daemon's socket carries the
		 * CLEAN packet mark before any verdict could have set it. */
		if (h->hooknum == NF_INET_LOCAL_OUT && cfg->probe_bypass) {
			rule_begin(bd, h->base);
			m_mark(bd, false, MW_MARK_CLEAN);
			x_verdict(bd, NF_ACCEPT, NULL);
			rule_end(bd);
		}
	}
	if (n == 0) {
		rule_begin(bd, h->base);
		x_verdict(bd, NFT_GOTO, h->inspect);
		rule_end(bd);
		return;
	}
	for (i = 0; i < n; i++) {
		switch (h->hooknum) {
		case NF_INET_LOCAL_OUT:
			rule_begin(bd, h->base);
			m_ifname(bd, NFT_META_OIFNAME, names[i]);
			x_verdict(bd, NFT_GOTO, h->inspect);
			rule_end(bd);
			break;
		case NF_INET_LOCAL_IN:
			rule_begin(bd, h->base);
			m_ifname(bd, NFT_META_IIFNAME, names[i]);
			x_verdict(bd, NFT_GOTO, h->inspect);
			rule_end(bd);
			break;
		default:
			rule_begin(bd, h->base);
			m_ifname(bd, NFT_META_OIFNAME, names[i]);
			m_ct_direction(bd, CT_DIR_ORIGINAL);
			x_verdict(bd, NFT_GOTO, h->inspect);
			rule_end(bd);
			rule_begin(bd, h->base);
			m_ifname(bd, NFT_META_IIFNAME, names[i]);
			m_ct_direction(bd, CT_DIR_REPLY);
			x_verdict(bd, NFT_GOTO, h->inspect);
			rule_end(bd);
			if (!cfg->inbound)
				break;
			/* Opened from outside: in through it in the original
			 * direction, out through it in the reply direction. */
			rule_begin(bd, h->base);
			m_ifname(bd, NFT_META_IIFNAME, names[i]);
			m_ct_direction(bd, CT_DIR_ORIGINAL);
			s_meta_mark(bd, MW_MARK_INBOUND);
			x_verdict(bd, NFT_GOTO, h->inspect);
			rule_end(bd);
			rule_begin(bd, h->base);
			m_ifname(bd, NFT_META_OIFNAME, names[i]);
			m_ct_direction(bd, CT_DIR_REPLY);
			s_meta_mark(bd, MW_MARK_INBOUND);
			x_verdict(bd, NFT_GOTO, h->inspect);
			rule_end(bd);
			break;
		}
	}
	/* Anything else falls off the chain: policy accept. */
}

static void rules_inspect(struct build *bd, const struct hook_def *h)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	size_t i;

	if (h->fast != NULL) {
		/* Judged clean in the current generation: one compare. */
		rule_begin(bd, h->inspect);
		x_verdict(bd, NFT_JUMP, h->fast);
		rule_end(bd);
		/* Quarantine, throttles and block sets before any other clean
		 * flow passes: a flow judged clean before its destination was
		 * blocked is still stopped. One that survives them is clean in
		 * the current generation again (H_clean). */
		rules_sets(bd, h);
		rule_begin(bd, h->inspect);
		m_ct_clean_any(bd);
		x_verdict(bd, NFT_JUMP, h->clean);
		rule_end(bd);
	} else {
		/* input: replies of output flows, no sets to check. */
		rule_begin(bd, h->inspect);
		m_ct_clean_any(bd);
		x_verdict(bd, NF_ACCEPT, NULL);
		rule_end(bd);
	}
	/* A reset or ICMP error that the reject rules below build for a
	 * forwarded flow leaves through this host's output hook, carrying the
	 * blocked flow's conntrack in the reply direction: let it out, or the
	 * miner never learns it was refused and retries until it times out. */
	if (h->hooknum == NF_INET_LOCAL_OUT) {
		rule_begin(bd, h->inspect);
		m_mark(bd, true, MW_MARK_BLOCK);
		m_ct_direction(bd, CT_DIR_REPLY);
		x_verdict(bd, NF_ACCEPT, NULL);
		rule_end(bd);
	}
	rule_begin(bd, h->inspect);
	m_mark(bd, true, MW_MARK_BLOCK);
	x_verdict(bd, NF_DROP, NULL);
	rule_end(bd);

	/* The daemon answers NF_REPEAT with the packet mark set; the packet
	 * comes back here and the flow is blocked for good. The ct mark is
	 * written by rules of its own with no verdict: writing it reads the ct
	 * mark first, which ends the rule for a packet without a conntrack
	 * entry (ct state invalid or untracked, e.g. a pool's FIN after
	 * conntrack forgot the flow). The verdict rules after them act on the
	 * packet mark alone, so every marked packet leaves here. */
	rule_begin(bd, h->inspect);
	m_mark(bd, false, MW_MARK_REJECT);
	s_ct_mark(bd, MW_MARK_BLOCK);
	rule_end(bd);
	rule_begin(bd, h->inspect);
	m_mark(bd, false, MW_MARK_BLOCK);
	s_ct_mark(bd, MW_MARK_BLOCK);
	rule_end(bd);
	rule_begin(bd, h->inspect);
	m_mark(bd, false, MW_MARK_REJECT);
	m_l4proto(bd, IPPROTO_TCP);
	s_reject(bd, true);
	rule_end(bd);
	rule_begin(bd, h->inspect);
	m_mark(bd, false, MW_MARK_REJECT);
	s_reject(bd, false);
	rule_end(bd);
	rule_begin(bd, h->inspect);
	m_mark(bd, false, MW_MARK_BLOCK);
	x_verdict(bd, NF_DROP, NULL);
	rule_end(bd);

	/* Resets carry nothing to judge. The ones the block rules send for a
	 * forwarded flow leave through this host's output hook with a fresh,
	 * unmarked conntrack: queued there, they never came back and the miner
	 * timed out instead of being refused. */
	rule_begin(bd, h->inspect);
	m_tcp_rst(bd);
	x_verdict(bd, NF_ACCEPT, NULL);
	rule_end(bd);

	/* A TCP segment that carries no byte and neither opens nor closes the
	 * flow (a bare ACK, a SYN-ACK) has nothing to judge: pure_tcp accepts
	 * it in the kernel. A short flow then costs two trips to the daemon
	 * (SYN, first data) instead of four, one with the SYN log. */
	rule_begin(bd, h->inspect);
	m_tcp_ack_only(bd);
	x_verdict(bd, NFT_JUMP, PURE_CHAIN);
	rule_end(bd);

	rules_queue_cap(bd, h->inspect);

	/* Never queue a packet that already carries the daemon's verdict,
	 * whatever the rules above do: it would come back for ever. */
	rule_begin(bd, h->inspect);
	m_mark(bd, false, MW_MARK_REJECT);
	x_verdict(bd, NF_DROP, NULL);
	rule_end(bd);
	rule_begin(bd, h->inspect);
	m_mark(bd, false, MW_MARK_BLOCK);
	x_verdict(bd, NF_DROP, NULL);
	rule_end(bd);

	/* A SYN without payload carries nothing to judge but where its flow's
	 * stream starts: syn_tcp logs that to the daemon's NFLOG group and
	 * accepts it here, where it would have been queued, so a new flow
	 * costs one trip to the daemon (its first data), not two. The input
	 * hook queues only replies and keeps SYNs as they were. */
	if (bd->cfg->syn_log && h->hooknum != NF_INET_LOCAL_IN) {
		rule_begin(bd, h->inspect);
		m_tcp_syn_only(bd);
		x_verdict(bd, NFT_JUMP, SYN_CHAIN);
		rule_end(bd);
	}

	/* One rule per protocol rather than an anonymous set: nothing to keep
	 * bound, and flushing the chain leaves no orphan. */
	for (i = 0; i < sizeof(protos); i++) {
		rule_begin(bd, h->inspect);
		if (h->hooknum == NF_INET_LOCAL_IN)
			m_ct_direction(bd, CT_DIR_REPLY);
		m_l4proto(bd, protos[i]);
		s_queue(bd);
		rule_end(bd);
	}
}

/* Priority 20: the daemon's NF_ACCEPT carries the CLEAN packet mark; H_clean
 * records the current generation in the ct mark so the flow's next packets
 * skip the queue and the checks. */
static void rules_mark(struct build *bd, const struct hook_def *h)
{
	rule_begin(bd, h->mark);
	m_mark(bd, false, MW_MARK_CLEAN);
	x_verdict(bd, NFT_GOTO, h->clean);
	rule_end(bd);
}

static void emit_hook(struct build *bd, const struct hook_def *h, uint32_t cur)
{
	if (h->fast != NULL)
		emit_chain(bd, NFT_MSG_NEWCHAIN, bd->family, TABLE, h->fast, -1, 0);
	emit_chain(bd, NFT_MSG_NEWCHAIN, bd->family, TABLE, h->clean, -1, 0);
	rules_gen(bd, h, cur, false);
	if (h->block4 != NULL) {
		emit_chain(bd, NFT_MSG_NEWCHAIN, bd->family, TABLE, h->block4, -1, 0);
		emit_chain(bd, NFT_MSG_NEWCHAIN, bd->family, TABLE, h->block6, -1, 0);
		rules_blocks(bd, h);
	}
	emit_chain(bd, NFT_MSG_NEWCHAIN, bd->family, TABLE, h->inspect, -1, 0);
	emit_chain(bd, NFT_MSG_NEWCHAIN, bd->family, TABLE, h->base,
		   (int)h->hooknum, PRIO_QUEUE);
	emit_chain(bd, NFT_MSG_NEWCHAIN, bd->family, TABLE, h->mark,
		   (int)h->hooknum, PRIO_MARK);
	rules_select(bd, h);
	rules_inspect(bd, h);
	rules_mark(bd, h);
}

/* ---- probe, install, remove -------------------------------------------- */

/* Send the batch. A refused batch is logged unless quiet (the probe expects
 * refusals); every other failure is always logged. */
static int batch_run(struct build *bd, const char *doing, bool quiet)
{
	struct mnl_socket *nl = NULL;
	int ret = -1;

	if (bd->failed) {
		log_warn("nftables: %s: building the batch", doing);
		goto out;
	}
	nl = nlbatch_open();
	if (nl == NULL) {
		log_warn("nftables: %s: netlink socket", doing);
		goto out;
	}
	if (nlbatch_commit(bd->b, nl) < 0) {
		if (!quiet || nlbatch_failed_seq(bd->b) == 0)
			log_warnx("nftables: %s: %s", doing, nlbatch_error(bd->b));
		goto out;
	}
	ret = 0;
out:
	nlbatch_close(nl);
	return ret;
}

/* Try a queue rule of this mechanism in a throwaway table: add table, chain
 * and rule, delete the table, all in one batch, so the net effect is nothing.
 * 0 with *err 0: it works; 0 with *err set: the kernel refused the rule itself
 * (ENOENT after trying to load the module, or EOPNOTSUPP); -1: some other
 * failure, logged. */
static int probe_mech(enum queue_mech mech, uint16_t family, int log_group, int *err)
{
	struct ruleset_cfg cfg = { .queue_count = 1, .mark_mask = 1 };
	struct build bd = { .family = family, .mech = mech, .cfg = &cfg };
	uint32_t seq = (uint32_t)time(NULL);
	int ret = -1;

	*err = 0;
	bd.b = nlbatch_new(0, seq);
	if (bd.b == NULL) {
		log_warn("nftables: probe");
		return -1;
	}
	emit_table(&bd, NFT_MSG_NEWTABLE, family, PROBE_TABLE);	/* seq + 1 */
	emit_chain(&bd, NFT_MSG_NEWCHAIN, family, PROBE_TABLE, "probe", -1, 0);
	rule_begin(&bd, "probe");					/* seq + 3 */
	if (bd.r != NULL)
		nftnl_rule_set_str(bd.r, NFTNL_RULE_TABLE, PROBE_TABLE);
	if (log_group >= 0)
		s_log_group(&bd, (uint16_t)log_group);
	else
		s_queue(&bd);
	rule_end(&bd);
	emit_table(&bd, NFT_MSG_DELTABLE, family, PROBE_TABLE);
	if (batch_run(&bd, "probe", true) == 0) {
		ret = 0;
		goto out;
	}
	if (bd.failed || nlbatch_failed_seq(bd.b) == 0)
		goto out;
	*err = nlbatch_failed_errno(bd.b);
	if ((*err == ENOENT || *err == EOPNOTSUPP) &&
	    nlbatch_failed_seq(bd.b) == seq + 3) {
		ret = 0;
		goto out;
	}
	log_warnx("nftables: probe (%s, %s table): %s",
		  log_group >= 0 ? "log group" : ruleset_mech_name(mech), family_name(family),
		  nlbatch_error(bd.b));
out:
	nlbatch_free(bd.b);
	return ret;
}

int ruleset_probe(enum queue_mech *mech)
{
	int err;

	if (probe_mech(QMECH_NATIVE, NFPROTO_INET, -1, &err) < 0)
		return -1;
	if (err == 0) {
		log_info("nftables: queue mechanism native (nft queue expression), table inet %s",
			 TABLE);
		*mech = QMECH_NATIVE;
		return 0;
	}
	log_info("nftables: no native queue expression (%s)", strerror(err));
	if (probe_mech(QMECH_COMPAT, NFPROTO_INET, -1, &err) < 0)
		return -1;
	if (err != 0) {
		log_warnx("nftables: no queue mechanism: nft_compat NFQUEUE target in an inet table: %s",
			  strerror(err));
		return -1;
	}
	log_info("nftables: queue mechanism compat (nft_compat NFQUEUE rev 3), table inet %s",
		 TABLE);
	*mech = QMECH_COMPAT;
	return 0;
}

int ruleset_probe_log(uint16_t group)
{
	int err;

	if (probe_mech(QMECH_NATIVE, NFPROTO_INET, group, &err) < 0)
		return -1;
	if (err != 0)
		log_warnx("nftables: no \"log group\" rule (nft_log or nfnetlink_log missing): %s",
			  strerror(err));
	return err == 0;
}

static int cfg_check(const struct ruleset_cfg *cfg)
{
	uint32_t mask = cfg->mark_mask;
	unsigned int i;

	if (mask == 0 || ruleset_mark(mask, MW_MARK_REJECT) >> __builtin_ctz(mask) !=
			     MW_MARK_REJECT) {
		log_warnx("nftables: mark mask 0x%08x cannot hold the mark values", mask);
		return -1;
	}
	if (cfg->queue_count > 1 &&
	    (uint32_t)cfg->queue_num + cfg->queue_count - 1 > UINT16_MAX) {
		log_warnx("nftables: queues %u..%u out of range", cfg->queue_num,
			  (uint32_t)cfg->queue_num + cfg->queue_count - 1);
		return -1;
	}
	for (i = 0; i < cfg->n_interfaces + cfg->n_fwd_interfaces; i++) {
		const char *n = i < cfg->n_interfaces ? cfg->interfaces[i]
						      : cfg->fwd_interfaces[i - cfg->n_interfaces];

		if (n == NULL || n[0] == '\0' || strlen(n) >= IFNAMSIZ) {
			log_warnx("nftables: bad interface name \"%s\"", n ? n : "");
			return -1;
		}
	}
	if (cfg->inbound && !ruleset_mark_fits(mask, MW_MARK_INBOUND)) {
		log_warnx("nftables: mark mask 0x%08x cannot hold the inbound mark", mask);
		return -1;
	}
	return 0;
}

/* Replace strategy, one batch:
 *  - "inet minewall" is added (a no-op when it exists) and never deleted, so
 *    its sets survive.
 *  - each chain minewall may own is added by name only (a no-op when it
 *    exists, base chain or not) and then deleted: a delete of a missing
 *    object would fail the batch. Base chains go first, so their goto rules
 *    no longer hold the inspect chains when those are deleted.
 *  - then the wanted chains and rules are added.
 * The kernel applies the whole batch or nothing, so packets never see a
 * ruleset without the queue rules, and a refused batch changes nothing. */
void ruleset_build(struct build *bd, uint32_t cur)
{
	const struct ruleset_cfg *cfg = bd->cfg;
	size_t i, n = sizeof(owned_chains) / sizeof(owned_chains[0]);

	emit_table(bd, NFT_MSG_NEWTABLE, NFPROTO_INET, TABLE);
	/* The sets belong to enforce.c; they are added (kept when present)
	 * before the rules that use them. */
	if (!bd->failed && enforce_sets_emit(bd->b, cfg->policy) < 0) {
		log_warn("nftables: install: enforcement sets");
		bd->failed = 1;
	}
	for (i = 0; i < n; i++)
		emit_chain(bd, NFT_MSG_NEWCHAIN, NFPROTO_INET, TABLE,
			   owned_chains[i], -1, 0);
	for (i = 0; i < n; i++)
		emit_chain(bd, NFT_MSG_DELCHAIN, NFPROTO_INET, TABLE,
			   owned_chains[i], -1, 0);
	emit_chain(bd, NFT_MSG_NEWCHAIN, bd->family, TABLE, PURE_CHAIN, -1, 0);
	rules_pure(bd, PURE_CHAIN, false);
	if (cfg->syn_log && (cfg->hook_output || cfg->hook_forward)) {
		emit_chain(bd, NFT_MSG_NEWCHAIN, bd->family, TABLE, SYN_CHAIN, -1, 0);
		rules_pure(bd, SYN_CHAIN, true);
	}
	if (cfg->hook_output || cfg->hook_forward) {
		emit_chain(bd, NFT_MSG_NEWCHAIN, bd->family, TABLE, COUNT_CHAIN4, -1, 0);
		emit_chain(bd, NFT_MSG_NEWCHAIN, bd->family, TABLE, COUNT_CHAIN6, -1, 0);
		rules_count_refused(bd);
	}
	if (cfg->hook_output) {
		emit_hook(bd, &hook_output, cur);
		emit_hook(bd, &hook_input, cur);
	}
	if (cfg->hook_forward)
		emit_hook(bd, &hook_forward, cur);
}

/* The clean generation to install: the one in the kernel, so that a
 * restarted daemon or a reload does not make a stale value current. */
static uint32_t install_gen(const struct ruleset_cfg *cfg)
{
	struct mnl_socket *nl = nlbatch_open();
	struct gen g;
	uint32_t cur = MW_MARK_CLEAN;

	if (nl == NULL)
		return cur;
	if (gen_read(nl, (uint32_t)time(NULL), &g) == 1 && g.mask == cfg->mark_mask)
		cur = g.cur;
	nlbatch_close(nl);
	return cur;
}

int ruleset_install(const struct ruleset_cfg *cfg, enum queue_mech mech)
{
	struct build bd = { .family = NFPROTO_INET, .mech = mech, .cfg = cfg };
	int ret = -1;

	if (cfg_check(cfg) < 0)
		return -1;
	bd.b = nlbatch_new(0, (uint32_t)time(NULL));
	if (bd.b == NULL) {
		log_warn("nftables: install");
		return -1;
	}
	ruleset_build(&bd, install_gen(cfg));
	if (batch_run(&bd, "install", false) < 0)
		goto out;
	log_info("nftables: installed %s queue %u..%u%s in table inet %s (%zu messages)",
		 ruleset_mech_name(mech), cfg->queue_num,
		 cfg->queue_num + queue_total(cfg) - 1,
		 cfg->bypass ? " bypass" : "", TABLE, nlbatch_count(bd.b));
	ret = 0;
out:
	nlbatch_free(bd.b);
	return ret;
}

int ruleset_remove(void)
{
	struct build bd = { .family = NFPROTO_INET };
	int ret = -1;

	bd.b = nlbatch_new(0, (uint32_t)time(NULL));
	if (bd.b == NULL) {
		log_warn("nftables: remove");
		return -1;
	}
	/* add then delete: a missing table is no error. */
	emit_table(&bd, NFT_MSG_NEWTABLE, NFPROTO_INET, TABLE);
	emit_table(&bd, NFT_MSG_DELTABLE, NFPROTO_INET, TABLE);
	if (batch_run(&bd, "remove", false) < 0)
		goto out;
	log_info("nftables: removed table inet %s", TABLE);
	ret = 0;
out:
	nlbatch_free(bd.b);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The rules that use enforce.c's sets: quarantine, per-host throttles, the
 * pool-port connection meter, the allowlist and the block chains.
 *
 * In H_inspect (output, forward), before the mark and queue rules, per family:
 *   ip saddr @quarantine4 ip daddr != @qallow4 drop
 *   ip saddr @throttle4 add @tmeter4 { ip saddr limit rate over B bytes/second } drop
 *   ct state new ip saddr @throttle4 add @cmeter4 { ip saddr limit rate over C/second } drop
 *   ct state new meta l4proto tcp th dport @pool_ports add @pmeter4 { ip saddr limit ... } drop
 *   ip daddr != @allow4 jump H_block4
 * H_block4 holds, per source (detect, dns, list, each feed), its verdict on
 * @SRC_addr4, @SRC_cidr4 and ip daddr . th dport @SRC_ep4 (tcp and udp). An
 * allowlisted destination skips the blocks but is still queued, so the daemon
 * sees and reports it. A blocked one never reaches the queue.
 * With enforce.count_refused, H_block4 starts with
 *   ct state new jump count_refused4
 * and count_refused4 (shared by the hooks) counts the first packet of a flow
 * a block set is about to refuse against its source host, once
 * (refused_count.h):
 *   ip daddr @SRC_addr4 update @refused4 { ip saddr counter } return
 * so a miner retrying a blocked pool still escalates, though the daemon
 * never sees those connections; a packet that is not a flow's first costs
 * one compare. */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include <libnftnl/expr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "enforce.h"
#include "refused_count.h"
#include "ruleset_int.h"

static const struct enforce_policy policy_default = { .count_refused = true };

/* Where the addresses sit in each family's network header. */
struct fam {
	int af;
	uint8_t nfproto;
	int v;
	uint32_t saddr, daddr, alen;
	uint32_t port_reg;	/* register after the address in a concatenation */
};

static const struct fam fams[2] = {
	{ AF_INET, NFPROTO_IPV4, 4, 12, 16, 4, NFT_REG32_01 },
	{ AF_INET6, NFPROTO_IPV6, 6, 8, 24, 16, NFT_REG32_04 },
};

static const struct enforce_policy *policy(const struct build *bd)
{
	return bd->cfg->policy != NULL ? bd->cfg->policy : &policy_default;
}

static void load_addr(struct build *bd, const struct fam *f, bool source)
{
	x_payload(bd, NFT_PAYLOAD_NETWORK_HEADER, source ? f->saddr : f->daddr,
		  f->alen, NFT_REG_1);
}

static void set_name(char *buf, size_t size, const char *base, const struct fam *f)
{
	snprintf(buf, size, "%s%d", base, f->v);
}

/* Per-source meter: [match already built] saddr -> add @meter {limit} drop. */
static void meter_end(struct build *bd, const struct fam *f, const char *meter,
		      uint64_t rate, uint32_t burst, bool bytes)
{
	char name[ENF_SET_NAME_MAX + 1];

	set_name(name, sizeof(name), meter, f);
	load_addr(bd, f, true);
	x_dynset_limit(bd, name, rate, burst, bytes);
	x_verdict(bd, NF_DROP, NULL);
	rule_end(bd);
}

void rules_sets(struct build *bd, const struct hook_def *h)
{
	const struct enforce_policy *p = policy(bd);
	char name[ENF_SET_NAME_MAX + 1];
	size_t i;

	for (i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];

		rule_begin(bd, h->inspect);
		m_nfproto(bd, f->nfproto);
		load_addr(bd, f, true);
		set_name(name, sizeof(name), "quarantine", f);
		x_lookup(bd, name, false);
		load_addr(bd, f, false);
		set_name(name, sizeof(name), "qallow", f);
		x_lookup(bd, name, true);
		x_verdict(bd, NF_DROP, NULL);
		rule_end(bd);

		if (p->throttle_bytes > 0) {
			rule_begin(bd, h->inspect);
			m_nfproto(bd, f->nfproto);
			load_addr(bd, f, true);
			set_name(name, sizeof(name), "throttle", f);
			x_lookup(bd, name, false);
			meter_end(bd, f, "tmeter", p->throttle_bytes,
				  p->throttle_burst, true);
		}
		if (p->throttle_conns > 0) {
			rule_begin(bd, h->inspect);
			m_ct_state_new(bd);
			m_nfproto(bd, f->nfproto);
			load_addr(bd, f, true);
			set_name(name, sizeof(name), "throttle", f);
			x_lookup(bd, name, false);
			/* N connections a second, at most N at once (nft's
			 * packet default would allow 5 at once). */
			meter_end(bd, f, "cmeter", p->throttle_conns, p->throttle_conns, false);
		}
		if (p->pool_conns > 0) {
			rule_begin(bd, h->inspect);
			m_ct_state_new(bd);
			m_nfproto(bd, f->nfproto);
			m_l4proto(bd, IPPROTO_TCP);
			x_payload(bd, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
			x_lookup(bd, "pool_ports", false);
			meter_end(bd, f, "pmeter", p->pool_conns, p->pool_conns, false);
		}

		rule_begin(bd, h->inspect);
		m_nfproto(bd, f->nfproto);
		load_addr(bd, f, false);
		set_name(name, sizeof(name), "allow", f);
		x_lookup(bd, name, true);
		x_verdict(bd, NFT_JUMP, i == 0 ? h->block4 : h->block6);
		rule_end(bd);
	}
}

/* [set match built] ip saddr -> update @refusedN { ip saddr counter }
 * return: counted once; the block chain refuses it. update, not add: every
 * refused connection restarts the element's timeout, so a host that keeps
 * retrying keeps one counter that only grows. */
static void refused_end(struct build *bd, const struct fam *f)
{
	struct nftnl_expr *e, *ctr;

	load_addr(bd, f, true);
	e = expr_add(bd, "dynset");
	if (e == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME,
			   f->af == AF_INET ? REFUSED_SET4 : REFUSED_SET6);
	ctr = nftnl_expr_alloc("counter");
	if (ctr == NULL) {
		bd->failed = 1;
		return;
	}
	nftnl_expr_set(e, NFTNL_EXPR_DYNSET_EXPR, ctr, 0);
	x_verdict(bd, NFT_RETURN, NULL);
	rule_end(bd);
}

/* One set's rule in count_refusedN: count and return. */
static void count_rule(struct build *bd, const char *chain, const struct fam *f,
		       const char *set, bool ep, uint8_t proto)
{
	rule_begin(bd, chain);
	m_nfproto(bd, f->nfproto);
	if (proto != 0)
		m_l4proto(bd, proto);
	load_addr(bd, f, false);
	if (ep)
		x_payload(bd, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, f->port_reg);
	x_lookup(bd, set, false);
	refused_end(bd, f);
}

/* One set's rules in a block chain, or with count in count_refusedN. proto:
 * 0 any, else that l4 protocol (the endpoint sets match a transport port). */
static void block_rule(struct build *bd, const char *chain, const struct fam *f,
		       const char *set, bool ep, uint8_t proto,
		       enum enforce_verdict verdict, bool count)
{
	bool tcp_first = verdict == ENF_REJECT && proto == 0;
	int pass;

	if (count) {
		count_rule(bd, chain, f, set, ep, proto);
		return;
	}

	/* A reject of unknown protocol is two rules: TCP reset, then ICMP. */
	for (pass = tcp_first ? 0 : 1; pass < 2; pass++) {
		uint8_t l4 = pass == 0 ? IPPROTO_TCP : proto;

		rule_begin(bd, chain);
		/* Redundant after the jump, but nft then lists "ip daddr". */
		m_nfproto(bd, f->nfproto);
		if (l4 != 0)
			m_l4proto(bd, l4);
		load_addr(bd, f, false);
		if (ep)
			x_payload(bd, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, f->port_reg);
		x_lookup(bd, set, false);
		if (verdict == ENF_DROP)
			x_verdict(bd, NF_DROP, NULL);
		else
			s_reject(bd, l4 == IPPROTO_TCP);
		rule_end(bd);
	}
}

static void block_source(struct build *bd, const char *chain, const struct fam *f,
			 enum enforce_source src, const char *feed,
			 enum enforce_verdict verdict, bool count)
{
	char name[ENF_SET_NAME_MAX + 1];

	if (enforce_set_name(name, sizeof(name), src, feed, ENF_ADDR, f->af) < 0) {
		bd->failed = 1;
		return;
	}
	block_rule(bd, chain, f, name, false, 0, verdict, count);
	enforce_set_name(name, sizeof(name), src, feed, ENF_CIDR, f->af);
	block_rule(bd, chain, f, name, false, 0, verdict, count);
	enforce_set_name(name, sizeof(name), src, feed, ENF_EP, f->af);
	block_rule(bd, chain, f, name, true, IPPROTO_TCP, verdict, count);
	block_rule(bd, chain, f, name, true, IPPROTO_UDP, verdict, count);
}

/* Every block set of every source in chain: its verdict, or its count. */
static void block_sources(struct build *bd, const char *chain, const struct fam *f, bool count)
{
	const struct enforce_policy *p = policy(bd);
	unsigned int src, k;

	for (src = 0; src < ENF_SOURCES; src++) {
		if (src != ENF_FEED) {
			block_source(bd, chain, f, src, NULL, p->verdict[src], count);
			continue;
		}
		for (k = 0; k < p->n_feeds; k++)
			block_source(bd, chain, f, src, p->feeds[k], p->verdict[src], count);
	}
}

void rules_count_refused(struct build *bd)
{
	size_t i;

	/* The refused sets are enforce_sets_emit's, made before any chain. */
	for (i = 0; policy(bd)->count_refused && i < 2; i++)
		block_sources(bd, i == 0 ? COUNT_CHAIN4 : COUNT_CHAIN6, &fams[i], true);
}

void rules_blocks(struct build *bd, const struct hook_def *h)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *chain = i == 0 ? h->block4 : h->block6;

		/* Only a flow's first packet: one count per refused connection. */
		if (policy(bd)->count_refused) {
			rule_begin(bd, chain);
			m_ct_state_new(bd);
			x_verdict(bd, NFT_JUMP, i == 0 ? COUNT_CHAIN4 : COUNT_CHAIN6);
			rule_end(bd);
		}
		block_sources(bd, chain, &fams[i], false);
	}
}

void rules_queue_cap(struct build *bd, const char *chain)
{
	const struct enforce_policy *p = policy(bd);
	uint32_t burst;

	if (p->queue_pps == 0)
		return;
	/* The excess follows the fail-open policy: accepted with bypass,
	 * dropped without, never queued. */
	burst = p->queue_pps / 10 > 5 ? p->queue_pps / 10 : 5;
	rule_begin(bd, chain);
	x_limit(bd, p->queue_pps, burst, false);
	x_verdict(bd, bd->cfg->bypass ? NF_ACCEPT : NF_DROP, NULL);
	rule_end(bd);
}

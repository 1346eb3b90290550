// SPDX-License-Identifier: GPL-2.0-or-later
/* Expression builders for the rules of minewall's ruleset (libnftnl). */
#include "config.h"

#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include "ruleset_expr.h"

/* ICMP codes for "administratively prohibited". */
#define ICMP4_ADMIN_PROHIBITED	13	/* ICMP_PKT_FILTERED */
#define ICMP6_ADMIN_PROHIBITED	1	/* ICMPV6_ADM_PROHIBITED */

/* Value into the mark bits under mask (the lowest set bit of mask is bit 0). */
uint32_t ruleset_mark(uint32_t mask, uint32_t value)
{
	if (mask == 0)
		return 0;
	return (value << __builtin_ctz(mask)) & mask;
}

bool ruleset_mark_fits(uint32_t mask, uint32_t value)
{
	return mask != 0 && ((uint64_t)value << __builtin_ctz(mask) & ~(uint64_t)mask) == 0;
}

const char *family_name(uint16_t family)
{
	switch (family) {
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	}
	return "?";
}

/* ---- expressions of the rule under construction ------------------------ */

struct nftnl_expr *expr_add(struct build *bd, const char *name)
{
	struct nftnl_expr *e;

	if (bd->failed || bd->r == NULL)
		return NULL;
	e = nftnl_expr_alloc(name);
	if (e == NULL) {
		bd->failed = 1;
		return NULL;
	}
	nftnl_rule_add_expr(bd->r, e);
	return e;
}

void x_meta(struct build *bd, uint32_t key)
{
	struct nftnl_expr *e = expr_add(bd, "meta");

	if (e == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

void x_ct(struct build *bd, uint32_t key)
{
	struct nftnl_expr *e = expr_add(bd, "ct");

	if (e == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
}

void x_cmp_eq(struct build *bd, const void *data, uint32_t len)
{
	x_cmp(bd, NFT_CMP_EQ, data, len);
}

/* reg1 = (reg1 & mask) ^ xor over len bytes. */
static void bitwise(struct build *bd, const void *mask, const void *xor, uint32_t len)
{
	struct nftnl_expr *e = expr_add(bd, "bitwise");

	if (e == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
}

/* reg1 = (reg1 & mask) ^ xor, on a 32-bit mark. */
void x_bitwise(struct build *bd, uint32_t mask, uint32_t xor)
{
	bitwise(bd, &mask, &xor, sizeof(mask));
}

/* Register 1's first byte & mask (one-byte loads such as TCP flags). */
void x_bitwise8(struct build *bd, uint8_t mask)
{
	static const uint8_t zero = 0;

	bitwise(bd, &mask, &zero, 1);
}

void x_verdict(struct build *bd, int verdict, const char *chain)
{
	struct nftnl_expr *e = expr_add(bd, "immediate");

	if (e == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain != NULL)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
}

/* meta iifname/oifname == name (the kernel compares all IFNAMSIZ bytes). */
void m_ifname(struct build *bd, uint32_t key, const char *name)
{
	char buf[IFNAMSIZ] = { 0 };

	strncpy(buf, name, sizeof(buf) - 1);
	x_meta(bd, key);
	x_cmp_eq(bd, buf, sizeof(buf));
}

void m_l4proto(struct build *bd, uint8_t proto)
{
	x_meta(bd, NFT_META_L4PROTO);
	x_cmp_eq(bd, &proto, sizeof(proto));
}

void m_ct_direction(struct build *bd, uint8_t dir)
{
	x_ct(bd, NFT_CT_DIRECTION);
	x_cmp_eq(bd, &dir, sizeof(dir));
}

/* ct mark & mask == mark(value), or meta mark & mask == mark(value). */
void m_mark(struct build *bd, bool conntrack, uint32_t value)
{
	uint32_t mask = bd->cfg->mark_mask;
	uint32_t want = ruleset_mark(mask, value);

	if (conntrack)
		x_ct(bd, NFT_CT_MARK);
	else
		x_meta(bd, NFT_META_MARK);
	x_bitwise(bd, mask, 0);
	x_cmp_eq(bd, &want, sizeof(want));
}

void m_ct_clean_any(struct build *bd)
{
	uint32_t mask = bd->cfg->mark_mask;
	uint32_t zero = 0, block = ruleset_mark(mask, MW_MARK_BLOCK);

	/* Register 1 keeps the masked mark for the second compare. */
	x_ct(bd, NFT_CT_MARK);
	x_bitwise(bd, mask, 0);
	x_cmp(bd, NFT_CMP_NEQ, &zero, sizeof(zero));
	x_cmp(bd, NFT_CMP_NEQ, &block, sizeof(block));
}

void m_ct_orig_saddr_in(struct build *bd, int v, const char *set, bool inv)
{
	struct nftnl_expr *e;

	m_nfproto(bd, v == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	e = expr_add(bd, "ct");
	if (e == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, v == 4 ? NFT_CT_SRC_IP : NFT_CT_SRC_IP6);
	nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, 0);	/* IP_CT_DIR_ORIGINAL */
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	x_lookup(bd, set, inv);
}

/* ct mark set ct mark & ~mask | mark(value): keep bits outside the mask. */
void s_ct_mark(struct build *bd, uint32_t value)
{
	uint32_t mask = bd->cfg->mark_mask;
	struct nftnl_expr *e;

	x_ct(bd, NFT_CT_MARK);
	x_bitwise(bd, ~mask, ruleset_mark(mask, value));
	e = expr_add(bd, "ct");
	if (e == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
}

void s_meta_mark(struct build *bd, uint32_t value)
{
	uint32_t mask = bd->cfg->mark_mask;
	struct nftnl_expr *e;

	x_meta(bd, NFT_META_MARK);
	x_bitwise(bd, ~mask, ruleset_mark(mask, value));
	e = expr_add(bd, "meta");
	if (e == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
}

void s_reject(struct build *bd, bool tcp_reset)
{
	struct nftnl_expr *e = expr_add(bd, "reject");
	uint32_t type = NFT_REJECT_ICMPX_UNREACH;
	uint8_t code = NFT_REJECT_ICMPX_ADMIN_PROHIBITED;

	if (e == NULL)
		return;
	if (tcp_reset) {
		type = NFT_REJECT_TCP_RST;
		code = 0;
	} else if (bd->family == NFPROTO_IPV4) {
		type = NFT_REJECT_ICMP_UNREACH;
		code = ICMP4_ADMIN_PROHIBITED;
	} else if (bd->family == NFPROTO_IPV6) {
		type = NFT_REJECT_ICMP_UNREACH;
		code = ICMP6_ADMIN_PROHIBITED;
	}
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
}


void rule_begin(struct build *bd, const char *chain)
{
	if (bd->failed)
		return;
	bd->r = nftnl_rule_alloc();
	if (bd->r == NULL) {
		bd->failed = 1;
		return;
	}
	nftnl_rule_set_u32(bd->r, NFTNL_RULE_FAMILY, bd->family);
	nftnl_rule_set_str(bd->r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(bd->r, NFTNL_RULE_CHAIN, chain);
	snprintf(bd->what, sizeof(bd->what), "add rule %s %s %s",
		 family_name(bd->family), TABLE, chain);
}

void rule_end(struct build *bd)
{
	struct nlmsghdr *nlh;

	if (bd->r == NULL)
		return;
	if (!bd->failed) {
		nlh = nlbatch_put(bd->b, NFT_MSG_NEWRULE, bd->family,
				  NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK);
		if (nlh == NULL) {
			bd->failed = 1;
		} else {
			nftnl_rule_nlmsg_build_payload(nlh, bd->r);
			if (nlbatch_next(bd->b, bd->what) < 0)
				bd->failed = 1;
		}
	}
	nftnl_rule_free(bd->r);
	bd->r = NULL;
}

void x_cmp(struct build *bd, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr_add(bd, "cmp");

	if (e == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

void x_payload(struct build *bd, uint32_t base, uint32_t offset, uint32_t len,
	       uint32_t dreg)
{
	struct nftnl_expr *e = expr_add(bd, "payload");

	if (e == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

void x_lookup(struct build *bd, const char *set, bool inv)
{
	struct nftnl_expr *e = expr_add(bd, "lookup");

	if (e == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
}

static struct nftnl_expr *limit_alloc(uint64_t rate, uint32_t burst, bool bytes)
{
	struct nftnl_expr *e = nftnl_expr_alloc("limit");

	if (e == NULL)
		return NULL;
	/* nft's defaults: 5 packets; for bytes, one second's worth. */
	if (burst == 0 && !bytes)
		burst = 5;
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, rate);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, burst);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE,
			   bytes ? NFT_LIMIT_PKT_BYTES : NFT_LIMIT_PKTS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, NFT_LIMIT_F_INV);
	return e;
}

void x_limit(struct build *bd, uint64_t rate, uint32_t burst, bool bytes)
{
	struct nftnl_expr *e;

	if (bd->failed || bd->r == NULL)
		return;
	e = limit_alloc(rate, burst, bytes);
	if (e == NULL) {
		bd->failed = 1;
		return;
	}
	nftnl_rule_add_expr(bd->r, e);
}

/* The limit lives in each element the dynset adds, so every key (source
 * address) gets a bucket of its own; the set carries no expression, so its
 * definition does not change with the rate. */
void x_dynset_limit(struct build *bd, const char *set, uint64_t rate,
		    uint32_t burst, bool bytes)
{
	struct nftnl_expr *e = expr_add(bd, "dynset");
	struct nftnl_expr *lim;

	if (e == NULL)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_ADD);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
	lim = limit_alloc(rate, burst, bytes);
	if (lim == NULL) {
		bd->failed = 1;
		return;
	}
	nftnl_expr_set(e, NFTNL_EXPR_DYNSET_EXPR, lim, 0);
}

void m_nfproto(struct build *bd, uint8_t proto)
{
	x_meta(bd, NFT_META_NFPROTO);
	x_cmp_eq(bd, &proto, sizeof(proto));
}

void m_ct_state_new(struct build *bd)
{
	uint32_t zero = 0;

	x_ct(bd, NFT_CT_STATE);
	x_bitwise(bd, NF_CT_STATE_BIT(IP_CT_NEW), 0);
	x_cmp(bd, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* tcp flags & rst != 0 (on TCP only). */
void m_tcp_rst(struct build *bd)
{
	static const uint8_t zero = 0;

	m_l4proto(bd, IPPROTO_TCP);
	x_payload(bd, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	x_bitwise8(bd, 0x04);
	x_cmp(bd, NFT_CMP_NEQ, &zero, 1);
}

void m_tcp_ack_only(struct build *bd)
{
	static const uint8_t ack = 0x10;

	m_l4proto(bd, IPPROTO_TCP);
	x_payload(bd, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	x_bitwise8(bd, 0x15);	/* ack | rst | fin */
	x_cmp_eq(bd, &ack, sizeof(ack));
}

void m_tcp_syn_only(struct build *bd)
{
	static const uint8_t syn = 0x02;

	m_l4proto(bd, IPPROTO_TCP);
	x_payload(bd, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	x_bitwise8(bd, 0x12);	/* syn | ack */
	x_cmp_eq(bd, &syn, sizeof(syn));
}

void s_log_group(struct build *bd, uint16_t group)
{
	struct nftnl_expr *e = expr_add(bd, "log");

	if (e == NULL)
		return;
	nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, group);
	/* Handed to the reader at once, before the packet goes on. */
	nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_QTHRESHOLD, 1);
}

void m_tcp_doff(struct build *bd, uint8_t doff)
{
	uint8_t want = (uint8_t)(doff << 4);

	x_payload(bd, NFT_PAYLOAD_TRANSPORT_HEADER, 12, 1, NFT_REG_1);
	x_bitwise8(bd, 0xf0);
	x_cmp_eq(bd, &want, sizeof(want));
}

/* ---- the queue ---------------------------------------------------------- */

uint16_t queue_total(const struct ruleset_cfg *cfg)
{
	return cfg->queue_count > 1 ? cfg->queue_count : 1;
}

static void s_queue_native(struct build *bd, uint16_t num, uint16_t total,
			   bool bypass)
{
	struct nftnl_expr *e = expr_add(bd, "queue");

	if (e == NULL)
		return;
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, num);
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, total);
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS,
			   bypass ? NFT_QUEUE_FLAG_BYPASS : 0);
}

/* x_tables NFQUEUE revision 3 through nft_compat. The kernel balances over
 * queues_total queues by flow hash, as the native expression does. */
static void s_queue_compat(struct build *bd, uint16_t num, uint16_t total,
			   bool bypass)
{
	struct xt_NFQ_info_v3 *info;
	struct nftnl_expr *e = expr_add(bd, "target");

	if (e == NULL)
		return;
	/* The kernel wants the x_tables-aligned size; libnftnl takes ownership
	 * of the buffer and frees it with the expression. */
	info = calloc(1, XT_ALIGN(sizeof(*info)));
	if (info == NULL) {
		bd->failed = 1;
		return;
	}
	info->queuenum = num;
	info->queues_total = total;
	info->flags = bypass ? NFQ_FLAG_BYPASS : 0;
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, XT_ALIGN(sizeof(*info)));
}

void s_queue(struct build *bd)
{
	const struct ruleset_cfg *cfg = bd->cfg;

	if (bd->mech == QMECH_NATIVE)
		s_queue_native(bd, cfg->queue_num, queue_total(cfg), cfg->bypass);
	else
		s_queue_compat(bd, cfg->queue_num, queue_total(cfg), cfg->bypass);
}

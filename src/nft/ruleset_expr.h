/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lowest layer of the ruleset: the batch under construction and the
 * expression builders its rules are made of (ruleset_expr.c). Everything
 * that builds rules (ruleset_gen.c, ruleset_sets.c, ruleset.c) sits above it
 * and nothing here calls them. */
#ifndef MW_RULESET_EXPR_H
#define MW_RULESET_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "nlbatch.h"
#include "ruleset.h"

#define TABLE		"minewall"
#define PURE_CHAIN	"pure_tcp"	/* shared: accepts TCP segments with no payload */
#define SYN_CHAIN	"syn_tcp"	/* shared: logs and accepts SYNs with no payload */

struct mnl_socket;
struct nftnl_expr;

/* State of one batch being built; the first failure sticks. */
struct build {
	struct nlbatch *b;
	uint16_t family;		/* family of the table the rules go into */
	enum queue_mech mech;
	const struct ruleset_cfg *cfg;
	struct nftnl_rule *r;		/* rule under construction */
	int failed;
	char what[NLBATCH_WHAT_MAX];
};

const char *family_name(uint16_t family);

/* Rules: rule_begin(), expressions, rule_end() appends it to the batch. */
void rule_begin(struct build *bd, const char *chain);
void rule_end(struct build *bd);

/* Loads and compares; every load goes to register 1 unless dreg is given. */
struct nftnl_expr *expr_add(struct build *bd, const char *name);
void x_meta(struct build *bd, uint32_t key);
void x_ct(struct build *bd, uint32_t key);
void x_cmp_eq(struct build *bd, const void *data, uint32_t len);
void x_cmp(struct build *bd, uint32_t op, const void *data, uint32_t len);
void x_bitwise(struct build *bd, uint32_t mask, uint32_t xor);
void x_bitwise8(struct build *bd, uint8_t mask);
void x_verdict(struct build *bd, int verdict, const char *chain);
void x_payload(struct build *bd, uint32_t base, uint32_t offset, uint32_t len,
	       uint32_t dreg);
/* Register 1 (of the set's key length) in set name; inv: not in it. */
void x_lookup(struct build *bd, const char *set, bool inv);
/* limit rate over rate/second; bytes: a byte rate. burst 0: nft's default. */
void x_limit(struct build *bd, uint64_t rate, uint32_t burst, bool bytes);
/* add @set { reg 1 limit rate over ... }: a per-key budget. */
void x_dynset_limit(struct build *bd, const char *set, uint64_t rate,
		    uint32_t burst, bool bytes);

void m_ifname(struct build *bd, uint32_t key, const char *name);
void m_l4proto(struct build *bd, uint8_t proto);
void m_nfproto(struct build *bd, uint8_t proto);
void m_ct_direction(struct build *bd, uint8_t dir);
void m_ct_state_new(struct build *bd);
void m_tcp_rst(struct build *bd);
/* TCP with ACK set and none of SYN-without-ACK, FIN, RST: ack & ~(fin|rst) (SYN-ACK included). */
void m_tcp_ack_only(struct build *bd);
/* TCP with SYN and without ACK (a connection's first segment). */
void m_tcp_syn_only(struct build *bd);
/* log group `group` queue-threshold 1 (NFLOG, handed over at once). */
void s_log_group(struct build *bd, uint16_t group);
/* TCP data offset (header length in 32-bit words) equal to doff. */
void m_tcp_doff(struct build *bd, uint8_t doff);
void m_mark(struct build *bd, bool conntrack, uint32_t value);
/* ct mark & mask is neither 0 (unjudged) nor BLOCK: a clean generation. */
void m_ct_clean_any(struct build *bd);
/* meta nfproto ipvN, ct original ip(6) saddr in (inv: not in) set. */
void m_ct_orig_saddr_in(struct build *bd, int v, const char *set, bool inv);
void s_ct_mark(struct build *bd, uint32_t value);
void s_reject(struct build *bd, bool tcp_reset);
/* Queue the packet to cfg's queues: the native queue expression, or the
 * x_tables NFQUEUE target through nft_compat (bd->mech). */
void s_queue(struct build *bd);
/* How many queues cfg spreads flows over (at least 1). */
uint16_t queue_total(const struct ruleset_cfg *cfg);
/* meta mark set (meta mark & ~mask) | value. */
void s_meta_mark(struct build *bd, uint32_t value);

#endif

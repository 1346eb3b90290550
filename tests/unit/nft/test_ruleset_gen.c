// SPDX-License-Identifier: GPL-2.0-or-later
/* The clean generation: the cycle of values, the order of the inspect rules,
 * what a flip puts in a batch, and which set changes call for one. Batches
 * are built and read back without a socket. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "enforce.h"
#include "enforce_int.h"
#include "nlbatch.h"
#include "ruleset.h"
#include "ruleset_int.h"
#include "unit.h"

#define MASK	0x0f000000u
#define MAX_RULES	512

/* One rule message read back: "add" or "flush", chain, and its expressions
 * in short ("ct bitwise&0f000000^00000000 cmp==01000000 accept"). */
struct rule_msg {
	char op[8];
	char chain[32];
	char text[400];
};

static void append(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n, "%s%s", n ? " " : "", s);
}

static uint32_t u32_of(const struct nftnl_expr *e, uint16_t attr)
{
	uint32_t len = 0, v = 0;
	const void *p = nftnl_expr_get(e, attr, &len);

	if (p != NULL && len == sizeof(v))
		memcpy(&v, p, sizeof(v));
	return v;
}

static int expr_cb(struct nftnl_expr *e, void *data)
{
	char *text = data, s[96];
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (strcmp(name, "cmp") == 0) {
		snprintf(s, sizeof(s), "cmp%s%08x",
			 nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP) == NFT_CMP_EQ ? "==" : "!=",
			 u32_of(e, NFTNL_EXPR_CMP_DATA));
	} else if (strcmp(name, "bitwise") == 0) {
		snprintf(s, sizeof(s), "bitwise&%08x^%08x", u32_of(e, NFTNL_EXPR_BITWISE_MASK),
			 u32_of(e, NFTNL_EXPR_BITWISE_XOR));
	} else if (strcmp(name, "lookup") == 0) {
		snprintf(s, sizeof(s), "lookup%s@%s",
			 nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_FLAGS) ? "!" : "",
			 nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET));
	} else if (strcmp(name, "immediate") == 0 &&
		   nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
		int v = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);

		snprintf(s, sizeof(s), "%s%s%s",
			 v == NF_ACCEPT ? "accept" : v == NF_DROP ? "drop" :
			 v == NFT_JUMP ? "jump" : v == NFT_GOTO ? "goto" : "verdict",
			 nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN) ? " " : "",
			 nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN) ?
			 nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN) : "");
	} else {
		snprintf(s, sizeof(s), "%s", name);
	}
	append(text, sizeof(((struct rule_msg *)0)->text), s);
	return 0;
}

/* Every rule message of the batch, in order. */
static size_t read_rules(struct nlbatch *b, struct rule_msg *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < nlbatch_chunks(b); i++) {
		size_t len;
		const struct nlmsghdr *nlh = nlbatch_chunk(b, i, &len);
		int left = (int)len;

		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			uint16_t t = nlh->nlmsg_type & 0xff;
			struct nftnl_rule *r;

			if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES ||
			    (t != NFT_MSG_NEWRULE && t != NFT_MSG_DELRULE) || n == max)
				continue;
			r = nftnl_rule_alloc();
			memset(&out[n], 0, sizeof(out[n]));
			if (r == NULL || nftnl_rule_nlmsg_parse(nlh, r) < 0) {
				snprintf(out[n].op, sizeof(out[n].op), "bad");
			} else {
				snprintf(out[n].op, sizeof(out[n].op), "%s",
					 t == NFT_MSG_NEWRULE ? "add" :
					 nftnl_rule_is_set(r, NFTNL_RULE_HANDLE) ? "del" : "flush");
				snprintf(out[n].chain, sizeof(out[n].chain), "%s",
					 nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
				nftnl_expr_foreach(r, expr_cb, out[n].text);
			}
			if (r != NULL)
				nftnl_rule_free(r);
			n++;
		}
	}
	return n;
}

/* Index of the first rule of chain whose text contains needle, from start;
 * -1 when none. */
static int find(const struct rule_msg *m, size_t n, const char *chain,
		const char *needle)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(m[i].chain, chain) == 0 && strstr(m[i].text, needle) != NULL)
			return (int)i;
	return -1;
}

static size_t count(const struct rule_msg *m, size_t n, const char *op, const char *chain)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += strcmp(m[i].op, op) == 0 && strcmp(m[i].chain, chain) == 0;
	return c;
}

static void test_cycle(void)
{
	uint32_t v, seen = 0;
	int steps;

	/* A 2-bit mask: the two values alternate. */
	CHECK(gen_next(0x3, MW_MARK_CLEAN) == MW_MARK_CLEAN_ALT);
	CHECK(gen_next(0x3, MW_MARK_CLEAN_ALT) == MW_MARK_CLEAN);
	CHECK(gen_prev(0x3, MW_MARK_CLEAN) == MW_MARK_CLEAN_ALT);
	CHECK(gen_prev(0xc0000000u, MW_MARK_CLEAN_ALT) == MW_MARK_CLEAN);
	/* 4 bits: 1, 3, 4, .., 15, never 0 (unjudged) or 2 (BLOCK). */
	CHECK(gen_next(MASK, 1) == 3 && gen_next(MASK, 3) == 4 && gen_next(MASK, 14) == 15);
	CHECK(gen_next(MASK, 15) == 1);
	CHECK(gen_prev(MASK, 1) == 15 && gen_prev(MASK, 4) == 3 && gen_prev(MASK, 3) == 1);
	for (v = 1, steps = 0; steps < 14; steps++, v = gen_next(MASK, v)) {
		CHECK(v != 0 && v != MW_MARK_BLOCK && v <= 15);
		seen |= 1u << v;
	}
	CHECK(v == 1);
	CHECK(seen == 0xfffau);		/* 14 distinct values */
	/* Not a clean value: start over at CLEAN. */
	CHECK(gen_next(MASK, 0) == MW_MARK_CLEAN);
	CHECK(gen_next(MASK, MW_MARK_BLOCK) == MW_MARK_CLEAN);
	CHECK(gen_next(0x3, 7) == MW_MARK_CLEAN);
}

static void test_install_order(void)
{
	static struct rule_msg m[MAX_RULES];
	static const char *const ifaces[] = { "v0" };
	struct enforce_policy pol = { .throttle_bytes = 1000 };
	struct ruleset_cfg cfg = { .queue_count = 1, .hook_forward = true,
		.interfaces = ifaces, .n_interfaces = 1, .mark_mask = MASK, .policy = &pol };
	struct build bd = { .family = NFPROTO_INET, .mech = QMECH_NATIVE, .cfg = &cfg };
	int fast, quar, tmeter, blk4, blk6, clean, queue;
	size_t n;

	bd.b = nlbatch_new(0, 1);
	CHECK(bd.b != NULL);
	if (bd.b == NULL)
		return;
	ruleset_build(&bd, 4);
	CHECK(!bd.failed);
	n = read_rules(bd.b, m, MAX_RULES);
	CHECK(n > 20 && n < MAX_RULES);

	/* The fast path is the very first rule of the inspect chain. */
	fast = find(m, n, "forward_inspect", "");
	CHECK(fast >= 0 && strcmp(m[fast].text, "jump forward_fast") == 0);
	quar = find(m, n, "forward_inspect", "lookup@quarantine4");
	tmeter = find(m, n, "forward_inspect", "dynset");
	blk4 = find(m, n, "forward_inspect", "jump forward_block4");
	blk6 = find(m, n, "forward_inspect", "jump forward_block6");
	clean = find(m, n, "forward_inspect", "jump forward_clean");
	queue = find(m, n, "forward_inspect", "queue");
	CHECK(fast < quar && quar < tmeter && tmeter < blk4 && blk4 < blk6);
	CHECK(blk6 < clean && clean < queue);
	/* Only a flow with some clean value goes to the re-mark. */
	CHECK(clean >= 0 && strcmp(m[clean].text, "ct bitwise&0f000000^00000000 "
				   "cmp!=00000000 cmp!=02000000 jump forward_clean") == 0);
	/* No other rule of the chain names a clean value any more. */
	CHECK(find(m, n, "forward_inspect", "cmp==01000000") == -1);

	CHECK(count(m, n, "add", "forward_fast") == 1);
	fast = find(m, n, "forward_fast", "");
	CHECK(fast >= 0 && strcmp(m[fast].text,
				  "ct bitwise&0f000000^00000000 cmp==04000000 accept") == 0);
	/* The clean chain: throttled hosts get the previous value (3), the
	 * rest the current one (4). */
	CHECK(count(m, n, "add", "forward_clean") == 3);
	clean = find(m, n, "forward_clean", "throttle4");
	CHECK(clean >= 0 && strstr(m[clean].text, "ct lookup@throttle4 ct bitwise&f0ffffff^03000000 ct accept") != NULL);
	clean = find(m, n, "forward_clean", "throttle6");
	CHECK(clean >= 0 && strstr(m[clean].text, "bitwise&f0ffffff^03000000 ct accept") != NULL);
	CHECK(find(m, n, "forward_clean", "ct bitwise&f0ffffff^04000000 ct accept") >
	      find(m, n, "forward_clean", "throttle6"));
	/* The mark chain hands the daemon's CLEAN verdicts to the clean chain. */
	CHECK(count(m, n, "add", "forward_mark") == 1);
	CHECK(find(m, n, "forward_mark", "meta bitwise&0f000000^00000000 cmp==01000000 goto forward_clean") >= 0);
	/* Install replaces whole chains: no flush messages. */
	CHECK(count(m, n, "flush", "forward_fast") == 0);
	CHECK(find(m, n, "output_inspect", "") == -1);
	nlbatch_free(bd.b);
}

static void test_flip_batch(void)
{
	static struct rule_msg m[64];
	struct gen g = { .mask = MASK, .cur = gen_next(MASK, 15), .output = true,
			 .forward = true };
	struct nlbatch *b = nlbatch_new(0, 1);
	size_t n, i;
	int out_fast;

	CHECK(b != NULL);
	if (b == NULL)
		return;
	CHECK(gen_emit(b, &g) == 0);
	n = read_rules(b, m, 64);
	/* output: fast + clean, input: clean, forward: fast + clean; each
	 * chain flushed first, then refilled. */
	CHECK(n == 5 + 2 * 1 + 3 * 3);
	CHECK(count(m, n, "flush", "output_fast") == 1 && count(m, n, "flush", "forward_fast") == 1);
	CHECK(count(m, n, "flush", "output_clean") == 1 && count(m, n, "flush", "input_clean") == 1 &&
	      count(m, n, "flush", "forward_clean") == 1);
	CHECK(count(m, n, "flush", "input_fast") == 0);
	CHECK(count(m, n, "del", "output_fast") == 0);
	for (i = 0; i < n; i++)
		if (strcmp(m[i].op, "flush") == 0)
			CHECK(i + 1 < n && strcmp(m[i + 1].op, "add") == 0 &&
			      strcmp(m[i + 1].chain, m[i].chain) == 0);
	out_fast = find(m, n, "output_fast", "accept");
	CHECK(out_fast >= 0 && strcmp(m[out_fast].text,
				      "ct bitwise&0f000000^00000000 cmp==01000000 accept") == 0);
	CHECK(find(m, n, "input_clean", "ct bitwise&f0ffffff^0f000000 ct accept") >= 0);
	CHECK(find(m, n, "forward_clean", "ct bitwise&f0ffffff^01000000 ct accept") >= 0);
	nlbatch_free(b);

	/* Forward only: nothing for output or input. */
	g.output = false;
	b = nlbatch_new(0, 1);
	CHECK(b != NULL && gen_emit(b, &g) == 0);
	if (b != NULL) {
		n = read_rules(b, m, 64);
		CHECK(n == 2 + 1 + 3);
		CHECK(find(m, n, "output_fast", "") == -1 && find(m, n, "input_clean", "") == -1);
		nlbatch_free(b);
	}
}

/* Which element changes must flip the generation. */
static void test_flips(void)
{
	CHECK(enforce_set_flips("detect_addr4", true));
	CHECK(enforce_set_flips("dns_ep6", true));
	CHECK(enforce_set_flips("list_cidr4", true));
	CHECK(enforce_set_flips("feed_abuse-ch_cidr6", true));
	CHECK(enforce_set_flips("throttle4", true));
	CHECK(enforce_set_flips("quarantine6", true));
	/* Removals and expiries stop nothing. */
	CHECK(!enforce_set_flips("detect_addr4", false));
	CHECK(!enforce_set_flips("throttle4", false));
	CHECK(!enforce_set_flips("quarantine4", false));
	/* The pool meter counts only new connections. */
	CHECK(!enforce_set_flips("pool_ports", true));
	CHECK(!enforce_set_flips("pool_ports", false));
	/* An allowlist entry added stops nothing; one removed may. */
	CHECK(!enforce_set_flips("allow4", true));
	CHECK(!enforce_set_flips("qallow6", true));
	CHECK(enforce_set_flips("allow6", false));
	CHECK(enforce_set_flips("qallow4", false));
}

int main(void)
{
	test_cycle();
	test_install_order();
	test_flip_batch();
	test_flips();
	return UNIT_DONE();
}

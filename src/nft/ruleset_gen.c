// SPDX-License-Identifier: GPL-2.0-or-later
/* The clean generation: the small chains whose rules name the current clean
 * ct-mark value, how a flip refills them, and reading the value back.
 *
 * Per hook H (H_fast only where there are block sets: output, forward):
 *   H_fast   ct mark & mask == CUR accept
 *   H_clean  ct original ip saddr @throttle4 ct mark set PREV accept
 *            ct original ip6 saddr @throttle6 ct mark set PREV accept
 *            ct mark set CUR accept
 * H_inspect jumps to H_fast first, and to H_clean after the block jumps for a
 * flow with any other clean value; H_mark jumps to H_clean for a packet the
 * daemon passed with the CLEAN packet mark. A flip flushes these chains and
 * refills them for the next value, in the batch that adds the elements which
 * made the flip necessary. Generations cycle CLEAN, CLEAN_ALT, 4, 5, ... up to
 * the largest value the mark mask holds (14 values with the default 4-bit
 * mask, two with a 2-bit one), so a flow silent through a whole cycle of
 * flips would carry a value that is current again and skip blocks added
 * meanwhile. Before each flip from CUR to NEXT commits, a conntrack sweep
 * (ct_sweep.c) rewrites every entry carrying NEXT to a stale value, so no
 * flow enters a generation it was not judged in. The stale value is PREV
 * when the cycle has three values or more; with two, PREV is NEXT, and the
 * sweep writes 0 (unjudged): those flows go back to the queue once. No entry
 * can take NEXT between the sweep and the commit (H_clean writes CUR or
 * PREV, and PREV == NEXT only with two values). What remains: a sweep that
 * fails (logged, counted, the flip goes ahead), a flip with more matching
 * entries than the sweep's cap (counted in left), and an entry a conntrack
 * hash resize hides from the dump; with a 2-bit mask, a throttled packet
 * that writes PREV == NEXT between the sweep and the commit.
 * A throttled host's flow gets PREV, the value furthest from becoming
 * current, and gets it again on every packet. With a 2-bit mask PREV is the
 * next value instead: without the sweep a throttled flow would skip its
 * meter on the fast path for a whole generation after each flip; the sweep
 * resets it to 0, so its next packet meets the meter (and the queue). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "ct_sweep.h"
#include "nlbatch.h"
#include "ruleset.h"
#include "ruleset_int.h"

#define DUMP_BUF	(64 * 1024)

static uint32_t gen_top(uint32_t mask)
{
	return mask == 0 ? 0 : mask >> __builtin_ctz(mask);
}

static bool gen_valid(uint32_t mask, uint32_t v)
{
	return v == MW_MARK_CLEAN || (v >= MW_MARK_CLEAN_ALT && v <= gen_top(mask));
}

uint32_t gen_next(uint32_t mask, uint32_t cur)
{
	if (!gen_valid(mask, cur) || cur == gen_top(mask))
		return MW_MARK_CLEAN;
	return cur == MW_MARK_CLEAN ? MW_MARK_CLEAN_ALT : cur + 1;
}

uint32_t gen_prev(uint32_t mask, uint32_t cur)
{
	if (!gen_valid(mask, cur) || cur == MW_MARK_CLEAN)
		return gen_top(mask) >= MW_MARK_CLEAN_ALT ? gen_top(mask) : MW_MARK_CLEAN;
	return cur == MW_MARK_CLEAN_ALT ? MW_MARK_CLEAN : cur - 1;
}

/* delete rule without a handle: every rule of the chain. */
static void emit_flush(struct build *bd, const char *chain)
{
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;

	if (bd->failed)
		return;
	r = nftnl_rule_alloc();
	if (r == NULL) {
		bd->failed = 1;
		return;
	}
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, bd->family);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nlh = nlbatch_put(bd->b, NFT_MSG_DELRULE, bd->family, NLM_F_ACK);
	if (nlh == NULL) {
		bd->failed = 1;
	} else {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		snprintf(bd->what, sizeof(bd->what), "flush chain %s %s %s",
			 family_name(bd->family), TABLE, chain);
		if (nlbatch_next(bd->b, bd->what) < 0)
			bd->failed = 1;
	}
	nftnl_rule_free(r);
}

void rules_gen(struct build *bd, const struct hook_def *h, uint32_t cur, bool flush)
{
	uint32_t prev = gen_prev(bd->cfg->mark_mask, cur);
	int v;

	if (h->fast != NULL) {
		if (flush)
			emit_flush(bd, h->fast);
		rule_begin(bd, h->fast);
		m_mark(bd, true, cur);
		x_verdict(bd, NF_ACCEPT, NULL);
		rule_end(bd);
	}
	if (flush)
		emit_flush(bd, h->clean);
	/* Throttled hosts stay off the fast path: every packet of theirs
	 * meets the meter. Keyed on the flow's original source, so replies
	 * count too. */
	for (v = 4; v <= 6; v += 2) {
		rule_begin(bd, h->clean);
		m_ct_orig_saddr_in(bd, v, v == 4 ? "throttle4" : "throttle6", false);
		s_ct_mark(bd, prev);
		x_verdict(bd, NF_ACCEPT, NULL);
		rule_end(bd);
	}
	rule_begin(bd, h->clean);
	s_ct_mark(bd, cur);
	x_verdict(bd, NF_ACCEPT, NULL);
	rule_end(bd);
}

int gen_emit(struct nlbatch *b, const struct gen *g)
{
	struct ruleset_cfg cfg = { .mark_mask = g->mask };
	struct build bd = { .b = b, .family = NFPROTO_INET, .cfg = &cfg };

	if (g->output) {
		rules_gen(&bd, &hook_output, g->cur, true);
		rules_gen(&bd, &hook_input, g->cur, true);
	}
	if (g->forward)
		rules_gen(&bd, &hook_forward, g->cur, true);
	return bd.failed ? -1 : 0;
}

/* ---- reading the installed generation ------------------------------------ */

struct fast_rule {
	uint32_t mask, value;
	bool mask_seen, value_seen;
};

static int fast_expr_cb(struct nftnl_expr *e, void *data)
{
	struct fast_rule *fr = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	const void *p;
	uint32_t len = 0;

	if (name == NULL)
		return 0;
	if (strcmp(name, "bitwise") == 0 && !fr->mask_seen) {
		p = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &len);
		if (p != NULL && len == sizeof(uint32_t)) {
			memcpy(&fr->mask, p, sizeof(fr->mask));
			fr->mask_seen = true;
		}
	} else if (strcmp(name, "cmp") == 0 && !fr->value_seen) {
		p = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
		if (p != NULL && len == sizeof(uint32_t)) {
			memcpy(&fr->value, p, sizeof(fr->value));
			fr->value_seen = true;
		}
	}
	return 0;
}

static int fast_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	int ret = MNL_CB_ERROR;

	if (r == NULL)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		goto out;
	nftnl_expr_foreach(r, fast_expr_cb, data);
	ret = MNL_CB_OK;
out:
	nftnl_rule_free(r);
	return ret;
}

/* The rule of one H_fast chain. 1 read, 0 no such chain, -1 error. */
static int read_fast(struct mnl_socket *nl, uint32_t seq, const char *chain,
		     struct fast_rule *fr)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	char *buf = calloc(1, DUMP_BUF);	/* libmnl 1.0.4 leaves attribute padding unset */
	int ret = -1;

	if (r == NULL || buf == NULL)
		goto out;
	memset(fr, 0, sizeof(*fr));
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, seq);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	if (nlbatch_dump(nl, nlh, buf, DUMP_BUF, seq, fast_rule_cb, fr) < 0) {
		if (errno == ENOENT)
			ret = 0;
		goto out;
	}
	ret = fr->mask_seen && fr->value_seen ? 1 : 0;
out:
	free(buf);
	if (r != NULL)
		nftnl_rule_free(r);
	return ret;
}

int gen_read(struct mnl_socket *nl, uint32_t seq, struct gen *g)
{
	struct fast_rule fr[2];
	int r[2], i;

	memset(g, 0, sizeof(*g));
	r[0] = read_fast(nl, seq, hook_output.fast, &fr[0]);
	r[1] = read_fast(nl, seq, hook_forward.fast, &fr[1]);
	if (r[0] < 0 || r[1] < 0)
		return -1;
	g->output = r[0] == 1;
	g->forward = r[1] == 1;
	for (i = 1; i >= 0; i--) {
		if (r[i] != 1 || fr[i].mask == 0)
			continue;
		g->mask = fr[i].mask;
		g->cur = fr[i].value >> __builtin_ctz(fr[i].mask);
	}
	if (!g->output && !g->forward)
		return 0;
	if (!gen_valid(g->mask, g->cur))
		g->cur = MW_MARK_CLEAN;
	return 1;
}

uint32_t gen_stale(uint32_t mask, uint32_t cur)
{
	uint32_t prev = gen_prev(mask, cur);

	return prev == gen_next(mask, cur) || prev == cur ? 0 : prev;
}

int ruleset_gen_flip(struct nlbatch *b, struct mnl_socket *nl, uint32_t seq,
		     struct ct_sweep *sw)
{
	struct gen g;
	int r = gen_read(nl, seq, &g);
	uint32_t next;

	if (r <= 0)
		return r;
	next = gen_next(g.mask, g.cur);
	/* Before the flip commits: nothing may carry NEXT already. A failed
	 * sweep is logged and counted there; the flip goes ahead, as without
	 * a sweep. */
	if (sw != NULL)
		(void)ct_sweep_run(sw, g.mask, ruleset_mark(g.mask, next),
				   ruleset_mark(g.mask, gen_stale(g.mask, g.cur)));
	g.cur = next;
	return gen_emit(b, &g);
}

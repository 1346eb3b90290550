// SPDX-License-Identifier: GPL-2.0-or-later
/* nlbatch: message sequence, framing and chunking, without a socket. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nlbatch.h"
#include "ruleset.h"
#include "unit.h"

#define NFT_TYPE(t) ((uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | (t)))

/* One message as seen on the wire. */
struct seen {
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
	uint8_t family;
	uint16_t res_id;
	size_t chunk;
};

/* Walk every chunk; each must parse into whole messages exactly. */
static size_t walk(const struct nlbatch *b, struct seen *out, size_t max,
		   size_t limit, bool *clean)
{
	size_t i, n = 0;

	*clean = true;
	for (i = 0; i < nlbatch_chunks(b); i++) {
		size_t len;
		const struct nlmsghdr *nlh = nlbatch_chunk(b, i, &len);
		int left = (int)len;

		if (len == 0 || len > limit)
			*clean = false;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

			if (n < max) {
				out[n].type = nlh->nlmsg_type;
				out[n].flags = nlh->nlmsg_flags;
				out[n].seq = nlh->nlmsg_seq;
				out[n].family = g->nfgen_family;
				out[n].res_id = ntohs(g->res_id);
				out[n].chunk = i;
			}
			n++;
		}
		if (left != 0)
			*clean = false;
	}
	return n;
}

static int add_table(struct nlbatch *b, uint16_t type, uint16_t family,
		     const char *name, const char *what)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nlh = nlbatch_put(b, type, family, NLM_F_CREATE | NLM_F_ACK);
	if (nlh != NULL) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		ret = nlbatch_next(b, what);
	}
	nftnl_table_free(t);
	return ret;
}

static int add_chain(struct nlbatch *b, const char *table, const char *name)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nlh = nlbatch_put(b, NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE);
	if (nlh != NULL) {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		ret = nlbatch_next(b, "add chain");
	}
	nftnl_chain_free(c);
	return ret;
}

static void test_new(void)
{
	struct nlbatch *b;

	errno = 0;
	CHECK(nlbatch_new(100, 1) == NULL);
	CHECK(errno == EINVAL);
	b = nlbatch_new(NLBATCH_CHUNK_DEFAULT, 1);
	CHECK(b != NULL);
	if (b == NULL)
		return;
	/* Only BEGIN so far. */
	CHECK(nlbatch_count(b) == 0);
	CHECK(nlbatch_chunks(b) == 1);
	CHECK(nlbatch_size(b) == MNL_ALIGN(sizeof(struct nlmsghdr)) +
				 MNL_ALIGN(sizeof(struct nfgenmsg)));
	CHECK_STR(nlbatch_error(b), "");
	CHECK(nlbatch_failed_seq(b) == 0);
	nlbatch_free(b);
	nlbatch_free(NULL);
}

static void test_sequence(void)
{
	struct nlbatch *b = nlbatch_new(4096, 100);
	struct seen s[8];
	size_t n;
	bool clean;

	CHECK(b != NULL);
	if (b == NULL)
		return;
	CHECK(add_table(b, NFT_MSG_NEWTABLE, NFPROTO_INET, "minewall", "add table") == 0);
	CHECK(add_chain(b, "minewall", "output") == 0);
	CHECK(add_table(b, NFT_MSG_DELTABLE, NFPROTO_IPV4, "minewall", "del table") == 0);
	CHECK(nlbatch_count(b) == 3);
	CHECK(nlbatch_finish(b) == 0);
	CHECK(nlbatch_finish(b) == 0);			/* idempotent */
	CHECK(nlbatch_put(b, NFT_MSG_NEWRULE, NFPROTO_INET, 0) == NULL);
	CHECK(nlbatch_next(b, "late") == -1);
	CHECK(nlbatch_count(b) == 3);

	n = walk(b, s, 8, 4096, &clean);
	CHECK(clean);
	CHECK(n == 5);
	CHECK(nlbatch_chunks(b) == 1);
	if (n != 5)
		goto out;
	/* BEGIN: batch type, nftables subsystem in res_id, first seq. */
	CHECK(s[0].type == NFNL_MSG_BATCH_BEGIN);
	CHECK(s[0].res_id == NFNL_SUBSYS_NFTABLES);
	CHECK(s[0].seq == 100);
	CHECK(s[1].type == NFT_TYPE(NFT_MSG_NEWTABLE));
	CHECK(s[1].family == NFPROTO_INET);
	CHECK(s[1].seq == 101);
	CHECK(s[1].flags == (NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK));
	CHECK(s[2].type == NFT_TYPE(NFT_MSG_NEWCHAIN));
	CHECK(s[2].seq == 102);
	CHECK((s[2].flags & NLM_F_ACK) == 0);
	CHECK(s[3].type == NFT_TYPE(NFT_MSG_DELTABLE));
	CHECK(s[3].family == NFPROTO_IPV4);
	CHECK(s[3].seq == 103);
	CHECK(s[4].type == NFNL_MSG_BATCH_END);
	CHECK(s[4].res_id == NFNL_SUBSYS_NFTABLES);
	CHECK(s[4].seq == 104);

	CHECK(nlbatch_what(b, 100) == NULL);		/* BEGIN is not a message */
	CHECK_STR(nlbatch_what(b, 101), "add table");
	CHECK_STR(nlbatch_what(b, 102), "add chain");
	CHECK_STR(nlbatch_what(b, 103), "del table");
	CHECK(nlbatch_what(b, 104) == NULL);
	CHECK(nlbatch_what(b, 99) == NULL);
out:
	nlbatch_free(b);
}

/* A small chunk limit: messages never straddle chunks, each chunk stays under
 * the limit, sequence numbers run on across chunks. */
static void test_chunking(void)
{
	enum { N = 20, LIMIT = 256 };
	char name[41];
	struct seen s[N + 4];
	struct nlbatch *b = nlbatch_new(LIMIT, 7);
	size_t i, n, msg, begin, per_chunk, want_chunks;
	bool clean, seq_ok = true;

	CHECK(b != NULL);
	if (b == NULL)
		return;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (i = 0; i < N; i++)
		CHECK(add_table(b, NFT_MSG_NEWTABLE, NFPROTO_INET, name, "t") == 0);
	CHECK(nlbatch_finish(b) == 0);

	/* header 16 + nfgenmsg 4 + name attribute 4 + 41 -> 48: 68 bytes */
	msg = 16 + 4 + MNL_ALIGN(4 + sizeof(name));
	begin = 16 + 4;
	CHECK(msg == 68);
	per_chunk = LIMIT / msg;			/* 3 */
	/* chunk 0: BEGIN + 3; then 3 each; END (20 bytes) fits after the last 2. */
	want_chunks = 1 + (N - (LIMIT - begin) / msg + per_chunk - 1) / per_chunk;
	CHECK(want_chunks == 7);
	CHECK(nlbatch_chunks(b) == want_chunks);
	CHECK(nlbatch_size(b) == begin + N * msg + begin);

	n = walk(b, s, N + 4, LIMIT, &clean);
	CHECK(clean);
	CHECK(n == N + 2);
	if (n != N + 2)
		goto out;
	for (i = 0; i < n; i++)
		if (s[i].seq != 7 + i)
			seq_ok = false;
	CHECK(seq_ok);
	CHECK(s[0].type == NFNL_MSG_BATCH_BEGIN && s[0].chunk == 0);
	CHECK(s[3].chunk == 0 && s[4].chunk == 1);	/* boundary after 3 tables */
	CHECK(s[N + 1].type == NFNL_MSG_BATCH_END);
	CHECK(s[N + 1].chunk == want_chunks - 1);
out:
	nlbatch_free(b);
}

/* A message bigger than the chunk limit is refused and leaves no trace. */
static void test_oversize(void)
{
	char big[400];
	struct seen s[4];
	struct nlbatch *b = nlbatch_new(256, 1);
	size_t n;
	bool clean;

	CHECK(b != NULL);
	if (b == NULL)
		return;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	errno = 0;
	CHECK(add_table(b, NFT_MSG_NEWTABLE, NFPROTO_INET, big, "big") == -1);
	CHECK(errno == EMSGSIZE);
	CHECK(nlbatch_count(b) == 0);
	CHECK(add_table(b, NFT_MSG_NEWTABLE, NFPROTO_INET, "small", "small") == 0);
	CHECK(nlbatch_finish(b) == 0);
	n = walk(b, s, 4, 256, &clean);
	CHECK(clean);
	CHECK(n == 3);
	if (n == 3)
		CHECK(s[1].seq == 2 && s[2].seq == 3);	/* no seq burnt */
	CHECK_STR(nlbatch_what(b, 2), "small");
	nlbatch_free(b);
}

/* ruleset_mark() places a value at the mask's lowest set bit. */
static void test_mark(void)
{
	CHECK(ruleset_mark(0x0f000000, MW_MARK_CLEAN) == 0x01000000);
	CHECK(ruleset_mark(0x0f000000, MW_MARK_BLOCK) == 0x02000000);
	CHECK(ruleset_mark(0x0f000000, MW_MARK_REJECT) == 0x03000000);
	CHECK(ruleset_mark(0x000000ff, MW_MARK_REJECT) == 3);
	CHECK(ruleset_mark(0x80000000, MW_MARK_CLEAN) == 0x80000000);
	CHECK(ruleset_mark(0x80000000, MW_MARK_BLOCK) == 0);	/* does not fit */
	CHECK(ruleset_mark(0x0f000000, 0x10) == 0);
	CHECK(ruleset_mark(0, MW_MARK_CLEAN) == 0);
	CHECK_STR(ruleset_mech_name(QMECH_NATIVE), "native");
	CHECK_STR(ruleset_mech_name(QMECH_COMPAT), "compat");
}

int main(void)
{
	test_new();
	test_sequence();
	test_chunking();
	test_oversize();
	test_mark();
	return UNIT_DONE();
}

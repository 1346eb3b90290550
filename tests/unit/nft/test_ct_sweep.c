// SPDX-License-Identifier: GPL-2.0-or-later
/* ct_sweep: the ctnetlink messages it builds, parsing a dump reply built by
 * hand with its bounds, and the stale value a flip sweeps to. No socket. */
#include "config.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct_sweep.h"
#include "ruleset.h"
#include "ruleset_int.h"
#include "unit.h"

#define CT_TYPE(t)	((uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | (t)))
#define HEAD		(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)))
#define MASK		0x0f000000u

/* The payload of top-level attribute type in msg, or NULL. */
static const struct nlattr *find_attr(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const char *src, const char *dst,
		      uint16_t sport, uint16_t dport)
{
	struct nlattr *t, *ip, *proto;
	uint32_t a;

	t = mnl_attr_nest_start(nlh, type);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	inet_pton(AF_INET, src, &a);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, a);
	inet_pton(AF_INET, dst, &a);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, a);
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, 6);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, t);
}

/* A dump reply as ctnetlink sends one for a forwarded IPv4 TCP flow, with
 * the mark last so every cut of the message loses it. */
static size_t build_reply(uint8_t *buf, size_t size, uint32_t mark, size_t *tuple_off,
			  size_t *tuple_len)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	const struct nlattr *t;

	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = CT_TYPE(IPCTNL_MSG_CT_NEW);
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 7;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	put_tuple(nlh, CTA_TUPLE_ORIG, "10.0.1.2", "198.51.100.4", 40000, 7000);
	put_tuple(nlh, CTA_TUPLE_REPLY, "198.51.100.4", "10.0.1.2", 7000, 40000);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(0x18e));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(431999));
	mnl_attr_put_u16(nlh, CTA_ZONE, htons(5));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(0xdeadbeef));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
	t = find_attr(nlh, CTA_TUPLE_ORIG);
	*tuple_off = (size_t)((const uint8_t *)mnl_attr_get_payload(t) - buf);
	*tuple_len = mnl_attr_get_payload_len(t);
	return nlh->nlmsg_len;
}

static void test_dump_req(void)
{
	uint8_t buf[256];
	static const uint8_t mark_be[] = { 0x03, 0x00, 0x00, 0x00 };
	static const uint8_t mask_be[] = { 0x0f, 0x00, 0x00, 0x00 };
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nfgenmsg *nfg;
	const struct nlattr *a;
	size_t len = ct_sweep_dump_req(buf, sizeof(buf), 42, 0x03000000u, MASK);

	CHECK(len == HEAD + 8 + 8);
	CHECK(nlh->nlmsg_len == len);
	CHECK(nlh->nlmsg_type == CT_TYPE(IPCTNL_MSG_CT_GET));
	CHECK(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
	CHECK(nlh->nlmsg_seq == 42);
	nfg = mnl_nlmsg_get_payload(nlh);
	CHECK(nfg->nfgen_family == AF_UNSPEC && nfg->version == NFNETLINK_V0 && nfg->res_id == 0);
	a = find_attr(nlh, CTA_MARK);
	CHECK(a != NULL && mnl_attr_get_payload_len(a) == 4 &&
	      memcmp(mnl_attr_get_payload(a), mark_be, 4) == 0);
	a = find_attr(nlh, CTA_MARK_MASK);
	CHECK(a != NULL && mnl_attr_get_payload_len(a) == 4 &&
	      memcmp(mnl_attr_get_payload(a), mask_be, 4) == 0);
	/* No room: nothing, rather than a message cut short. */
	CHECK(ct_sweep_dump_req(buf, HEAD + 8 + 4, 42, 0x03000000u, MASK) == 0);
	CHECK(ct_sweep_dump_req(buf, 8, 42, 0x03000000u, MASK) == 0);
}

static void test_parse_and_update(void)
{
	uint8_t buf[1024], upd[CT_SWEEP_MSG_MAX];
	static const uint8_t mark_be[] = { 0x0f, 0x00, 0x00, 0x00 };
	static const uint8_t mask_be[] = { 0x0f, 0x00, 0x00, 0x00 };
	const struct nlmsghdr *u = (const struct nlmsghdr *)upd;
	const struct nlattr *a;
	struct ct_entry e, back;
	size_t toff, tlen, len, ulen;

	len = build_reply(buf, sizeof(buf), 0x40000010u | 0x04000000u, &toff, &tlen);
	CHECK(ct_sweep_parse(buf, len, &e) == 0);
	CHECK(e.family == AF_INET);
	CHECK(e.mark == 0x44000010u);
	CHECK(e.has_zone && ntohs(e.zone_be) == 5);
	CHECK(e.tuple_len == tlen && tlen > 0);
	CHECK(memcmp(e.tuple, buf + toff, tlen) == 0);

	/* The update: same tuple and zone, the new value inside the mask and
	 * the mask itself, both in network order; update only, with an ACK. */
	memset(upd, 0, sizeof(upd));
	ulen = ct_sweep_update_msg(upd, sizeof(upd), 9, &e, 0x0f000010u & MASK, MASK);
	CHECK(ulen == u->nlmsg_len && ulen > HEAD);
	CHECK(u->nlmsg_type == CT_TYPE(IPCTNL_MSG_CT_NEW));
	CHECK(u->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
	CHECK((u->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_REPLACE)) == 0);
	CHECK(u->nlmsg_seq == 9);
	CHECK(((const struct nfgenmsg *)mnl_nlmsg_get_payload(u))->nfgen_family == AF_INET);
	a = find_attr(u, CTA_TUPLE_ORIG);
	CHECK(a != NULL && (a->nla_type & NLA_F_NESTED) && mnl_attr_get_payload_len(a) == tlen &&
	      memcmp(mnl_attr_get_payload(a), buf + toff, tlen) == 0);
	CHECK(find_attr(u, CTA_TUPLE_REPLY) == NULL);
	a = find_attr(u, CTA_ZONE);
	CHECK(a != NULL && ntohs(mnl_attr_get_u16(a)) == 5);
	a = find_attr(u, CTA_MARK);
	/* 0x0f000010 & mask: the bit outside the mask is not sent as a value. */
	CHECK(a != NULL && mnl_attr_get_payload_len(a) == 4 &&
	      memcmp(mnl_attr_get_payload(a), mark_be, 4) == 0);
	a = find_attr(u, CTA_MARK_MASK);
	CHECK(a != NULL && memcmp(mnl_attr_get_payload(a), mask_be, 4) == 0);
	/* The update is a CT_NEW with tuple and mark: it parses back. */
	CHECK(ct_sweep_parse(upd, ulen, &back) == 0);
	CHECK(back.mark == 0x0f000000u && back.tuple_len == tlen &&
	      memcmp(back.tuple, e.tuple, tlen) == 0);
	/* No zone in, no zone out. */
	e.has_zone = false;
	memset(upd, 0, sizeof(upd));
	ulen = ct_sweep_update_msg(upd, sizeof(upd), 10, &e, 0x01000000u, MASK);
	CHECK(ulen > 0 && find_attr(u, CTA_ZONE) == NULL);
	/* No room: nothing. */
	CHECK(ct_sweep_update_msg(upd, HEAD + 4 + tlen, 10, &e, 0x01000000u, MASK) == 0);
	e.tuple_len = CT_SWEEP_TUPLE_MAX + 1;
	CHECK(ct_sweep_update_msg(upd, sizeof(upd), 10, &e, 0x01000000u, MASK) == 0);
}

static void test_parse_bounds(void)
{
	uint8_t buf[1024];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlattr *a;
	struct ct_entry e;
	size_t toff, tlen, len, cut;
	int bad = 0;

	len = build_reply(buf, sizeof(buf), 0x03000000u, &toff, &tlen);
	/* The buffer ends before the message does. */
	for (cut = 0; cut < len; cut++)
		if (ct_sweep_parse(buf, cut, &e) == 0)
			bad++;
	CHECK(bad == 0);
	/* The message itself is cut: every length short of the whole one
	 * truncates an attribute or loses the mark. */
	bad = 0;
	for (cut = 0; cut < len; cut++) {
		build_reply(buf, sizeof(buf), 0x03000000u, &toff, &tlen);
		nlh->nlmsg_len = (uint32_t)cut;
		if (ct_sweep_parse(buf, sizeof(buf), &e) == 0)
			bad++;
	}
	CHECK(bad == 0);
	build_reply(buf, sizeof(buf), 0x03000000u, &toff, &tlen);
	CHECK(ct_sweep_parse(buf, len, &e) == 0);

	/* An attribute that claims more than the message holds. */
	a = (struct nlattr *)(buf + HEAD);
	a->nla_len = (uint16_t)(len - HEAD + 4);
	CHECK(ct_sweep_parse(buf, sizeof(buf), &e) == -1);
	/* One shorter than its own header. */
	a->nla_len = 2;
	CHECK(ct_sweep_parse(buf, sizeof(buf), &e) == -1);
	/* A nested CTA_TUPLE_IP that runs past its tuple. */
	build_reply(buf, sizeof(buf), 0x03000000u, &toff, &tlen);
	a = (struct nlattr *)(buf + toff);
	CHECK((a->nla_type & NLA_TYPE_MASK) == CTA_TUPLE_IP);
	a->nla_len = (uint16_t)(tlen + 4);
	CHECK(ct_sweep_parse(buf, len, &e) == -1);
	/* A mark of the wrong size. */
	build_reply(buf, sizeof(buf), 0x03000000u, &toff, &tlen);
	a = (struct nlattr *)(buf + len - 8);
	CHECK((a->nla_type & NLA_TYPE_MASK) == CTA_MARK);
	a->nla_len = 6;
	nlh->nlmsg_len = (uint32_t)(len - 2);
	CHECK(ct_sweep_parse(buf, len, &e) == -1);
	/* Not a conntrack entry. */
	build_reply(buf, sizeof(buf), 0x03000000u, &toff, &tlen);
	nlh->nlmsg_type = CT_TYPE(IPCTNL_MSG_CT_DELETE);
	CHECK(ct_sweep_parse(buf, len, &e) == -1);
	nlh->nlmsg_type = NLMSG_DONE;
	CHECK(ct_sweep_parse(buf, len, &e) == -1);
}

static void test_stale(void)
{
	static const uint32_t masks[] = { 0x0f000000u, 0x7u, 0xff00u, 0xc0000000u };
	uint32_t m, cur, stale;
	unsigned int i, n;
	int bad = 0;

	/* Default mask: PREV, two steps before the new current value. */
	CHECK(gen_stale(MASK, MW_MARK_CLEAN) == 15);
	CHECK(gen_stale(MASK, MW_MARK_CLEAN_ALT) == MW_MARK_CLEAN);
	CHECK(gen_stale(MASK, 4) == MW_MARK_CLEAN_ALT);
	CHECK(gen_stale(MASK, 15) == 14);
	/* Two values: PREV would be NEXT, so unjudged. */
	CHECK(gen_stale(0x3, MW_MARK_CLEAN) == 0);
	CHECK(gen_stale(0x3, MW_MARK_CLEAN_ALT) == 0);
	CHECK(gen_stale(0xc0000000u, MW_MARK_CLEAN) == 0);
	/* Three or more values: never CUR, NEXT, BLOCK or 0, whatever CUR. */
	for (i = 0; i < 3; i++) {
		m = masks[i];
		cur = MW_MARK_CLEAN;
		for (n = 0; n < 300; n++) {
			stale = gen_stale(m, cur);
			if (stale == cur || stale == gen_next(m, cur) || stale == 0 ||
			    stale == MW_MARK_BLOCK)
				bad++;
			cur = gen_next(m, cur);
		}
	}
	CHECK(bad == 0);
	/* Placed in the mask as the sweep sends it. */
	CHECK(ruleset_mark(MASK, gen_stale(MASK, MW_MARK_CLEAN)) == 0x0f000000u);
	CHECK(ruleset_mark(0x3, gen_stale(0x3, MW_MARK_CLEAN)) == 0);
}

int main(void)
{
	test_dump_req();
	test_parse_and_update();
	test_parse_bounds();
	test_stale();
	return UNIT_DONE();
}

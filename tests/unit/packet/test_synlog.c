// SPDX-License-Identifier: GPL-2.0-or-later
/* synlog.c and the engine with it: NFLOG records of SYNs parsed into the table
 * (lost records counted from their sequence numbers), and an out-of-order first
 * segment held and then judged because its flow starts from the SYN's record. */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "conf.h"
#include "engine.h"
#include "pool_lists.h"
#include "synlog.h"
#include "unit.h"

#define CLIENT 0x0a000001u	/* 10.0.0.1 */
#define POOL 0x0a000002u	/* 10.0.0.2 */

static const char seg1[] = "{\"id\": 1, \"method\": \"mining.subscribe\", \"par";
static const char seg2[] = "ams\": [\"cpuminer/2.5.1\"]}\n";

/* An IPv4 TCP packet (20-byte headers, no options); returns its length. */
static size_t tcp4(uint8_t *b, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		   uint8_t flags, uint32_t seq, const char *payload)
{
	size_t n = payload ? strlen(payload) : 0, len = 40 + n;

	memset(b, 0, 40);
	b[0] = 0x45;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[8] = 64;
	b[9] = 6;
	b[12] = (uint8_t)(src >> 24), b[13] = (uint8_t)(src >> 16), b[14] = (uint8_t)(src >> 8), b[15] = (uint8_t)src;
	b[16] = (uint8_t)(dst >> 24), b[17] = (uint8_t)(dst >> 16), b[18] = (uint8_t)(dst >> 8), b[19] = (uint8_t)dst;
	b[20] = (uint8_t)(sport >> 8), b[21] = (uint8_t)sport;
	b[22] = (uint8_t)(dport >> 8), b[23] = (uint8_t)dport;
	b[24] = (uint8_t)(seq >> 24), b[25] = (uint8_t)(seq >> 16), b[26] = (uint8_t)(seq >> 8), b[27] = (uint8_t)seq;
	b[32] = 0x50;
	b[33] = flags;
	b[34] = 0xfa;
	if (n)
		memcpy(b + 40, payload, n);
	return len;
}

/* One NFULNL_MSG_PACKET with this packet and sequence number, appended at buf + *off. */
static void nflog_msg(char *buf, size_t *off, const uint8_t *pkt, size_t len, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *off);
	struct nfulnl_msg_packet_hdr ph = { htons(0x0800), 2, 0 };
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = 2;
	nfg->res_id = htons(100);
	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u32(nlh, NFULA_SEQ, htonl(seq));
	mnl_attr_put(nlh, NFULA_PAYLOAD, len, pkt);
	*off += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void log_syn(struct synlog *sl, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		    uint32_t isn, uint32_t seq)
{
	char buf[1024];
	uint8_t pkt[64];
	size_t off = 0;

	memset(buf, 0, sizeof(buf));
	nflog_msg(buf, &off, pkt, tcp4(pkt, src, sport, dst, dport, 0x02, isn, NULL), seq);
	synlog_on_datagram(sl, buf, off, 1000);
}

static void test_parse(void)
{
	struct synlog *sl = synlog_new(64, 10000);
	struct synlog_stats st;
	struct syn_rec r;
	struct pkt p;
	char buf[2048];
	uint8_t pkt[128];
	size_t off = 0;

	CHECK(sl != NULL);
	memset(buf, 0, sizeof(buf));
	/* A SYN, a SYN-ACK and a SYN with data (neither is a record), a SYN. */
	nflog_msg(buf, &off, pkt, tcp4(pkt, CLIENT, 40000, POOL, 3333, 0x02, 500, NULL), 7);
	nflog_msg(buf, &off, pkt, tcp4(pkt, POOL, 3333, CLIENT, 40000, 0x12, 900, NULL), 8);
	nflog_msg(buf, &off, pkt, tcp4(pkt, CLIENT, 40002, POOL, 3333, 0x02, 1, "data"), 9);
	/* Records 10 and 11 never came (an overrun). */
	nflog_msg(buf, &off, pkt, tcp4(pkt, CLIENT, 40001, POOL, 3333, 0x02, 600, NULL), 12);
	synlog_on_datagram(sl, buf, off, 1000);
	synlog_get_stats(sl, &st);
	CHECK(st.records == 2 && st.unreadable == 2 && st.lost == 2);
	CHECK(st.table.active == 2);
	/* Truncated headers are unreadable, not a crash. */
	off = 0;
	nflog_msg(buf, &off, pkt, 30, 13);
	synlog_on_datagram(sl, buf, off, 1000);
	synlog_on_datagram(sl, buf, 7, 1000);
	synlog_get_stats(sl, &st);
	CHECK(st.unreadable == 3 && st.lost == 2);

	/* Taken by the flow's first packet from the server's side too. */
	tcp4(pkt, POOL, 3333, CLIENT, 40001, 0x18, 77, "220 ok");
	CHECK(pkt_parse(pkt, 46, &p) == 0);
	CHECK(synlog_take(sl, &p, 1001, &r) == 1 && r.isn == 600 && r.sport == 40001);
	CHECK(synlog_take(sl, &p, 1001, &r) == 0);
	synlog_free(sl);
}

#define LISTS "detect = { blocklists = { domains = [ ]; endpoints = [ ]; ports = [ ]; }; };\n"

/* The client sends the second half of a Stratum subscribe first. */
static void test_out_of_order(bool with_log)
{
	struct mw_conf *c = NULL;
	struct pool_lists *pl = NULL;
	struct engine *e = NULL;
	struct synlog *sl = synlog_new(64, 10000);
	struct engine_stats st;
	struct timeval ts = { 1, 0 };
	struct queue_verdict v;
	uint8_t pkt[256];
	size_t n;

	/* stratum = "reject" is the default. */
	CHECK(conf_load_string(LISTS, "/nonexistent/x.conf", &c, stderr) == 0);
	pl = c ? pool_lists_load(c, stderr) : NULL;
	e = pl ? engine_new(c, pl, NULL, NULL) : NULL;
	CHECK(e != NULL && sl != NULL);
	if (!e || !sl)
		goto out;
	if (with_log) {
		engine_set_synlog(e, sl);
		log_syn(sl, CLIENT, 40000, POOL, 3333, 5000, 0);
	}
	n = tcp4(pkt, CLIENT, 40000, POOL, 3333, 0x18, 5001 + (uint32_t)strlen(seg1), seg2);
	engine_packet(e, pkt, n, 0, 1000, &ts, &v);
	if (!with_log) {
		/* No SYN seen: the flow starts midstream at the second segment,
		 * which passes. (What the SYN log is for.) */
		CHECK(v.action == QV_ACCEPT);
		engine_get_stats(e, &st);
		CHECK(st.syn_found == 0 && st.held == 0);
		goto out;
	}
	/* A gap before it: held, whatever the detectors would say of nothing. */
	CHECK(v.action == QV_DROP);
	n = tcp4(pkt, CLIENT, 40000, POOL, 3333, 0x10, 5001, seg1);
	engine_packet(e, pkt, n, 0, 1001, &ts, &v);
	CHECK(v.action == QV_ACCEPT && !v.set_mark);
	/* Resent, it completes the line: rejected. */
	n = tcp4(pkt, CLIENT, 40000, POOL, 3333, 0x18, 5001 + (uint32_t)strlen(seg1), seg2);
	engine_packet(e, pkt, n, 0, 1002, &ts, &v);
	CHECK(v.action == QV_REPEAT && v.set_mark);
	engine_get_stats(e, &st);
	CHECK(st.syn_found == 1 && st.syn_missing == 0 && st.held == 1 && st.flows_blocked == 1);
	/* A flow whose SYN the log never had is counted and judged midstream. */
	n = tcp4(pkt, CLIENT, 40009, POOL, 80, 0x18, 1, "GET / HTTP/1.0\r\n\r\n");
	engine_packet(e, pkt, n, 0, 1003, &ts, &v);
	/* Its FIN: a last look, judged clean. */
	n = tcp4(pkt, CLIENT, 40009, POOL, 80, 0x11, 19, NULL);
	engine_packet(e, pkt, n, 0, 1003, &ts, &v);
	engine_get_stats(e, &st);
	CHECK(st.syn_missing == 1 && st.flows_clean == 1 && v.set_mark);
	/* The client uses port 40009 again within the idle timeout: the
	 * judged flow's clean verdict must not cover the new connection. */
	log_syn(sl, CLIENT, 40009, POOL, 80, 90000, 1);
	n = tcp4(pkt, CLIENT, 40009, POOL, 80, 0x18, 90001, "{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": []}\n");
	engine_packet(e, pkt, n, 0, 1004, &ts, &v);
	CHECK(v.action == QV_REPEAT);
	engine_get_stats(e, &st);
	CHECK(st.syn_restarted == 1 && st.syn_found == 2 && st.flows_blocked == 2);
out:
	engine_free(e);
	synlog_free(sl);
	pool_lists_free(pl);
	conf_free(c);
}

int main(void)
{
	test_parse();
	test_out_of_order(true);
	test_out_of_order(false);
	return UNIT_DONE();
}

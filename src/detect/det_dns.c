// SPDX-License-Identifier: GPL-2.0-or-later
/* DNS queries and answers for pool domains, with the answered addresses learned. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "det_net.h"
#include "domain_set.h"

/*
 * Scope: UDP and TCP flows with port 53 (DNS), 5353 (mDNS) or 5355 (LLMNR) on
 * either side. Other ports are not looked at: DNS-shaped bytes elsewhere are
 * too common to be worth parsing, and DoH/DoT are opaque anyway.
 * UDP: each datagram alone (s->pkt_data). TCP: the 2-byte length-prefixed
 * messages at the start of each direction.
 */

#define DNS_HDR 12
#define DNS_NAME_MAX 255	/* presentation form, without trailing dot, fits */
#define DNS_MAX_HOPS 16		/* compression pointers followed per name */
#define DNS_MAX_QD 4
#define DNS_MAX_AN 64
#define DNS_MAX_CHAIN 8		/* names tracked along CNAME chains */

#define DNS_T_A 1
#define DNS_T_CNAME 5
#define DNS_T_AAAA 28

struct dns_msg {
	const uint8_t *p;
	size_t len;
};

static unsigned int dns_u16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* Decode the name at *off into out (lower-case, dotted, no trailing dot, "" for the
 * root). *off moves past the name as stored in place. -1 on any malformation. */
static int dns_name(const struct dns_msg *m, size_t *off, char *out, size_t *outlen)
{
	size_t pos = *off, n = 0, end = 0;
	unsigned int hops = 0;
	bool jumped = false;

	for (;;) {
		unsigned int l;

		if (pos >= m->len)
			return -1;
		l = m->p[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= m->len || ++hops > DNS_MAX_HOPS)
				return -1;
			target = (size_t)(l & 0x3f) << 8 | m->p[pos + 1];
			/* Pointers must go backwards: this alone rules out loops. */
			if (target >= pos)
				return -1;
			if (!jumped)
				end = pos + 2;
			jumped = true;
			pos = target;
			continue;
		}
		if (l & 0xc0)
			return -1;	/* extended label types: not in use */
		if (l == 0) {
			if (!jumped)
				end = pos + 1;
			break;
		}
		if (pos + 1 + l > m->len || n + l + 1 > DNS_NAME_MAX)
			return -1;
		if (n)
			out[n++] = '.';
		for (size_t i = 0; i < l; i++) {
			uint8_t c = m->p[pos + 1 + i];

			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			/* A dot or odd byte inside a label must not fake a label boundary. */
			out[n++] = (c == '.' || c <= 0x20 || c >= 0x7f) ? '?' : (char)c;
		}
		pos += 1 + l;
	}
	out[n] = '\0';
	*outlen = n;
	*off = end;
	return 0;
}

struct dns_chain {
	char names[DNS_MAX_CHAIN][DNS_NAME_MAX + 1];
	unsigned int n;
};

static bool chain_has(const struct dns_chain *c, const char *name)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (strcmp(c->names[i], name) == 0)
			return true;
	return false;
}

static bool chain_add(struct dns_chain *c, const char *name)
{
	if (chain_has(c, name) || c->n == DNS_MAX_CHAIN)
		return false;
	snprintf(c->names[c->n++], DNS_NAME_MAX + 1, "%s", name);
	return true;
}

static bool dns_listed(const struct det_env *env, const char *name, size_t len)
{
	return len && domain_set_match(env->pool_domains, name, len, NULL, 0);
}

static void dns_learn(struct det_finding *out, uint8_t family, const uint8_t *addr, uint32_t ttl)
{
	size_t alen = family == AF_INET ? 4 : 16;
	struct det_learned *l;

	for (unsigned int i = 0; i < out->n_learned; i++)
		if (out->learned[i].family == family && !memcmp(out->learned[i].addr, addr, alen))
			return;
	if (out->n_learned == DET_MAX_LEARNED)
		return;
	l = &out->learned[out->n_learned++];
	memset(l, 0, sizeof(*l));
	l->family = family;
	memcpy(l->addr, addr, alen);
	l->ttl = ttl;
}

/* One DNS message. DET_MATCH (finding filled), DET_NO (clean), or -1 (not DNS). */
static int dns_message(const struct det_env *env, const struct dns_msg *m, struct det_finding *out)
{
	char name[DNS_NAME_MAX + 1], first[DNS_NAME_MAX + 1] = "";
	struct dns_chain chain = { .n = 0 };
	unsigned int flags, qd, an, i, pass;
	size_t off = DNS_HDR, nlen, an_off;
	bool resp, listed = false;

	if (m->len < DNS_HDR)
		return -1;
	flags = dns_u16(m->p + 2);
	qd = dns_u16(m->p + 4);
	an = dns_u16(m->p + 6);
	resp = flags & 0x8000;
	if (((flags >> 11) & 0xf) != 0)	/* opcode QUERY only */
		return -1;
	if (qd > DNS_MAX_QD || (!resp && an > 0 && qd == 0) || (!resp && qd == 0))
		return -1;

	for (i = 0; i < qd; i++) {
		if (dns_name(m, &off, name, &nlen) < 0 || m->len - off < 4)
			return -1;
		off += 4;
		if (dns_listed(env, name, nlen)) {
			if (!listed)
				snprintf(first, sizeof(first), "%s", name);
			listed = true;
			chain_add(&chain, name);
		}
	}
	if (!resp) {
		if (!listed)
			return DET_NO;
		snprintf(out->dialect, sizeof(out->dialect), "dns-query");
		snprintf(out->detail, sizeof(out->detail), "query=%.150s", first);
		snprintf(out->name, sizeof(out->name), "%s", first);
		return DET_MATCH;
	}

	/* Answers: a name is followed when it is listed or is a CNAME target of a
	 * followed name. Records may come in any order: repeat until nothing is
	 * added (bounded by the chain size), then learn the followed A/AAAA. */
	an_off = off;
	if (an > DNS_MAX_AN)
		an = DNS_MAX_AN;
	for (pass = 0; pass <= DNS_MAX_CHAIN + 1; pass++) {
		bool grew = false, learn = pass == DNS_MAX_CHAIN + 1;

		off = an_off;
		for (i = 0; i < an; i++) {
			unsigned int type, rdlen;
			uint32_t ttl;
			size_t rd;

			if (dns_name(m, &off, name, &nlen) < 0 || m->len - off < 10)
				break;	/* truncated: keep what was read */
			type = dns_u16(m->p + off);
			ttl = (uint32_t)m->p[off + 4] << 24 | (uint32_t)m->p[off + 5] << 16 |
			      (uint32_t)m->p[off + 6] << 8 | m->p[off + 7];
			rdlen = dns_u16(m->p + off + 8);
			rd = off + 10;
			if (rdlen > m->len - rd)
				break;
			off = rd + rdlen;
			if (!chain_has(&chain, name)) {
				if (learn || !dns_listed(env, name, nlen))
					continue;
				if (!listed)
					snprintf(first, sizeof(first), "%s", name);
				listed = true;
				grew |= chain_add(&chain, name);
			}
			if (!learn && type == DNS_T_CNAME) {
				char target[DNS_NAME_MAX + 1];
				size_t toff = rd, tlen;

				if (dns_name(m, &toff, target, &tlen) == 0 && tlen)
					grew |= chain_add(&chain, target);
			} else if (learn && type == DNS_T_A && rdlen == 4) {
				dns_learn(out, AF_INET, m->p + rd, ttl);
			} else if (learn && type == DNS_T_AAAA && rdlen == 16) {
				dns_learn(out, AF_INET6, m->p + rd, ttl);
			}
		}
		if (!listed)
			return DET_NO;
		if (!learn && !grew)
			pass = DNS_MAX_CHAIN;	/* stable: go to the learning pass */
	}
	if (!listed)
		return DET_NO;
	snprintf(out->dialect, sizeof(out->dialect), "dns-answer");
	snprintf(out->name, sizeof(out->name), "%s", first);
	snprintf(out->detail, sizeof(out->detail), "answer=%.120s addresses=%u", first,
		 out->n_learned);
	return DET_MATCH;
}

static bool dns_port(uint16_t p)
{
	return p == 53 || p == 5353 || p == 5355;
}

/* Walk the length-prefixed messages of one TCP direction. */
static int dns_tcp_dir(const struct det_env *env, const uint8_t *d, size_t len, bool full,
		       struct det_finding *out, bool *seen, bool *more)
{
	size_t off = 0;

	while (len - off >= 2) {
		size_t ml = (size_t)d[off] << 8 | d[off + 1];
		struct dns_msg m = { .p = d + off + 2, .len = ml };
		int rc;

		if (ml < DNS_HDR)
			return -1;
		if (ml > len - off - 2) {
			/* Incomplete: what is there of the header must look like DNS. */
			size_t have = len - off - 2;

			if (have >= 4 && ((m.p[2] >> 3) & 0xf) != 0)
				return -1;
			if (have >= 6 && (m.p[4] != 0 || m.p[5] > DNS_MAX_QD))
				return -1;
			*more = !full;
			return 0;
		}
		out->n_learned = 0;
		rc = dns_message(env, &m, out);
		if (rc < 0)
			return -1;
		if (rc == DET_MATCH)
			return DET_MATCH;
		*seen = true;
		off += 2 + ml;
	}
	if (len - off)
		*more = !full;
	else if (!*seen)
		*more = !full;
	return 0;
}

static enum det_result dns_inspect(const struct det_env *env, const struct det_stream *s,
				   struct det_finding *out)
{
	bool seen = false, more = false;
	int rc;

	if (!env->pool_domains || (!dns_port(s->key->port[0]) && !dns_port(s->key->port[1])))
		return DET_NO;
	if (s->key->proto != IPPROTO_TCP) {
		struct dns_msg m = { .p = s->pkt_data, .len = s->pkt_len };

		if (!s->pkt_data || !s->pkt_len)
			return DET_MORE;
		out->n_learned = 0;
		rc = dns_message(env, &m, out);
		/* A resolver flow on a reused port carries many transactions: a clean
		 * one says nothing about the next. Only garbage rules the flow out. */
		return rc == DET_MATCH ? DET_MATCH : rc < 0 ? DET_NO : DET_MORE;
	}
	if (s->midstream)
		return DET_NO;
	for (int dir = FLOW_ORIG; dir <= FLOW_REPLY; dir++) {
		rc = dns_tcp_dir(env, s->data[dir], s->len[dir], s->full[dir], out, &seen, &more);
		if (rc == DET_MATCH)
			return DET_MATCH;
		if (rc < 0)
			return DET_NO;
	}
	if (seen)
		return DET_NO;
	return more || (!s->len[FLOW_ORIG] && !s->full[FLOW_ORIG]) ? DET_MORE : DET_NO;
}

const struct detector det_dns = {
	.name = "dns",
	.protos = DET_P_TCP | DET_P_UDP,
	.whole_flow = true,
	.teaches = true,
	.inspect = dns_inspect,
};

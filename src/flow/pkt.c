// SPDX-License-Identifier: GPL-2.0-or-later
/* Bounded parsing of one IPv4/IPv6 packet (no link header) down to its TCP/UDP payload. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "pkt.h"

/* More IPv6 extension headers than this is not a packet we want to walk. */
#define PKT_V6_MAX_EXT 8

#define IPV4_HDR_MIN 20
#define IPV6_HDR_LEN 40
#define TCP_HDR_MIN 20
#define UDP_HDR_LEN 8

/* IPv6 next-header values we walk past (netinet/in.h names some, not all). */
#define V6_HOPOPTS 0
#define V6_ROUTING 43
#define V6_FRAGMENT 44
#define V6_AH 51
#define V6_NONE 59
#define V6_DSTOPTS 60

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/*
 * Parse the L4 header at data[off]. end is where the IP packet ends inside
 * the buffer (min of the IP length and the buffer), ip_end where the IP
 * packet says it ends (may be past the buffer when the copy range cut it).
 * first_frag: this is the first fragment of a fragmented datagram, so the
 * L4 header may be cut by fragmentation rather than be malformed, and the
 * UDP length covers more than this fragment.
 */
static int pkt_parse_l4(const uint8_t *data, size_t off, size_t end, size_t ip_end,
			bool first_frag, struct pkt *p)
{
	size_t hlen;

	switch (p->proto) {
	case IPPROTO_TCP:
		if (ip_end - off < TCP_HDR_MIN) {
			if (first_frag)
				goto tiny_frag;
			return -1;
		}
		if (end - off < TCP_HDR_MIN)
			return -1;
		hlen = (size_t)(data[off + 12] >> 4) * 4;
		if (hlen < TCP_HDR_MIN)
			return -1;
		if (ip_end - off < hlen) {
			if (first_frag)
				goto tiny_frag;
			return -1;
		}
		if (end - off < hlen)
			return -1;
		p->sport = get16(data + off);
		p->dport = get16(data + off + 2);
		p->seq = get32(data + off + 4);
		p->tcp_flags = data[off + 13];
		off += hlen;
		break;
	case IPPROTO_UDP: {
		size_t ulen;

		if (ip_end - off < UDP_HDR_LEN) {
			if (first_frag)
				goto tiny_frag;
			return -1;
		}
		if (end - off < UDP_HDR_LEN)
			return -1;
		ulen = get16(data + off + 4);
		if (ulen < UDP_HDR_LEN)
			return -1;
		/* A first fragment holds only part of the datagram. */
		if (!first_frag) {
			if (ulen > ip_end - off)
				return -1;
			/* Trailing bytes after the datagram are not payload. */
			if (off + ulen < end)
				end = off + ulen;
		}
		p->sport = get16(data + off);
		p->dport = get16(data + off + 2);
		off += UDP_HDR_LEN;
		break;
	}
	default:
		/* Other L4: payload is everything after the IP headers, no ports. */
		break;
	}
	p->payload = data + off;
	p->payload_len = (uint32_t)(end - off);
	return 0;

tiny_frag:
	/* The first fragment is too short to carry the L4 header: no ports. */
	p->fragment = 1;
	return 0;
}

/*
 * Fragments. A non-first fragment has no L4 header: fragment = 1, proto set,
 * no ports, no payload, return 0 (it is not malformed, the caller decides).
 * A first fragment (MF set, offset 0) whose whole L4 header is present is
 * parsed like an ordinary packet (ports, payload of this fragment only) with
 * fragment = 0, so the flow still gets its identity; one too short to hold
 * the L4 header is flagged fragment = 1.
 */
static int pkt_parse_v4(const uint8_t *data, size_t len, struct pkt *p)
{
	size_t ihl, tot, end;
	uint16_t frag;

	if (len < IPV4_HDR_MIN)
		return -1;
	ihl = (size_t)(data[0] & 0x0f) * 4;
	if (ihl < IPV4_HDR_MIN || ihl > len)
		return -1;
	tot = get16(data + 2);
	/* IPv4 BIG TCP (GSO over 64k) carries tot_len 0: trust the buffer. */
	if (tot == 0 && len > 0xffff)
		tot = len;
	if (tot < ihl)
		return -1;
	end = tot < len ? tot : len;

	p->family = AF_INET;
	p->proto = data[9];
	memcpy(p->saddr, data + 12, 4);
	memcpy(p->daddr, data + 16, 4);
	p->ip_len = (uint32_t)tot;

	frag = get16(data + 6);
	if (frag & 0x1fff) {
		p->fragment = 1;
		return 0;
	}
	return pkt_parse_l4(data, ihl, end, tot, (frag & 0x2000) != 0, p);
}

static int pkt_parse_v6(const uint8_t *data, size_t len, struct pkt *p)
{
	size_t off = IPV6_HDR_LEN, tot, end;
	bool first_frag = false;
	uint8_t nh;
	int n;

	if (len < IPV6_HDR_LEN)
		return -1;
	tot = (size_t)get16(data + 4) + IPV6_HDR_LEN;
	/* Jumbogram / IPv6 BIG TCP: payload length 0, trust the buffer. */
	if (tot == IPV6_HDR_LEN && len > 0xffff + IPV6_HDR_LEN)
		tot = len;
	end = tot < len ? tot : len;
	nh = data[6];

	p->family = AF_INET6;
	memcpy(p->saddr, data + 8, 16);
	memcpy(p->daddr, data + 24, 16);
	p->ip_len = (uint32_t)tot;

	for (n = 0;; n++) {
		size_t hlen;

		if (nh != V6_HOPOPTS && nh != V6_ROUTING && nh != V6_DSTOPTS &&
		    nh != V6_FRAGMENT && nh != V6_AH)
			break;
		if (n == PKT_V6_MAX_EXT)
			return -1;
		/* Every extension header starts with next header and a length. */
		if (end - off < 8)
			return -1;
		if (nh == V6_FRAGMENT) {
			uint16_t fo = get16(data + off + 2);

			hlen = 8;
			if (fo & 0xfff8) {
				p->proto = data[off];
				p->fragment = 1;
				return 0;
			}
			/* An atomic fragment (offset 0, no M flag) is a whole packet. */
			if (fo & 1)
				first_frag = true;
		} else if (nh == V6_AH) {
			hlen = ((size_t)data[off + 1] + 2) * 4;
		} else {
			hlen = ((size_t)data[off + 1] + 1) * 8;
		}
		if (end - off < hlen)
			return -1;
		nh = data[off];
		off += hlen;
	}
	p->proto = nh;
	if (nh == V6_NONE) {
		p->payload = data + off;
		p->payload_len = 0;
		return 0;
	}
	return pkt_parse_l4(data, off, end, tot, first_frag, p);
}

int pkt_parse(const uint8_t *data, size_t len, struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	if (!data || len < 1)
		return -1;
	switch (data[0] >> 4) {
	case 4:
		return pkt_parse_v4(data, len, p);
	case 6:
		return pkt_parse_v6(data, len, p);
	default:
		return -1;
	}
}

const char *pkt_addr_str(uint8_t family, const uint8_t addr[16], char *buf, size_t size)
{
	if ((family != AF_INET && family != AF_INET6) ||
	    !inet_ntop(family, addr, buf, (socklen_t)size)) {
		if (size)
			snprintf(buf, size, "?");
	}
	return buf;
}

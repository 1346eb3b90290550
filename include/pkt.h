/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded parsing of one IPv4/IPv6 packet down to its TCP/UDP payload. */
#ifndef MW_PKT_H
#define MW_PKT_H

#include <stddef.h>
#include <stdint.h>

#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10

struct pkt {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t proto;		/* IPPROTO_TCP, IPPROTO_UDP, or another L4 (then no ports) */
	uint8_t tcp_flags;	/* PKT_TCP_* */
	uint8_t fragment;	/* 1 for a non-first fragment or a fragment we cannot read ports of */
	uint8_t saddr[16];	/* IPv4 in the first 4 bytes, rest zero */
	uint8_t daddr[16];
	uint16_t sport;		/* host byte order */
	uint16_t dport;
	uint32_t seq;		/* TCP sequence number, host order */
	const uint8_t *payload;	/* L4 payload inside the buffer given to pkt_parse */
	uint32_t payload_len;
	uint32_t ip_len;	/* length of the IP packet as parsed */
};

/* Parse an IP packet starting at data. Returns 0, or -1 if the packet is malformed
 * (truncated headers, bad lengths). Never reads past data + len. */
int pkt_parse(const uint8_t *data, size_t len, struct pkt *p);

/* Format an address of the given family into buf (INET6_ADDRSTRLEN is enough). */
const char *pkt_addr_str(uint8_t family, const uint8_t addr[16], char *buf, size_t size);

#endif

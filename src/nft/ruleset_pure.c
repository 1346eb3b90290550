// SPDX-License-Identifier: GPL-2.0-or-later
/* The chains that accept TCP segments without payload in the kernel: pure_tcp (bare ACKs) and syn_tcp (SYNs, logged). */
#include "config.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "ruleset_int.h"

/* pure_tcp, jumped to for TCP segments with ACK and without SYN-less-ACK,
 * FIN or RST: accept those whose IP length is exactly the IP and TCP
 * headers (no payload). nftables cannot subtract, so each TCP header size
 * (data offset 5..15 words) gets its own rule, commonest first; a longer
 * packet returns at the first rule. A v4 header with options or a v6 packet
 * with extension headers never matches, and is queued as before.
 * syn_tcp (log: true) is the same for SYNs, logging each one it accepts to
 * the SYN log's group: a SYN that carries data (TCP Fast Open) returns and
 * is queued and judged. */
void rules_pure(struct build *bd, const char *chain, bool log)
{
	static const uint8_t doffs[] = { 8, 5, 10, 6, 7, 9, 11, 12, 13, 14, 15 };
	size_t i;
	int v;

	for (v = 0; v < 2; v++) {
		/* v4: total length at offset 2, 20-byte header; v6: payload length at 4. */
		uint32_t off = v == 0 ? 2 : 4, base = v == 0 ? 20 : 0;
		uint16_t most = htons((uint16_t)(base + 60));

		rule_begin(bd, chain);
		m_nfproto(bd, v == 0 ? NFPROTO_IPV4 : NFPROTO_IPV6);
		x_payload(bd, NFT_PAYLOAD_NETWORK_HEADER, off, 2, NFT_REG_1);
		x_cmp(bd, NFT_CMP_GT, &most, sizeof(most));
		x_verdict(bd, NFT_RETURN, NULL);
		rule_end(bd);
		for (i = 0; i < sizeof(doffs); i++) {
			uint16_t len = htons((uint16_t)(base + 4u * doffs[i]));

			rule_begin(bd, chain);
			m_nfproto(bd, v == 0 ? NFPROTO_IPV4 : NFPROTO_IPV6);
			m_tcp_doff(bd, doffs[i]);
			x_payload(bd, NFT_PAYLOAD_NETWORK_HEADER, off, 2, NFT_REG_1);
			x_cmp_eq(bd, &len, sizeof(len));
			if (log)
				s_log_group(bd, bd->cfg->syn_group);
			x_verdict(bd, NF_ACCEPT, NULL);
			rule_end(bd);
		}
	}
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the network detector tests: a small pool environment and streams. */
#ifndef MW_DET_NET_TEST_H
#define MW_DET_NET_TEST_H

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "det_net.h"
#include "domain_set.h"
#include "ep_table.h"

static const char *const test_pools[] = {
	"bitminter.com", "litecoinpool.org", "supportxmr.com", "coinhive.com",
	"authedmine.com", "nanopool.org", "suprnova.cc", "flypool.org", "pool.eth.pp.ua",
};

static inline struct domain_set *test_pool_set(void)
{
	struct domain_set *ds = domain_set_new();

	for (size_t i = 0; i < sizeof(test_pools) / sizeof(test_pools[0]); i++)
		domain_set_add(ds, test_pools[i]);
	return ds;
}

static inline void test_key(struct flow_key *k, uint8_t proto, uint16_t sport, uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	k->family = AF_INET;
	k->proto = proto;
	k->port[0] = sport;
	k->port[1] = dport;
	k->addr[0][0] = 10; k->addr[0][3] = 15;
	k->addr[1][0] = 198; k->addr[1][1] = 51; k->addr[1][2] = 100; k->addr[1][3] = 7;
}

/* A TCP stream with c bytes from the client and r from the server. */
static inline void test_stream(struct det_stream *s, const struct flow_key *k, const uint8_t *c, size_t clen,
			const uint8_t *r, size_t rlen)
{
	memset(s, 0, sizeof(*s));
	s->key = k;
	s->dir = rlen ? FLOW_REPLY : FLOW_ORIG;
	s->data[FLOW_ORIG] = c;
	s->len[FLOW_ORIG] = clen;
	s->data[FLOW_REPLY] = r;
	s->len[FLOW_REPLY] = rlen;
	s->pkt_data = rlen ? r : c;
	s->pkt_len = rlen ? rlen : clen;
}

#endif

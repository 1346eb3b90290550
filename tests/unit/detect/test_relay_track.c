// SPDX-License-Identifier: GPL-2.0-or-later
/* Relay correlation: both legs of a relay, in either order, reported once. */
#include "config.h"

#include <arpa/inet.h>

#include "relay_track.h"
#include "unit.h"

static struct relay_host host(const char *ip, uint16_t port)
{
	struct relay_host h = { .port = port };

	if (inet_pton(AF_INET, ip, h.addr) == 1)
		h.family = AF_INET;
	else if (inet_pton(AF_INET6, ip, h.addr) == 1)
		h.family = AF_INET6;
	return h;
}

static bool same(const struct relay_host *a, const struct relay_host *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0 && a->port == b->port;
}

int main(void)
{
	struct relay_track *rt = relay_track_new(1024, 60000);
	struct relay_host miner = host("198.51.100.2", 40000), relay = host("198.51.100.9", 3333);
	struct relay_host relay_out = host("198.51.100.9", 50000), pool = host("203.0.113.2", 4444);
	struct relay_host other = host("198.51.100.3", 40001), v6 = host("2001:db8::9", 3333);
	struct relay_finding f;
	unsigned int i;

	CHECK(rt != NULL);
	/* Inbound leg first: a miner connects to the relay. Nothing yet. */
	CHECK(!relay_track_note(rt, &miner, &relay, 1000, &f));
	/* Then the relay opens its own stratum flow to the pool: a relay. */
	CHECK(relay_track_note(rt, &relay_out, &pool, 2000, &f));
	CHECK(same(&f.relay, &relay));
	CHECK(same(&f.inbound, &miner));
	CHECK(same(&f.outbound, &pool));
	/* Reported once per window, not per flow. */
	CHECK(!relay_track_note(rt, &other, &relay, 3000, &f));
	CHECK(!relay_track_note(rt, &relay_out, &pool, 4000, &f));
	/* After the window both legs must be seen again. */
	CHECK(!relay_track_note(rt, &relay_out, &pool, 100000, &f));
	CHECK(relay_track_note(rt, &miner, &relay, 100500, &f));
	CHECK(same(&f.relay, &relay));
	CHECK(same(&f.outbound, &pool));

	/* Outbound leg first, IPv6 relay; a stale leg does not count. */
	CHECK(!relay_track_note(rt, &v6, &pool, 200000, &f));
	CHECK(!relay_track_note(rt, &miner, &v6, 200000 + 60001, &f));
	CHECK(!relay_track_note(rt, &miner, &v6, 300000, &f));
	CHECK(relay_track_note(rt, &v6, &pool, 300001, &f));
	CHECK(same(&f.relay, &v6));

	/* Plain miners talking to pools are no relays, however many. */
	for (i = 0; i < 5000; i++) {
		struct relay_host m = host("198.51.100.50", (uint16_t)(1024 + i));

		m.addr[2] = (uint8_t)(i >> 8);
		m.addr[3] = (uint8_t)i;
		CHECK(!relay_track_note(rt, &m, &pool, 400000 + i, &f));
	}
	relay_track_free(rt);

	/* One flow seen from both ends (picked up again in the other direction
	 * after the first was forgotten, or a loopback capture) is not a relay:
	 * the inbound peer would be the outbound peer. */
	rt = relay_track_new(1024, 60000);
	CHECK(rt != NULL);
	CHECK(!relay_track_note(rt, &miner, &pool, 1000, &f));
	CHECK(!relay_track_note(rt, &pool, &miner, 1500, &f));
	CHECK(!relay_track_note(rt, &miner, &pool, 2000, &f));
	/* A second, distinct peer on the other leg still makes one. */
	CHECK(relay_track_note(rt, &other, &miner, 2500, &f));
	CHECK(same(&f.relay, &miner));
	CHECK(same(&f.inbound, &other));
	relay_track_free(rt);
	return UNIT_DONE();
}

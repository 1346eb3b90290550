// SPDX-License-Identifier: GPL-2.0-or-later
/* refused_count: baseline, new host, growth, counter reset, host gone and back, per-host cap, IPv6, bound. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "refused_count.h"
#include "unit.h"

#define MAXR 16

struct got {
	size_t n;
	struct refused_elem e[MAXR];
	uint32_t count[MAXR];
	uint64_t from[MAXR];
};

static void on_host(const struct refused_elem *e, uint64_t from, uint32_t n, void *arg)
{
	struct got *g = arg;

	if (g->n < MAXR) {
		g->e[g->n] = *e;
		g->count[g->n] = n;
		g->from[g->n] = from;
	}
	g->n++;
}

static struct refused_elem host(int family, const char *s, uint64_t packets)
{
	struct refused_elem e = { .family = (uint8_t)family, .packets = packets };

	inet_pton(family, s, e.addr);
	return e;
}

static void add(struct refused_count *rc, int family, const char *s, uint64_t packets)
{
	struct refused_elem e = host(family, s, packets);

	refused_count_add(rc, &e);
}

static int find(const struct got *g, int family, const char *s)
{
	struct refused_elem e = host(family, s, 0);
	size_t i;

	for (i = 0; i < g->n && i < MAXR; i++)
		if (g->e[i].family == family && memcmp(g->e[i].addr, e.addr, 16) == 0)
			return (int)i;
	return -1;
}

/* What cb said for this host: the count, or 0 when it was not reported. */
static uint32_t reported(const struct got *g, int family, const char *s)
{
	int i = find(g, family, s);

	return i < 0 ? 0 : g->count[i];
}

/* The counter cb said the new ones follow; UINT64_MAX when not reported. */
static uint64_t reported_from(const struct got *g, int family, const char *s)
{
	int i = find(g, family, s);

	return i < 0 ? UINT64_MAX : g->from[i];
}

int main(void)
{
	struct refused_count *rc = refused_count_new();
	struct got g;
	uint64_t total;
	unsigned int i, added;

	CHECK(rc != NULL);

	/* 1. The first dump is the baseline: what the sets held before the
	 * daemon started is not reported. */
	refused_count_begin(rc);
	add(rc, AF_INET, "10.0.0.1", 7);
	add(rc, AF_INET, "10.0.0.2", 3);
	memset(&g, 0, sizeof(g));
	total = refused_count_diff(rc, 100, on_host, &g);
	CHECK(total == 0);
	CHECK(g.n == 0);

	/* 2. Growth: .1 by 2, .2 unchanged (not reported), .3 is new: all of
	 * its 4 count. */
	refused_count_begin(rc);
	add(rc, AF_INET, "10.0.0.3", 4);
	add(rc, AF_INET, "10.0.0.1", 9);
	add(rc, AF_INET, "10.0.0.2", 3);
	memset(&g, 0, sizeof(g));
	total = refused_count_diff(rc, 100, on_host, &g);
	CHECK(total == 6);
	CHECK(g.n == 2);
	CHECK(reported(&g, AF_INET, "10.0.0.1") == 2);
	CHECK(reported_from(&g, AF_INET, "10.0.0.1") == 7);
	CHECK(reported(&g, AF_INET, "10.0.0.3") == 4);
	CHECK(reported_from(&g, AF_INET, "10.0.0.3") == 0);
	CHECK(reported(&g, AF_INET, "10.0.0.2") == 0);

	/* 3. A counter that went backwards was reset (the element timed out
	 * and came back between dumps): it counts from zero. .2 timed out
	 * and is gone. */
	refused_count_begin(rc);
	add(rc, AF_INET, "10.0.0.1", 2);
	add(rc, AF_INET, "10.0.0.3", 4);
	memset(&g, 0, sizeof(g));
	total = refused_count_diff(rc, 100, on_host, &g);
	CHECK(total == 2);
	CHECK(g.n == 1);
	CHECK(reported(&g, AF_INET, "10.0.0.1") == 2);
	CHECK(reported_from(&g, AF_INET, "10.0.0.1") == 0);	/* reset: from zero */

	/* 4. .2 comes back after its element timed out, with a counter (2)
	 * below the one it had two dumps ago (3): all of it is new. */
	refused_count_begin(rc);
	add(rc, AF_INET, "10.0.0.1", 2);
	add(rc, AF_INET, "10.0.0.2", 2);
	add(rc, AF_INET, "10.0.0.3", 4);
	memset(&g, 0, sizeof(g));
	total = refused_count_diff(rc, 100, on_host, &g);
	CHECK(total == 2);
	CHECK(g.n == 1);
	CHECK(reported(&g, AF_INET, "10.0.0.2") == 2);

	/* 5. The cap per host per tick: 1000 refused connections report 5,
	 * the total still counts all of them. IPv6 alongside. */
	refused_count_begin(rc);
	add(rc, AF_INET, "10.0.0.1", 1002);
	add(rc, AF_INET, "10.0.0.2", 2);
	add(rc, AF_INET, "10.0.0.3", 4);
	add(rc, AF_INET6, "2001:db8::1", 3);
	memset(&g, 0, sizeof(g));
	total = refused_count_diff(rc, 5, on_host, &g);
	CHECK(total == 1003);
	CHECK(g.n == 2);
	CHECK(reported(&g, AF_INET, "10.0.0.1") == 5);
	CHECK(reported_from(&g, AF_INET, "10.0.0.1") == 2);	/* the cap leaves from alone */
	CHECK(reported(&g, AF_INET6, "2001:db8::1") == 3);
	/* An IPv6 key with the v4 host's bytes is another host. */
	CHECK(reported(&g, AF_INET6, "::a00:1") == 0);

	/* 6. Nothing changed: nothing reported. An empty dump forgets all. */
	refused_count_begin(rc);
	add(rc, AF_INET6, "2001:db8::1", 3);
	add(rc, AF_INET, "10.0.0.1", 1002);
	memset(&g, 0, sizeof(g));
	CHECK(refused_count_diff(rc, 5, on_host, &g) == 0);
	CHECK(g.n == 0);
	refused_count_begin(rc);
	CHECK(refused_count_diff(rc, 5, on_host, &g) == 0);
	refused_count_begin(rc);
	add(rc, AF_INET, "10.0.0.1", 1002);
	memset(&g, 0, sizeof(g));
	CHECK(refused_count_diff(rc, 2000, on_host, &g) == 1002);
	CHECK(reported(&g, AF_INET, "10.0.0.1") == 1002);

	/* 7. Reset: the next dump is a baseline again. */
	refused_count_reset(rc);
	refused_count_begin(rc);
	add(rc, AF_INET, "10.0.0.1", 5000);
	memset(&g, 0, sizeof(g));
	CHECK(refused_count_diff(rc, 100, on_host, &g) == 0);
	CHECK(g.n == 0);

	/* 8. Bounded: hosts beyond the set size per family are ignored; an
	 * unknown family is ignored. */
	refused_count_begin(rc);
	added = 0;
	for (i = 0; i < REFUSED_SET_SIZE + 10; i++) {
		struct refused_elem e = { .family = AF_INET, .packets = 1 };

		e.addr[0] = 10;
		e.addr[1] = (uint8_t)(i >> 16);
		e.addr[2] = (uint8_t)(i >> 8);
		e.addr[3] = (uint8_t)i;
		added += refused_count_add(rc, &e) == 0;
	}
	CHECK(added == REFUSED_SET_SIZE + 10);
	{
		struct refused_elem bad = { .family = 99, .packets = 1 };

		CHECK(refused_count_add(rc, &bad) == 0);
	}
	memset(&g, 0, sizeof(g));
	/* 10.0.0.1 had 5000 and now 1: reset; the rest are new. */
	total = refused_count_diff(rc, 1, on_host, &g);
	CHECK(total == REFUSED_SET_SIZE);
	CHECK(g.n == REFUSED_SET_SIZE);

	refused_count_free(rc);
	refused_count_free(NULL);
	return UNIT_DONE();
}

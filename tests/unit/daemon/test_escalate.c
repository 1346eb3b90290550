// SPDX-License-Identifier: GPL-2.0-or-later
/* escalate: thresholds, sliding window, direct jump, timeouts, release, restore, capacity, IPv6. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "escalate.h"
#include "unit.h"

#define T0	1700000000000ULL	/* wall clock ms */
#define S	1000ULL

static const struct escalate_cfg cfg = {
	.window_s = 60, .throttle_after = 3, .quarantine_after = 5,
	.throttle_timeout_s = 600, .quarantine_timeout_s = 3600,
};

static void v4(uint8_t a[16], const char *s)
{
	memset(a, 0xee, 16);	/* bytes past the v4 address must not matter */
	inet_pton(AF_INET, s, a);
}

static void v6(uint8_t a[16], const char *s)
{
	inet_pton(AF_INET6, s, a);
}

static void test_thresholds(void)
{
	struct escalate *es = escalate_new(16, &cfg);
	struct escalate_change c;
	const struct escalate_host *h;
	uint8_t a[16];

	v4(a, "10.0.0.5");
	CHECK(!escalate_note(es, AF_INET, a, T0, &c));
	CHECK(!escalate_note(es, AF_INET, a, T0 + 1 * S, &c));
	h = escalate_find(es, AF_INET, a);
	CHECK(h && h->tier == ENF_WATCH && h->detections == 2 && h->last_ms == T0 + S);
	CHECK(escalate_note(es, AF_INET, a, T0 + 2 * S, &c));
	CHECK(c.from == ENF_WATCH && c.host.tier == ENF_THROTTLE);
	CHECK_STR(c.why, "detections");
	CHECK(c.host.detections == 3);
	CHECK(c.host.tier_since_ms == T0 + 2 * S);
	CHECK(c.host.tier_until_ms == T0 + 2 * S + 600 * S);
	CHECK(c.host.family == AF_INET && memcmp(c.host.addr, "\x0a\x00\x00\x05", 4) == 0);
	CHECK(c.host.addr[4] == 0 && c.host.addr[15] == 0);
	CHECK(escalate_count(es, ENF_THROTTLE) == 1 && escalate_count(es, ENF_WATCH) == 0);
	/* Still throttled: no change on the 4th. */
	CHECK(!escalate_note(es, AF_INET, a, T0 + 3 * S, &c));
	CHECK(escalate_note(es, AF_INET, a, T0 + 4 * S, &c));
	CHECK(c.from == ENF_THROTTLE && c.host.tier == ENF_QUARANTINE);
	/* The quarantine timeout starts at the escalation. */
	CHECK(c.host.tier_since_ms == T0 + 4 * S && c.host.tier_until_ms == T0 + 4 * S + 3600 * S);
	CHECK(!escalate_note(es, AF_INET, a, T0 + 5 * S, &c));
	h = escalate_find(es, AF_INET, a);
	CHECK(h && h->tier == ENF_QUARANTINE && h->detections == 5);
	CHECK(escalate_count(es, ENF_QUARANTINE) == 1);
	/* Another host's key with the same first bytes in v6 is another host. */
	CHECK(escalate_find(es, AF_INET6, a) == NULL);
	CHECK_STR(escalate_tier_name(ENF_WATCH), "watch");
	CHECK_STR(escalate_tier_name(ENF_THROTTLE), "throttle");
	CHECK_STR(escalate_tier_name(ENF_QUARANTINE), "quarantine");
	escalate_free(es);
}

static void test_window(void)
{
	struct escalate *es = escalate_new(16, &cfg);
	struct escalate_change c;
	uint8_t a[16];
	int i;

	v4(a, "10.0.0.6");
	/* One detection every 30 s: never more than 2 within 60 s. */
	for (i = 0; i < 20; i++)
		CHECK(!escalate_note(es, AF_INET, a, T0 + (uint64_t)i * 30 * S, &c));
	CHECK(escalate_find(es, AF_INET, a)->detections == 2);
	/* Every 29.999 s: the third lands within the window. */
	v4(a, "10.0.0.7");
	CHECK(!escalate_note(es, AF_INET, a, T0, &c));
	CHECK(!escalate_note(es, AF_INET, a, T0 + 29999, &c));
	CHECK(escalate_note(es, AF_INET, a, T0 + 59999, &c));
	CHECK(c.host.tier == ENF_THROTTLE && c.host.detections == 3);
	/* Exactly window_s later does not count any more. */
	v4(a, "10.0.0.8");
	CHECK(!escalate_note(es, AF_INET, a, T0, &c));
	CHECK(!escalate_note(es, AF_INET, a, T0 + 30 * S, &c));
	CHECK(!escalate_note(es, AF_INET, a, T0 + 60 * S, &c));
	CHECK(escalate_find(es, AF_INET, a)->detections == 2);
	escalate_free(es);
}

static void test_direct_jump(void)
{
	struct escalate_cfg c2 = cfg;
	struct escalate *es;
	struct escalate_change c;
	uint8_t a[16];
	int i;

	/* No throttle tier at all: straight to quarantine. */
	c2.throttle_after = 0;
	c2.quarantine_after = 2;
	es = escalate_new(4, &c2);
	v4(a, "10.0.0.9");
	CHECK(!escalate_note(es, AF_INET, a, T0, &c));
	CHECK(escalate_note(es, AF_INET, a, T0 + 1, &c));
	CHECK(c.from == ENF_WATCH && c.host.tier == ENF_QUARANTINE);
	CHECK(c.host.tier_until_ms == T0 + 1 + 3600 * S);
	escalate_free(es);

	/* Thresholds lowered on reload below the current count: the next
	 * detection jumps watch -> quarantine in one change. */
	es = escalate_new(4, &cfg);
	v4(a, "10.0.0.10");
	for (i = 0; i < 2; i++)
		CHECK(!escalate_note(es, AF_INET, a, T0 + (uint64_t)i, &c));
	c2 = cfg;
	c2.throttle_after = 1;
	c2.quarantine_after = 3;
	escalate_set_cfg(es, &c2);
	CHECK(escalate_note(es, AF_INET, a, T0 + 2, &c));
	CHECK(c.from == ENF_WATCH && c.host.tier == ENF_QUARANTINE && c.host.detections == 3);
	escalate_free(es);

	/* A ring grown on reload keeps the timestamps it had. */
	c2 = cfg;
	c2.throttle_after = 2;
	c2.quarantine_after = 0;
	es = escalate_new(4, &c2);
	v4(a, "10.0.0.11");
	CHECK(!escalate_note(es, AF_INET, a, T0, &c));
	c2.throttle_after = 8;
	c2.quarantine_after = 10;
	escalate_set_cfg(es, &c2);
	for (i = 1; i < 7; i++)
		CHECK(!escalate_note(es, AF_INET, a, T0 + (uint64_t)i, &c));
	CHECK(escalate_note(es, AF_INET, a, T0 + 7, &c));
	CHECK(c.host.tier == ENF_THROTTLE && c.host.detections == 8);
	escalate_free(es);
}

struct seen {
	int n;
	struct escalate_change last;
};

static void on_change(const struct escalate_change *c, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->last = *c;
}

static void test_timeouts(void)
{
	struct escalate *es = escalate_new(16, &cfg);
	struct escalate_change c;
	struct seen s = { 0 };
	const struct escalate_host *h;
	uint8_t a[16], b[16];
	int i;

	v4(a, "10.0.1.1");
	v4(b, "10.0.1.2");
	for (i = 0; i < 3; i++)
		escalate_note(es, AF_INET, a, T0 + (uint64_t)i, &c);
	for (i = 0; i < 5; i++)
		escalate_note(es, AF_INET, b, T0 + (uint64_t)i, &c);
	CHECK(escalate_find(es, AF_INET, a)->tier == ENF_THROTTLE);
	CHECK(escalate_find(es, AF_INET, b)->tier == ENF_QUARANTINE);
	/* Throttle until T0+2+600 s: one ms before nothing ends. */
	CHECK(escalate_expire(es, T0 + 2 + 600 * S - 1, on_change, &s) == 0 && s.n == 0);
	CHECK(escalate_expire(es, T0 + 2 + 600 * S, on_change, &s) == 1 && s.n == 1);
	CHECK(s.last.from == ENF_THROTTLE && s.last.host.tier == ENF_WATCH);
	CHECK_STR(s.last.why, "timeout");
	CHECK(s.last.host.detections == 0 && s.last.host.tier_until_ms == 0);
	h = escalate_find(es, AF_INET, a);
	CHECK(h && h->tier == ENF_WATCH && h->detections == 0);
	/* The count was reset: the next detection alone does not throttle. */
	CHECK(!escalate_note(es, AF_INET, a, T0 + 601 * S, &c));
	CHECK(escalate_find(es, AF_INET, a)->detections == 1);
	CHECK(escalate_find(es, AF_INET, b)->tier == ENF_QUARANTINE);
	CHECK(escalate_expire(es, T0 + 4 + 3600 * S, on_change, &s) == 1 && s.n == 2);
	CHECK(s.last.from == ENF_QUARANTINE && s.last.host.tier == ENF_WATCH);
	CHECK(memcmp(s.last.host.addr, b, 4) == 0);
	CHECK(escalate_count(es, ENF_QUARANTINE) == 0 && escalate_count(es, ENF_WATCH) == 2);
	CHECK(escalate_expire(es, T0 + 10000 * S, NULL, NULL) == 0);
	escalate_free(es);

	/* Timeout 0: the tier lasts until released. */
	{
		struct escalate_cfg c2 = cfg;

		c2.throttle_timeout_s = 0;
		es = escalate_new(4, &c2);
		for (i = 0; i < 3; i++)
			escalate_note(es, AF_INET, a, T0 + (uint64_t)i, &c);
		CHECK(c.host.tier == ENF_THROTTLE && c.host.tier_until_ms == 0);
		CHECK(escalate_expire(es, UINT64_MAX, NULL, NULL) == 0);
		CHECK(escalate_find(es, AF_INET, a)->tier == ENF_THROTTLE);
		/* A reload keeps the tier's timeout as it was. */
		escalate_set_cfg(es, &cfg);
		CHECK(escalate_find(es, AF_INET, a)->tier_until_ms == 0);
		escalate_free(es);
	}
}

static void test_release(void)
{
	struct escalate *es = escalate_new(16, &cfg);
	struct escalate_change c;
	uint8_t a[16], u[16];
	int i;

	v4(a, "10.0.2.1");
	v4(u, "10.0.2.99");
	CHECK(!escalate_release(es, AF_INET, u, T0, &c));	/* unknown */
	escalate_note(es, AF_INET, a, T0, &c);
	CHECK(!escalate_release(es, AF_INET, a, T0, &c));	/* already watched */
	CHECK(escalate_find(es, AF_INET, a)->detections == 0);
	for (i = 0; i < 5; i++)
		escalate_note(es, AF_INET, a, T0 + (uint64_t)i, &c);
	CHECK(escalate_find(es, AF_INET, a)->tier == ENF_QUARANTINE);
	CHECK(escalate_release(es, AF_INET, a, T0 + 10 * S, &c));
	CHECK(c.from == ENF_QUARANTINE && c.host.tier == ENF_WATCH);
	CHECK_STR(c.why, "release");
	CHECK(c.host.detections == 0 && c.host.tier_until_ms == 0 &&
	      c.host.tier_since_ms == T0 + 10 * S);
	CHECK(escalate_count(es, ENF_QUARANTINE) == 0);
	/* Counting starts over. */
	CHECK(!escalate_note(es, AF_INET, a, T0 + 11 * S, &c));
	CHECK(!escalate_note(es, AF_INET, a, T0 + 12 * S, &c));
	CHECK(escalate_note(es, AF_INET, a, T0 + 13 * S, &c) && c.host.tier == ENF_THROTTLE);
	CHECK(!escalate_release(es, AF_INET6, a, T0, &c));
	escalate_free(es);
}

static void test_restore(void)
{
	struct escalate *es = escalate_new(16, &cfg);
	struct escalate_host h = { 0 };
	struct escalate_change c;
	const struct escalate_host *f;

	h.family = AF_INET;
	v4(h.addr, "10.0.3.1");
	memset(h.addr + 4, 0, 12);
	h.tier = ENF_QUARANTINE;
	h.detections = 5;
	h.tier_since_ms = T0 - 100 * S;
	h.tier_until_ms = T0 + 100 * S;
	h.last_ms = T0 - 50 * S;
	CHECK(escalate_restore(es, &h, T0) == 0);
	f = escalate_find(es, AF_INET, h.addr);
	CHECK(f && f->tier == ENF_QUARANTINE && f->tier_since_ms == T0 - 100 * S &&
	      f->tier_until_ms == T0 + 100 * S && f->last_ms == T0 - 50 * S && f->detections == 5);
	CHECK(escalate_count(es, ENF_QUARANTINE) == 1);
	/* Its time ends as it did before the restart. */
	CHECK(escalate_expire(es, T0 + 100 * S, NULL, NULL) == 1);
	CHECK(escalate_find(es, AF_INET, h.addr)->tier == ENF_WATCH);

	/* Already over: ignored, 0. */
	v4(h.addr, "10.0.3.2");
	memset(h.addr + 4, 0, 12);
	h.tier_until_ms = T0;
	CHECK(escalate_restore(es, &h, T0) == 0);
	CHECK(escalate_find(es, AF_INET, h.addr) == NULL);

	/* Restored detections count from last_ms: two at T0 plus one more
	 * within the window throttle. */
	v4(h.addr, "10.0.3.3");
	memset(h.addr + 4, 0, 12);
	h.tier = ENF_WATCH;
	h.detections = 2;
	h.tier_until_ms = 0;
	h.last_ms = T0;
	CHECK(escalate_restore(es, &h, T0) == 0);
	CHECK(escalate_note(es, AF_INET, h.addr, T0 + 10 * S, &c) && c.host.tier == ENF_THROTTLE);
	/* ... but not once they aged out. */
	v4(h.addr, "10.0.3.4");
	memset(h.addr + 4, 0, 12);
	CHECK(escalate_restore(es, &h, T0) == 0);
	CHECK(!escalate_note(es, AF_INET, h.addr, T0 + 60 * S, &c));

	h.family = 99;
	CHECK(escalate_restore(es, &h, T0) == -1);
	h.family = AF_INET;
	h.tier = (enum enforce_tier)7;
	CHECK(escalate_restore(es, &h, T0) == -1);
	escalate_free(es);
}

static int count_cb(const struct escalate_host *h, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_capacity(void)
{
	struct escalate *es = escalate_new(4, &cfg);
	struct escalate_change c;
	struct escalate_host h = { 0 };
	uint8_t a[16];
	char s[32];
	int i, j, n;

	/* Three hosts quarantined, then WATCH hosts come and go in the last slot. */
	for (i = 1; i <= 3; i++) {
		snprintf(s, sizeof(s), "10.0.4.%d", i);
		v4(a, s);
		for (j = 0; j < 5; j++)
			escalate_note(es, AF_INET, a, T0 + (uint64_t)j, &c);
	}
	CHECK(escalate_count(es, ENF_QUARANTINE) == 3);
	for (i = 10; i < 20; i++) {
		snprintf(s, sizeof(s), "10.0.4.%d", i);
		v4(a, s);
		CHECK(!escalate_note(es, AF_INET, a, T0 + 100, &c));
		CHECK(escalate_find(es, AF_INET, a) != NULL);
	}
	/* Only the newest watch host is left; the tiered ones are all there. */
	n = 0;
	escalate_foreach(es, count_cb, &n);
	CHECK(n == 4);
	CHECK(escalate_count(es, ENF_WATCH) == 1);
	v4(a, "10.0.4.18");
	CHECK(escalate_find(es, AF_INET, a) == NULL);
	for (i = 1; i <= 3; i++) {
		snprintf(s, sizeof(s), "10.0.4.%d", i);
		v4(a, s);
		CHECK(escalate_find(es, AF_INET, a)->tier == ENF_QUARANTINE);
	}
	/* The fourth slot escalates too: the table is full of tiered hosts. */
	v4(a, "10.0.4.19");
	for (j = 0; j < 4; j++)
		escalate_note(es, AF_INET, a, T0 + 200 + (uint64_t)j, &c);
	CHECK(escalate_find(es, AF_INET, a)->tier == ENF_QUARANTINE);
	v4(a, "10.0.4.50");
	CHECK(!escalate_note(es, AF_INET, a, T0 + 300, &c));
	CHECK(escalate_find(es, AF_INET, a) == NULL);
	h.family = AF_INET;
	memcpy(h.addr, "\x0a\x00\x04\x33", 4);
	h.tier = ENF_THROTTLE;
	CHECK(escalate_restore(es, &h, T0) == -1);
	/* A timeout frees a slot for newcomers again. */
	CHECK(escalate_expire(es, T0 + 4000 * S, NULL, NULL) == 4);
	CHECK(escalate_note(es, AF_INET, a, T0 + 4001 * S, &c) == false);
	CHECK(escalate_find(es, AF_INET, a) != NULL);
	escalate_free(es);

	/* LRU: a host seen again is kept over one seen earlier. */
	es = escalate_new(2, &cfg);
	v4(a, "10.0.5.1");
	escalate_note(es, AF_INET, a, T0, &c);
	v4(a, "10.0.5.2");
	escalate_note(es, AF_INET, a, T0 + 1, &c);
	v4(a, "10.0.5.1");
	escalate_note(es, AF_INET, a, T0 + 2, &c);
	v4(a, "10.0.5.3");
	escalate_note(es, AF_INET, a, T0 + 3, &c);
	v4(a, "10.0.5.1");
	CHECK(escalate_find(es, AF_INET, a) && escalate_find(es, AF_INET, a)->detections == 2);
	v4(a, "10.0.5.2");
	CHECK(escalate_find(es, AF_INET, a) == NULL);
	escalate_free(es);

	CHECK(escalate_new(0, &cfg) == NULL);
}

static void test_ipv6(void)
{
	struct escalate *es = escalate_new(64, &cfg);
	struct escalate_change c;
	uint8_t a[16], b[16];
	int i;

	v6(a, "2001:db8::1");
	v6(b, "2001:db8::2");
	for (i = 0; i < 2; i++) {
		CHECK(!escalate_note(es, AF_INET6, a, T0 + (uint64_t)i, &c));
		CHECK(!escalate_note(es, AF_INET6, b, T0 + (uint64_t)i, &c));
	}
	CHECK(escalate_note(es, AF_INET6, a, T0 + 2, &c));
	CHECK(c.host.family == AF_INET6 && memcmp(c.host.addr, a, 16) == 0);
	CHECK(escalate_find(es, AF_INET6, b)->tier == ENF_WATCH);
	CHECK(escalate_find(es, AF_INET6, a)->tier == ENF_THROTTLE);
	/* 2001:db8:: starts with the bytes 32.1.13.184: not the same host. */
	CHECK(escalate_find(es, AF_INET, a) == NULL);
	CHECK(!escalate_note(es, 0, a, T0, &c));
	CHECK(escalate_release(es, AF_INET6, a, T0 + 5, &c) && c.host.family == AF_INET6);
	escalate_free(es);
}

int main(void)
{
	test_thresholds();
	test_window();
	test_direct_jump();
	test_timeouts();
	test_release();
	test_restore();
	test_capacity();
	test_ipv6();
	return UNIT_DONE();
}

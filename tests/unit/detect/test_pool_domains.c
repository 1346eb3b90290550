// SPDX-License-Identifier: GPL-2.0-or-later
/* Feed domains joined to the lists' pool domains: sources, duplicates across
 * feeds, corroboration, TTL, and what the engine does with a match (source in
 * the event, alert-only feeds, the allowlist winning). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "conf.h"
#include "domain_set.h"
#include "engine.h"
#include "pool_domains.h"
#include "pool_lists.h"
#include "unit.h"

/* ---- domain_set tags ------------------------------------------------------ */

struct seen {
	char names[8][260];
	uint32_t tags[8];
	unsigned int n;
};

static int collect(const char *name, uint32_t tag, void *arg)
{
	struct seen *s = arg;

	if (s->n == 8)
		return -1;
	snprintf(s->names[s->n], sizeof(s->names[s->n]), "%s", name);
	s->tags[s->n++] = tag;
	return 0;
}

static uint32_t tag_of(const struct domain_set *ds, const char *name)
{
	uint32_t tag = 0xdeadbeef;

	if (!domain_set_match_tag(ds, name, strlen(name), NULL, 0, &tag))
		return 0xffffffff;
	return tag;
}

static void test_tags(void)
{
	struct domain_set *ds = domain_set_new(), *copy = domain_set_new();
	struct seen s = { .n = 0 };
	char m[64];

	CHECK(domain_set_add_tag(ds, "*.Pool.Example", 0x4) == 0);
	CHECK(domain_set_add_tag(ds, "pool.example", 0x2) == 0);
	CHECK(domain_set_add_tag(ds, "pool.example", 0x8) == 0);
	CHECK(domain_set_add(ds, "plain.example") == 0);
	CHECK(domain_set_add_tag(ds, "bad..name", 0x1) == -1);
	CHECK(domain_set_count(ds) == 2);
	/* The apex carries only what named the apex; subdomains carry all. */
	CHECK(tag_of(ds, "pool.example") == 0xa);
	CHECK(tag_of(ds, "a.b.pool.example") == 0xe);
	CHECK(tag_of(ds, "plain.example") == 0);
	CHECK(tag_of(ds, "other.example") == 0xffffffff);
	CHECK(domain_set_match_tag(ds, "x.pool.example.", 15, m, sizeof(m), NULL) == 1);
	CHECK_STR(m, "pool.example");
	/* foreach gives back what rebuilds the same tags. */
	CHECK(domain_set_foreach(ds, collect, &s) == 0);
	CHECK(s.n == 3);
	CHECK_STR(s.names[0], "pool.example");
	CHECK(s.tags[0] == 0xa);
	CHECK_STR(s.names[1], "*.pool.example");
	CHECK(s.tags[1] == 0xe);
	CHECK_STR(s.names[2], "plain.example");
	for (unsigned int i = 0; i < s.n; i++)
		CHECK(domain_set_add_tag(copy, s.names[i], s.tags[i]) == 0);
	CHECK(tag_of(copy, "pool.example") == 0xa);
	CHECK(tag_of(copy, "w.pool.example") == 0xe);
	CHECK(tag_of(copy, "plain.example") == 0);
	domain_set_free(ds);
	domain_set_free(copy);
}

/* ---- the union -------------------------------------------------------------- */

static struct pool_domain dom(const char *name, uint64_t expires_ms)
{
	struct pool_domain d = { .expires_ms = expires_ms };

	snprintf(d.name, sizeof(d.name), "%s", name);
	return d;
}

static uint32_t pd_tag(const struct pool_domains *pd, const char *name)
{
	return tag_of(pd->set, name);
}

static void pd_src(const struct pool_domains *pd, const char *name, char *buf, size_t size)
{
	pool_domains_source(pd, pd_tag(pd, name), buf, size);
}

static void test_union(void)
{
	struct domain_set *lists = domain_set_new();
	/* Sorted by strcmp, as daemon_feeds hands them. */
	struct pool_domain a[] = { dom("feedpool.example", 0), dom("pool.lists.example", 0),
				   dom("shared.example", 0) };
	struct pool_domain b[] = { dom("onlyalert.example", 0), dom("shared.example", 0) };
	struct pool_domains_feed f[2] = {
		{ .name = "fa", .action = FEED_ACT_BLOCK, .v = a, .n = 3 },
		{ .name = "fb", .action = FEED_ACT_ALERT, .v = b, .n = 2 },
	};
	struct pool_domains *pd;
	char src[200];

	CHECK(domain_set_add(lists, "pool.lists.example") == 0);
	CHECK(domain_set_add(lists, "*.wild.example") == 0);
	pd = pool_domains_build(lists, f, 2, 0, 1000);
	CHECK(pd != NULL);
	if (!pd)
		goto out;
	/* One entry per name, however many sources list it. */
	CHECK(domain_set_count(pd->set) == 5);
	CHECK(pd_tag(pd, "x.feedpool.example") == (POOL_DOM_FEED(0) | POOL_DOM_BLOCK));
	CHECK(pd_tag(pd, "shared.example") == (POOL_DOM_FEED(0) | POOL_DOM_FEED(1) | POOL_DOM_BLOCK));
	CHECK(pd_tag(pd, "onlyalert.example") == POOL_DOM_FEED(1));
	CHECK(pd_tag(pd, "pool.lists.example") ==
	      (POOL_DOM_LIST | POOL_DOM_FEED(0) | POOL_DOM_BLOCK));
	CHECK(pd_tag(pd, "a.wild.example") == (POOL_DOM_LIST | POOL_DOM_BLOCK));
	CHECK(pd_tag(pd, "wild.example") == 0xffffffff);
	CHECK(pd_tag(pd, "benign.example") == 0xffffffff);
	pd_src(pd, "feedpool.example", src, sizeof(src));
	CHECK_STR(src, "feed:fa");
	pd_src(pd, "shared.example", src, sizeof(src));
	CHECK_STR(src, "feed:fa+feed:fb");
	pd_src(pd, "onlyalert.example", src, sizeof(src));
	CHECK_STR(src, "feed:fb");
	pd_src(pd, "pool.lists.example", src, sizeof(src));
	CHECK_STR(src, "list+feed:fa");
	pd_src(pd, "a.wild.example", src, sizeof(src));
	CHECK_STR(src, "list");
	CHECK(f[0].blocked == 3 && f[0].alerted == 0);
	CHECK(f[1].blocked == 0 && f[1].alerted == 2);
	/* A short buffer is cut, never overrun. */
	pool_domains_source(pd, POOL_DOM_FEED(0) | POOL_DOM_FEED(1), src, 6);
	CHECK_STR(src, "feed:");
	pool_domains_free(pd);

	/* Past POOL_DOM_SOURCES_SHOWN feeds the rest are counted, not named. */
	{
		struct pool_domain m[] = { dom("many.example", 0) };
		struct pool_domains_feed fm[5] = {
			{ .name = "f1", .action = FEED_ACT_BLOCK, .v = m, .n = 1 },
			{ .name = "f2", .action = FEED_ACT_BLOCK, .v = m, .n = 1 },
			{ .name = "f3", .action = FEED_ACT_BLOCK, .v = m, .n = 1 },
			{ .name = "f4", .action = FEED_ACT_BLOCK, .v = m, .n = 1 },
			{ .name = "f5", .action = FEED_ACT_BLOCK, .v = m, .n = 1 },
		};
		struct pool_domains *pm = pool_domains_build(NULL, fm, 5, 0, 1000);

		CHECK(pm != NULL);
		if (pm) {
			pd_src(pm, "many.example", src, sizeof(src));
			CHECK_STR(src, "feed:f1+feed:f2+feed:f3+2-more-feeds");
			pool_domains_free(pm);
		}
	}

	/* throttle is alert only. */
	f[1].action = FEED_ACT_THROTTLE;
	pd = pool_domains_build(NULL, f, 2, 0, 1000);
	CHECK(pd && pd_tag(pd, "onlyalert.example") == POOL_DOM_FEED(1));
	CHECK(f[1].alerted == 2 && f[1].blocked == 0);
	pool_domains_free(pd);
out:
	domain_set_free(lists);
}

static void test_corroborate(void)
{
	struct pool_domain a[] = { dom("one.example", 0), dom("two.example", 0) };
	struct pool_domain b[] = { dom("two.example", 5000) };
	struct pool_domain c[] = { dom("one.example", 0), dom("two.example", 0) };
	struct pool_domains_feed f[3] = {
		{ .name = "fa", .action = FEED_ACT_BLOCK, .v = a, .n = 2 },
		{ .name = "fb", .action = FEED_ACT_BLOCK, .v = b, .n = 1 },
		{ .name = "fc", .action = FEED_ACT_ALERT, .v = c, .n = 2 },
	};
	struct pool_domains *pd;

	/* k = 2: two.example is listed by fa and fb (and fc: alert feeds count
	 * as listing, their own action stays alert). */
	pd = pool_domains_build(NULL, f, 2, 2, 1000);
	CHECK(pd != NULL);
	CHECK(pd && pd_tag(pd, "two.example") ==
		    (POOL_DOM_FEED(0) | POOL_DOM_FEED(1) | POOL_DOM_BLOCK));
	CHECK(pd && pd_tag(pd, "one.example") == POOL_DOM_FEED(0));
	CHECK(f[0].blocked == 1 && f[0].alerted == 1);
	pool_domains_free(pd);
	/* k = 3 with the alert feed: two.example listed 3 times blocks in fa/fb. */
	pd = pool_domains_build(NULL, f, 3, 3, 1000);
	CHECK(pd && pd_tag(pd, "two.example") ==
		    (POOL_DOM_FEED(0) | POOL_DOM_FEED(1) | POOL_DOM_FEED(2) | POOL_DOM_BLOCK));
	CHECK(pd && pd_tag(pd, "one.example") == (POOL_DOM_FEED(0) | POOL_DOM_FEED(2)));
	CHECK(f[2].blocked == 0 && f[2].alerted == 2);
	pool_domains_free(pd);
	/* TTL: fb's entry has run out at 5000, so fa is alone again. */
	pd = pool_domains_build(NULL, f, 2, 2, 5000);
	CHECK(pd && pd_tag(pd, "two.example") == POOL_DOM_FEED(0));
	CHECK(f[1].blocked == 0 && f[1].alerted == 0);
	pool_domains_free(pd);
	/* Without corroboration the expired entry is simply gone. */
	pd = pool_domains_build(NULL, f + 1, 1, 0, 4999);
	CHECK(pd && pd_tag(pd, "two.example") == (POOL_DOM_FEED(0) | POOL_DOM_BLOCK));
	pool_domains_free(pd);
	pd = pool_domains_build(NULL, f + 1, 1, 0, 5000);
	CHECK(pd && pd_tag(pd, "two.example") == 0xffffffff);
	CHECK(pd && domain_set_count(pd->set) == 0);
	pool_domains_free(pd);
	CHECK(pool_domains_build(NULL, f, CONF_MAX_FEEDS + 1, 0, 0) == NULL);
}

/* ---- the engine ------------------------------------------------------------- */

struct got {
	unsigned int n;
	enum conf_action action;
	bool allowlisted;
	unsigned int learned;
	char detail[1600];
};

static void on_event(void *arg, const struct mw_event *ev)
{
	struct got *g = arg;

	if (ev->type != EVENT_MINING)
		return;
	g->n++;
	g->action = ev->action;
	g->allowlisted = ev->allowlisted;
	g->learned = ev->learned;
	snprintf(g->detail, sizeof(g->detail), "%s", ev->detail ? ev->detail : "");
}

/* IPv4 UDP 10.0.0.1:40000+sport -> 10.0.0.2:53, a DNS query for name (A). */
static size_t dns_query(uint8_t *p, size_t size, const char *name, uint16_t sport)
{
	size_t o = 28 + 12, len;
	const char *s = name;

	memset(p, 0, size);
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		p[o++] = (uint8_t)l;
		memcpy(p + o, s, l);
		o += l;
		s += l + (dot ? 1 : 0);
	}
	p[o++] = 0;
	p[o++] = 0, p[o++] = 1, p[o++] = 0, p[o++] = 1;
	len = o;
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8), p[3] = (uint8_t)len;
	p[8] = 64, p[9] = 17;
	p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
	p[20] = 0x9c, p[21] = (uint8_t)(0x40 + sport), p[23] = 53;
	p[24] = (uint8_t)((len - 20) >> 8), p[25] = (uint8_t)(len - 20);
	p[28] = 0x12, p[29] = 0x34, p[30] = 0x01;	/* id, RD */
	p[33] = 1;					/* one question */
	return len;
}

/* One query for name through an engine using pd (or the lists only). */
static void judge(struct engine *e, const char *name, uint16_t sport, struct got *g,
		  struct queue_verdict *v)
{
	uint8_t pkt[300];
	size_t len = dns_query(pkt, sizeof(pkt), name, sport);
	struct timeval ts = { 1, 0 };

	memset(g, 0, sizeof(*g));
	engine_packet(e, pkt, len, 0, 1000 + sport, &ts, v);
}

static void test_engine(void)
{
	struct mw_conf *c = NULL;
	struct pool_lists *pl = NULL;
	struct engine *e = NULL;
	struct domain_set *allow = domain_set_new();
	struct pool_domain a[] = { dom("feedpool.example", 0) };
	struct pool_domain b[] = { dom("alertpool.example", 0) };
	struct pool_domains_feed f[2] = {
		{ .name = "fa", .action = FEED_ACT_BLOCK, .v = a, .n = 1 },
		{ .name = "fb", .action = FEED_ACT_ALERT, .v = b, .n = 1 },
	};
	struct pool_domains *pd = NULL;
	struct queue_verdict v;
	struct got g;

	CHECK(conf_load_string("detect = { blocklists = { domains = [ ]; endpoints = [ ]; "
			       "ports = [ ]; }; actions = { dns = \"reject\"; }; };\n",
			       "/nonexistent/x.conf", &c, stderr) == 0);
	if (!c)
		goto out;
	pl = pool_lists_load(c, stderr);
	CHECK(pl != NULL);
	if (!pl)
		goto out;
	e = engine_new(c, pl, on_event, &g);
	pd = pool_domains_build(pl->domains, f, 2, 0, 0);
	CHECK(e && pd);
	if (!e || !pd)
		goto out;

	/* The lists alone do not know the feed's domain. */
	judge(e, "feedpool.example", 0, &g, &v);
	CHECK(g.n == 0);
	CHECK(v.action == QV_ACCEPT);

	engine_set_pool_domains(e, pd);
	/* A block feed's domain: blocked by the detector's action, the event
	 * names the feed. */
	judge(e, "www.feedpool.example", 1, &g, &v);
	CHECK(g.n == 1);
	CHECK(g.action == ACT_REJECT);
	CHECK(!g.allowlisted);
	CHECK_STR(g.detail, "query=www.feedpool.example source=feed:fa");
	CHECK(v.action != QV_ACCEPT);
	/* An alert feed's domain: reported, not blocked. */
	judge(e, "alertpool.example", 2, &g, &v);
	CHECK(g.n == 1);
	CHECK(g.action == ACT_ALERT);
	CHECK_STR(g.detail, "query=alertpool.example source=feed:fb");
	CHECK(v.action == QV_ACCEPT);
	/* Other names stay clean. */
	judge(e, "benign.example", 3, &g, &v);
	CHECK(g.n == 0);
	/* The allowlist wins over a block feed. */
	CHECK(domain_set_add(allow, "feedpool.example") == 0);
	engine_set_allow(e, NULL, allow);
	judge(e, "feedpool.example", 4, &g, &v);
	CHECK(g.n == 1);
	CHECK(g.action == ACT_ALERT);
	CHECK(g.allowlisted);
	CHECK(v.action == QV_ACCEPT);
	engine_set_allow(e, NULL, NULL);
	/* Back to the lists alone (a feed version without the domain). */
	engine_set_pool_domains(e, NULL);
	judge(e, "feedpool.example", 5, &g, &v);
	CHECK(g.n == 0);
	CHECK(v.action == QV_ACCEPT);
out:
	engine_free(e);
	pool_domains_free(pd);
	domain_set_free(allow);
	pool_lists_free(pl);
	conf_free(c);
}

int main(void)
{
	test_tags();
	test_union();
	test_corroborate();
	test_engine();
	return UNIT_DONE();
}

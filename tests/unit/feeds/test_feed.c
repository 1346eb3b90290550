// SPDX-License-Identifier: GPL-2.0-or-later
/* Feed format, verification and every rejection of the acceptance policy. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <sodium.h>

#include "feed.h"
#include "feed_text.h"
#include "unit.h"

#define T0 1767225600	/* 2026-01-01T00:00:00Z */

static struct minisign_pubkey pk, pk2;
static struct minisign_seckey sk, sk2;
static struct feed_limits lim;

static const char good[] =
	"minewall-feed 1\n"
	"provider isp-a\n"
	"kind snapshot\n"
	"serial 7\n"
	"issued 2026-01-01T00:00:00Z\n"
	"expires 2026-01-02T00:00:00Z\n"
	"entries 4\n"
	"\n"
	"add ip 198.51.100.7 3600 stratum login seen\n"
	"add cidr 203.0.113.0/24 86400\n"
	"add ip:port [2001:db8::1]:3333 600 pool\n"
	"add domain pool.example.net 86400 pool\n";

static enum feed_verdict parse(const char *s, struct feed *f, char *err)
{
	return feed_parse((const uint8_t *)s, strlen(s), &lim, f, err, 200);
}

/* good with line `line` (1-based) replaced by repl (NULL: removed). */
static void with_line(char *out, size_t outsize, unsigned int line, const char *repl)
{
	const char *p = good;
	unsigned int n = 1;
	size_t pos = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');

		if (n == line) {
			if (repl)
				pos += (size_t)snprintf(out + pos, outsize - pos, "%s\n", repl);
		} else {
			pos += (size_t)snprintf(out + pos, outsize - pos, "%.*s", (int)(nl - p + 1), p);
		}
		p = nl + 1;
		n++;
	}
}

static void test_parse_good(void)
{
	struct feed f;
	char err[200];

	CHECK(parse(good, &f, err) == FEED_OK);
	CHECK_STR(f.provider, "isp-a");
	CHECK(f.kind == FEED_SNAPSHOT && f.serial == 7 && f.base == 0);
	CHECK(f.issued == T0 && f.expires == T0 + 86400);
	CHECK(f.n_entries == 4 && f.announced == 4);
	CHECK(f.entries[0].type == FEED_T_IP && f.entries[0].ttl == 3600);
	CHECK_STR(f.entries[0].reason, "stratum login seen");
	CHECK(f.entries[0].ep.family == AF_INET && f.entries[0].ep.plen == 32);
	CHECK(f.entries[1].ep.plen == 24 && f.entries[1].reason[0] == '\0');
	CHECK(f.entries[2].ep.family == AF_INET6 && f.entries[2].ep.port == 3333);
	CHECK_STR(f.entries[3].value, "pool.example.net");
	CHECK(!f.verified);
	feed_fini(&f);
}

struct bad_case {
	unsigned int line;
	const char *repl;
	enum feed_verdict v;
	const char *err;
};

static void test_parse_malformed(void)
{
	static const struct bad_case cases[] = {
		{ 1, "minewall-feed 2", FEED_E_MALFORMED, "line 1: expected \"minewall-feed 1\"" },
		{ 2, "provider bad/name", FEED_E_MALFORMED, "line 2: provider must be 1-63 of [A-Za-z0-9._-]" },
		{ 2, "provider", FEED_E_MALFORMED, "line 2: expected \"provider ...\"" },
		{ 3, "kind full", FEED_E_MALFORMED, "line 3: kind must be \"snapshot\" or \"delta\"" },
		{ 4, "serial 07", FEED_E_MALFORMED, "line 4: serial must be a decimal number" },
		{ 4, "serial 18446744073709551616", FEED_E_MALFORMED, "line 4: serial must be a decimal number" },
		{ 5, "issued 2026-02-30T00:00:00Z", FEED_E_MALFORMED, "line 5: issued must be YYYY-MM-DDTHH:MM:SSZ" },
		{ 6, "expires 2026-01-02 00:00:00", FEED_E_MALFORMED, "line 6: expires must be YYYY-MM-DDTHH:MM:SSZ" },
		{ 6, "expires 2025-12-31T00:00:00Z", FEED_E_MALFORMED, "line 6: expires must be later than issued" },
		{ 7, "entries x", FEED_E_MALFORMED, "line 7: entries must be a decimal number" },
		{ 7, "entries 5", FEED_E_COUNT, "line 13: 4 entries, 5 announced" },
		{ 7, "entries 3", FEED_E_COUNT, "line 12: more entries than the 3 announced" },
		{ 7, "entries 1000001", FEED_E_COUNT, "line 7: 1000001 entries announced, the limit is 1000000" },
		{ 8, "x", FEED_E_MALFORMED, "line 8: expected an empty line after the header" },
		{ 9, "add ip 198.51.100.7", FEED_E_MALFORMED, "line 9: expected \"add|del TYPE VALUE TTL [REASON]\"" },
		{ 9, "add  ip 198.51.100.7 1", FEED_E_MALFORMED, "line 9: expected \"add|del TYPE VALUE TTL [REASON]\"" },
		{ 9, "del ip 198.51.100.7 1", FEED_E_MALFORMED, "line 9: a snapshot only has \"add\" entries" },
		{ 9, "add host 198.51.100.7 1", FEED_E_MALFORMED, "line 9: unknown type \"host\" (ip, cidr, ip:port, domain)" },
		{ 9, "add ip 198.51.100.300 1", FEED_E_MALFORMED, "line 9: invalid IPv4 address \"198.51.100.300\"" },
		{ 9, "add ip 198.51.100.7:80 1", FEED_E_MALFORMED, "line 9: type ip takes a bare address, not \"198.51.100.7:80\"" },
		{ 9, "add ip 198.51.100.7 -1", FEED_E_MALFORMED, "line 9: TTL must be a decimal number of seconds" },
		{ 9, "add ip 198.51.100.7 1 ", FEED_E_MALFORMED, "line 9: reason must be 1-127 bytes of text" },
		{ 9, "add ip 198.51.100.7 1\tx", FEED_E_MALFORMED, "line 9: control character (CR, TAB, NUL...) in the line" },
		{ 10, "add cidr 203.0.113.1/24 1", FEED_E_MALFORMED, "line 10: address \"203.0.113.1\" has bits set beyond /24" },
		{ 10, "add cidr 203.0.113.0 1", FEED_E_MALFORMED, "line 10: type cidr takes address/length, not \"203.0.113.0\"" },
		{ 11, "add ip:port [2001:DB8::1]:3333 1", FEED_E_MALFORMED, "line 11: \"[2001:DB8::1]:3333\" is not canonical (write \"[2001:db8::1]:3333\")" },
		{ 11, "add ip:port [2001:db8::1]:0 1", FEED_E_MALFORMED, "line 11: invalid port \"0\" (expected 1-65535)" },
		{ 12, "add domain Pool.example.net 1", FEED_E_MALFORMED, "line 12: invalid domain name \"Pool.example.net\"" },
		{ 12, "add domain -pool.example.net 1", FEED_E_MALFORMED, "line 12: invalid domain name \"-pool.example.net\"" },
		{ 12, "add domain a..b 1", FEED_E_MALFORMED, "line 12: invalid domain name \"a..b\"" },
		{ 12, "add ip 198.51.100.6 1", FEED_E_MALFORMED, "line 12: entry out of order or duplicated (sorted by type, then value)" },
		{ 12, "add domain pool.example.net 1\r", FEED_E_MALFORMED, "line 12: control character (CR, TAB, NUL...) in the line" },
	};
	char buf[2048], err[200];
	struct feed f;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum feed_verdict v;

		with_line(buf, sizeof(buf), cases[i].line, cases[i].repl);
		v = parse(buf, &f, err);
		CHECK(v == cases[i].v);
		if (strcmp(err, cases[i].err) != 0 || v != cases[i].v)
			fprintf(stderr, "case %zu: got %d \"%s\"\n", i, v, err);
		CHECK_STR(err, cases[i].err);
		CHECK(f.entries == NULL);
	}
	/* Missing final newline, long line, size limit. */
	snprintf(buf, sizeof(buf), "%.*s", (int)strlen(good) - 1, good);
	CHECK(parse(buf, &f, err) == FEED_E_MALFORMED);
	CHECK_STR(err, "line 12: missing newline at the end of the file");
	lim.max_line = 30;
	CHECK(parse(good, &f, err) == FEED_E_MALFORMED);
	CHECK_STR(err, "line 9: line too long");
	lim.max_line = 1024;
	lim.max_size = 100;
	CHECK(parse(good, &f, err) == FEED_E_SIZE);
	feed_limits_default(&lim);
	CHECK(parse("", &f, err) == FEED_E_MALFORMED);
	CHECK_STR(err, "line 1: expected \"minewall-feed 1\"");
	/* A body with no NUL escapes the line reader. */
	memcpy(buf, good, sizeof(good));
	buf[strlen("minewall-feed 1\nprovider isp-a\nkind snapshot\nserial 7\nissued 2026-01-01T00:00:00Z\n"
		   "expires 2026-01-02T00:00:00Z\nentries 4\n\nadd ip 1")] = '\0';
	CHECK(feed_parse((const uint8_t *)buf, sizeof(good) - 1, &lim, &f, err, sizeof(err)) == FEED_E_MALFORMED);
	CHECK_STR(err, "line 9: control character (CR, TAB, NUL...) in the line");
}

/* A signed feed in body/sig buffers. */
static void make_signed(const struct feed_entry *e, size_t n, uint64_t serial, int64_t issued,
			char **body, size_t *blen, char **sig)
{
	struct feed f;
	char err[200];

	CHECK(feed_build_snapshot(&f, "isp-a", serial, issued, issued + 86400, e, n, err, sizeof(err)) == 0);
	CHECK(feed_write(&f, body, blen) == 0);
	CHECK(feed_sign((const uint8_t *)*body, *blen, &sk, sig, err, sizeof(err)) == 0);
	feed_fini(&f);
}

static enum feed_verdict verify(const char *body, size_t blen, const char *sig, struct feed *f, char *err)
{
	struct minisign_pubkey keys[2] = { pk2, pk };

	return feed_verify((const uint8_t *)body, blen, sig, strlen(sig), keys, 2, &lim, f, err, 300);
}

static void entries(struct feed_entry *e)
{
	char err[200];

	CHECK(feed_entry_set(&e[0], FEED_ADD, NULL, "pool.Example.NET.", 3600, "pool", err, sizeof(err)) == 0);
	CHECK_STR(e[0].value, "pool.example.net");
	CHECK(e[0].type == FEED_T_DOMAIN);
	CHECK(feed_entry_set(&e[1], FEED_ADD, NULL, "2001:DB8::0:1", 3600, NULL, err, sizeof(err)) == 0);
	CHECK_STR(e[1].value, "2001:db8::1");
	CHECK(e[1].type == FEED_T_IP);
	CHECK(feed_entry_set(&e[2], FEED_ADD, NULL, "198.51.100.9:3333", 100, "x", err, sizeof(err)) == 0);
	CHECK(e[2].type == FEED_T_IPPORT);
	CHECK(feed_entry_set(&e[3], FEED_ADD, NULL, "203.0.113.0/24", 100, "", err, sizeof(err)) == 0);
	CHECK(e[3].type == FEED_T_CIDR);
	/* Duplicate of e[0] with a longer TTL: the build keeps this one. */
	CHECK(feed_entry_set(&e[4], FEED_ADD, "domain", "pool.example.net", 7200, "pool", err, sizeof(err)) == 0);
	CHECK(feed_entry_set(&e[5], FEED_ADD, "ip", "203.0.113.0/24", 1, NULL, err, sizeof(err)) == -1);
	CHECK_STR(err, "type ip takes a bare address, not \"203.0.113.0/24\"");
	CHECK(feed_entry_set(&e[5], FEED_ADD, "dns", "x.example", 1, NULL, err, sizeof(err)) == -1);
	CHECK(feed_entry_set(&e[5], FEED_ADD, NULL, "x.example", 1, "bad\x01", err, sizeof(err)) == -1);
}

static void test_build_verify(void)
{
	struct feed_entry e[6];
	struct feed f;
	char *body, *sig, *sig2, err[300];
	size_t blen;

	entries(e);
	make_signed(e, 5, 7, T0, &body, &blen, &sig);
	CHECK(verify(body, blen, sig, &f, err) == FEED_OK);
	CHECK(f.verified && f.n_entries == 4);
	CHECK(memcmp(f.keyid, pk.keyid, 8) == 0);
	CHECK(f.entries[3].type == FEED_T_DOMAIN && f.entries[3].ttl == 7200);
	feed_fini(&f);

	/* Tampered body: one byte of an address. */
	{
		char *p = strstr(body, "203.0.113.0");

		p[0] = '1';
		CHECK(verify(body, blen, sig, &f, err) == FEED_E_SIGNATURE);
		CHECK_STR(err, "signature verification failed");
		p[0] = '2';
	}
	/* Tampered trusted comment (no re-signing). */
	{
		char *p = strstr(sig, "serial=7");

		p[7] = '8';
		CHECK(verify(body, blen, sig, &f, err) == FEED_E_SIGNATURE);
		CHECK_STR(err, "trusted comment signature verification failed");
		p[7] = '7';
	}
	/* A correctly signed trusted comment that is not the header's. */
	CHECK(minisign_sign(&sk, (const uint8_t *)body, blen, "minewall-feed 1 provider=isp-a "
			    "kind=snapshot serial=8", NULL, false, &sig2, err, sizeof(err)) == 0);
	CHECK(verify(body, blen, sig2, &f, err) == FEED_E_COMMENT);
	free(sig2);
	/* Wrong key: signed by a key we do not pin. */
	{
		struct minisign_pubkey other;
		struct minisign_seckey osk;

		CHECK(minisign_keygen(&other, &osk) == 0);
		CHECK(feed_sign((const uint8_t *)body, blen, &osk, &sig2, err, sizeof(err)) == 0);
		CHECK(verify(body, blen, sig2, &f, err) == FEED_E_KEY_UNPINNED);
		CHECK(strstr(err, "which is not pinned") != NULL);
		/* Same key id as ours, other key: the signature fails. */
		memcpy(osk.keyid, sk.keyid, 8);
		free(sig2);
		CHECK(feed_sign((const uint8_t *)body, blen, &osk, &sig2, err, sizeof(err)) == 0);
		CHECK(verify(body, blen, sig2, &f, err) == FEED_E_SIGNATURE);
		free(sig2);
	}
	/* Legacy signature with the right trusted comment. */
	{
		char tc[512];
		struct feed g;

		CHECK(parse(body, &g, err) == FEED_OK);
		CHECK(feed_trusted_comment(&g, tc, sizeof(tc)) == 0);
		feed_fini(&g);
		CHECK(minisign_sign(&sk, (const uint8_t *)body, blen, tc, NULL, true, &sig2, err,
				    sizeof(err)) == 0);
		CHECK(verify(body, blen, sig2, &f, err) == FEED_E_LEGACY);
		free(sig2);
	}
	/* Oversized: refused before any crypto. */
	lim.max_size = blen - 1;
	CHECK(verify(body, blen, sig, &f, err) == FEED_E_SIZE);
	feed_limits_default(&lim);
	/* Garbage signature file. */
	CHECK(verify(body, blen, "untrusted comment: x\n", &f, err) == FEED_E_SIGNATURE);
	CHECK(strncmp(err, "line 2:", 7) == 0);
	free(body);
	free(sig);
}

/* A verified feed built directly (policy tests do not need real signatures). */
static void policy_feed(struct feed *f, const char *const *vals, size_t n, uint64_t serial,
			int64_t issued, int64_t validity)
{
	struct feed_entry e[8];
	char err[200], *body;
	size_t i, blen;

	for (i = 0; i < n; i++)
		CHECK(feed_entry_set(&e[i], FEED_ADD, NULL, vals[i], 3600, NULL, err, sizeof(err)) == 0);
	CHECK(feed_build_snapshot(f, "isp-a", serial, issued, issued + validity, e, n, err, sizeof(err)) == 0);
	CHECK(feed_write(f, &body, &blen) == 0);
	free(body);
	f->verified = true;
}

static void test_accept(void)
{
	static const char *const ok_vals[] = { "198.51.100.7", "203.0.113.0/24", "pool.example.net" };
	struct feed_policy pol;
	struct feed_state st;
	struct ep_entry prot[2];
	struct feed f, g;
	char reason[200], err[100];

	feed_policy_default(&pol);
	memset(&st, 0, sizeof(st));

	/* First snapshot. */
	policy_feed(&f, ok_vals, 3, 10, T0, 86400);
	CHECK(feed_accept(NULL, &f, &pol, T0 + 10, reason, sizeof(reason)) == FEED_OK);
	CHECK(feed_accept(&st, &f, &pol, T0 + 10, reason, sizeof(reason)) == FEED_OK);
	feed_state_update(&st, &f);
	CHECK(st.have && st.serial == 10);

	/* Not verified. */
	f.verified = false;
	CHECK(feed_accept(NULL, &f, &pol, T0, reason, sizeof(reason)) == FEED_E_SIGNATURE);
	f.verified = true;
	/* Same serial, same content: unchanged. */
	CHECK(feed_accept(&st, &f, &pol, T0 + 10, reason, sizeof(reason)) == FEED_UNCHANGED);
	/* Provider: policy and state. */
	pol.provider = "isp-b";
	CHECK(feed_accept(&st, &f, &pol, T0 + 10, reason, sizeof(reason)) == FEED_E_PROVIDER);
	pol.provider = NULL;
	memcpy(st.provider, "isp-b", 6);
	CHECK(feed_accept(&st, &f, &pol, T0 + 10, reason, sizeof(reason)) == FEED_E_PROVIDER);
	memcpy(st.provider, "isp-a", 6);
	feed_fini(&f);

	/* Same serial, other content. */
	policy_feed(&f, ok_vals, 2, 10, T0, 86400);
	CHECK(feed_accept(&st, &f, &pol, T0 + 10, reason, sizeof(reason)) == FEED_E_CONFLICT);
	CHECK_STR(reason, "serial 10 already applied with other content");
	feed_fini(&f);
	/* Rollback, even when the old feed is still valid. */
	policy_feed(&f, ok_vals, 3, 9, T0, 86400);
	CHECK(feed_accept(&st, &f, &pol, T0 + 10, reason, sizeof(reason)) == FEED_E_ROLLBACK);
	CHECK_STR(reason, "serial 9 is lower than the applied 10");
	feed_fini(&f);
	/* Expired, future, too long a validity. */
	policy_feed(&f, ok_vals, 3, 11, T0, 86400);
	CHECK(feed_accept(&st, &f, &pol, T0 + 86400, reason, sizeof(reason)) == FEED_E_EXPIRED);
	CHECK_STR(reason, "expired 0 seconds ago");
	CHECK(feed_accept(&st, &f, &pol, T0 - 301, reason, sizeof(reason)) == FEED_E_FUTURE);
	CHECK(feed_accept(&st, &f, &pol, T0 - 300, reason, sizeof(reason)) == FEED_OK);
	feed_fini(&f);
	policy_feed(&f, ok_vals, 3, 11, T0, 8 * 86400);
	CHECK(feed_accept(&st, &f, &pol, T0, reason, sizeof(reason)) == FEED_E_EXPIRED);
	CHECK_STR(reason, "valid for 691200 seconds, policy allows 604800");
	feed_fini(&f);

	/* Broad prefixes and single-label names. */
	{
		static const char *const b4[] = { "10.0.0.0/7" }, *const ok4[] = { "10.0.0.0/8" };
		static const char *const b6[] = { "2000::/31" }, *const tld[] = { "com" };

		policy_feed(&f, b4, 1, 11, T0, 3600);
		CHECK(feed_accept(&st, &f, &pol, T0, reason, sizeof(reason)) == FEED_E_BROAD);
		CHECK_STR(reason, "prefix 10.0.0.0/7 is broader than /8");
		feed_fini(&f);
		policy_feed(&f, ok4, 1, 11, T0, 3600);
		CHECK(feed_accept(&st, &f, &pol, T0, reason, sizeof(reason)) == FEED_OK);
		feed_fini(&f);
		policy_feed(&f, b6, 1, 11, T0, 3600);
		CHECK(feed_accept(&st, &f, &pol, T0, reason, sizeof(reason)) == FEED_E_BROAD);
		feed_fini(&f);
		policy_feed(&f, tld, 1, 11, T0, 3600);
		CHECK(feed_accept(&st, &f, &pol, T0, reason, sizeof(reason)) == FEED_E_BROAD);
		feed_fini(&f);
	}
	/* Protected ranges: inside, covering, and an ip:port on a protected host. */
	{
		static const char *const in[] = { "192.0.2.53" }, *const cover[] = { "192.0.0.0/16" };
		static const char *const port[] = { "[2001:db8:53::1]:53" }, *const next[] = { "192.0.3.1" };
		struct feed_entry pe;

		CHECK(feed_entry_set(&pe, FEED_ADD, NULL, "192.0.2.0/24", 0, NULL, err, sizeof(err)) == 0);
		prot[0] = pe.ep;
		CHECK(feed_entry_set(&pe, FEED_ADD, NULL, "2001:db8:53::1", 0, NULL, err, sizeof(err)) == 0);
		prot[1] = pe.ep;
		pol.protect = prot;
		pol.n_protect = 2;
		policy_feed(&f, in, 1, 11, T0, 3600);
		CHECK(feed_accept(&st, &f, &pol, T0, reason, sizeof(reason)) == FEED_E_PROTECTED);
		CHECK_STR(reason, "ip 192.0.2.53 overlaps a protected range");
		feed_fini(&f);
		policy_feed(&f, cover, 1, 11, T0, 3600);
		CHECK(feed_accept(&st, &f, &pol, T0, reason, sizeof(reason)) == FEED_E_PROTECTED);
		feed_fini(&f);
		policy_feed(&f, port, 1, 11, T0, 3600);
		CHECK(feed_accept(&st, &f, &pol, T0, reason, sizeof(reason)) == FEED_E_PROTECTED);
		feed_fini(&f);
		policy_feed(&f, next, 1, 11, T0, 3600);
		CHECK(feed_accept(&st, &f, &pol, T0, reason, sizeof(reason)) == FEED_OK);
		feed_fini(&f);
		pol.n_protect = 0;
	}
	/* TTLs are clamped, not rejected. */
	policy_feed(&f, ok_vals, 3, 11, T0, 3600);
	f.entries[0].ttl = 1;
	f.entries[1].ttl = 1ULL << 40;
	CHECK(feed_accept(&st, &f, &pol, T0, reason, sizeof(reason)) == FEED_OK);
	CHECK(f.clamped == 2 && f.entries[0].ttl == 60 && f.entries[1].ttl == 7 * 86400);
	CHECK(f.entries[2].ttl == 3600);
	CHECK_STR(reason, "accepted, 2 TTLs clamped");
	/* Entry count that disagrees with the header (a caller-built feed). */
	f.announced = 4;
	CHECK(feed_accept(&st, &f, &pol, T0, reason, sizeof(reason)) == FEED_E_COUNT);
	f.announced = 3;

	/* Deltas: base must be our serial. */
	{
		static const char *const nv[] = { "198.51.100.8", "203.0.113.0/24", "pool.example.net" };
		char *body;
		size_t blen;
		struct feed d, back;

		feed_fini(&f);
		policy_feed(&f, ok_vals, 3, 10, T0, 86400);
		policy_feed(&g, nv, 3, 12, T0 + 60, 86400);
		CHECK(feed_build_delta(&d, &f, &g, err, sizeof(err)) == 0);
		CHECK(d.kind == FEED_DELTA && d.base == 10 && d.serial == 12 && d.n_entries == 2);
		CHECK(d.entries[0].op == FEED_DEL && strcmp(d.entries[0].value, "198.51.100.7") == 0);
		CHECK(d.entries[1].op == FEED_ADD && strcmp(d.entries[1].value, "198.51.100.8") == 0);
		CHECK(feed_write(&d, &body, &blen) == 0);
		CHECK(strstr(body, "kind delta\nserial 12\nbase 10\n") != NULL);
		CHECK(strstr(body, "\ndel ip 198.51.100.7 0\nadd ip 198.51.100.8 3600\n") != NULL);
		CHECK(feed_parse((const uint8_t *)body, blen, &lim, &back, err, sizeof(err)) == FEED_OK);
		CHECK(back.kind == FEED_DELTA && back.base == 10 && back.n_entries == 2);
		CHECK(memcmp(back.hash, d.hash, FEED_HASH_BYTES) == 0);
		feed_fini(&back);
		free(body);
		d.verified = true;
		CHECK(feed_accept(&st, &d, &pol, T0 + 60, reason, sizeof(reason)) == FEED_OK);
		st.serial = 11;
		CHECK(feed_accept(&st, &d, &pol, T0 + 60, reason, sizeof(reason)) == FEED_E_BASE);
		CHECK_STR(reason, "delta on serial 10, ours is 11");
		CHECK(feed_accept(NULL, &d, &pol, T0 + 60, reason, sizeof(reason)) == FEED_E_BASE);
		/* Wrong order for a delta. */
		CHECK(feed_build_delta(&back, &g, &f, err, sizeof(err)) == -1);
		feed_fini(&d);
		feed_fini(&g);
	}
	feed_fini(&f);
}

static void test_state(void)
{
	struct feed_state st, back;
	char text[300], err[200];

	memset(&st, 0, sizeof(st));
	CHECK(feed_state_format(&st, text, sizeof(text)) == -1);
	st.have = true;
	memcpy(st.provider, "isp-a", 6);
	st.serial = 42;
	st.expires = T0;
	memset(st.hash, 0xab, sizeof(st.hash));
	CHECK(feed_state_format(&st, text, sizeof(text)) == 0);
	CHECK(strncmp(text, "minewall-feed-state 1 provider=isp-a serial=42 kind=snapshot "
		      "expires=2026-01-01T00:00:00Z blake2b=abab", 99) == 0);
	CHECK(feed_state_parse(text, strlen(text), &back, err, sizeof(err)) == 0);
	CHECK(memcmp(&st, &back, sizeof(st)) == 0);
	/* A delta's serial says so; a line written before deltas were fetched is a snapshot's. */
	st.kind = FEED_DELTA;
	CHECK(feed_state_format(&st, text, sizeof(text)) == 0 && strstr(text, " kind=delta ") != NULL);
	CHECK(feed_state_parse(text, strlen(text), &back, err, sizeof(err)) == 0);
	CHECK(memcmp(&st, &back, sizeof(st)) == 0);
	{
		char old[300];

		snprintf(old, sizeof(old), "minewall-feed-state 1 provider=isp-a serial=42 "
			 "expires=2026-01-01T00:00:00Z blake2b=%s", strstr(text, "blake2b=") + 8);
		CHECK(feed_state_parse(old, strlen(old), &back, err, sizeof(err)) == 0);
		CHECK(back.serial == 42 && back.kind == FEED_SNAPSHOT);
		memcpy(strstr(text, "kind=delta"), "kind=delty", 10);
		CHECK(feed_state_parse(text, strlen(text), &back, err, sizeof(err)) == -1);
		st.kind = FEED_SNAPSHOT;
		CHECK(feed_state_format(&st, text, sizeof(text)) == 0);
	}
	text[strlen(text) - 2] = 'X';
	CHECK(feed_state_parse(text, strlen(text), &back, err, sizeof(err)) == -1);
	CHECK(!back.have);
	CHECK(feed_state_parse("minewall-feed-state 1 provider=a\n", 33, &back, err, sizeof(err)) == -1);
}

static void test_keys(void)
{
	struct feed_keys k, back;
	struct minisign_pubkey pinned[1] = { pk };
	char *body, *sig, err[300];
	size_t blen;

	memset(&k, 0, sizeof(k));
	memcpy(k.provider, "isp-a", 6);
	k.serial = 3;
	k.issued = T0;
	k.expires = T0 + 30 * 86400;
	k.current = pk;
	k.next = pk2;
	k.has_next = true;
	CHECK(feed_keys_write(&k, &body, &blen) == 0);
	CHECK(strncmp(body, "minewall-feed-keys 1\nprovider isp-a\nserial 3\n", 45) == 0);
	CHECK(feed_keys_parse((const uint8_t *)body, blen, &back, err, sizeof(err)) == FEED_OK);
	CHECK(back.has_next && memcmp(&back.next, &pk2, sizeof(pk2)) == 0);
	/* Signed by the current key: pinned current verifies, and learns next. */
	CHECK(feed_keys_sign((const uint8_t *)body, blen, &sk, &sig, err, sizeof(err)) == 0);
	CHECK(feed_keys_verify((const uint8_t *)body, blen, sig, strlen(sig), pinned, 1, T0, &back,
			       err, sizeof(err)) == FEED_OK);
	CHECK(back.verified && memcmp(&back.next, &pk2, sizeof(pk2)) == 0);
	CHECK(feed_keys_verify((const uint8_t *)body, blen, sig, strlen(sig), pinned, 1,
			       T0 + 30 * 86400, &back, err, sizeof(err)) == FEED_E_EXPIRED);
	free(sig);
	/* The next key may not sign a document naming another current key. */
	CHECK(feed_keys_sign((const uint8_t *)body, blen, &sk2, &sig, err, sizeof(err)) == -1);
	{
		char tc[512];

		CHECK(feed_keys_parse((const uint8_t *)body, blen, &back, err, sizeof(err)) == FEED_OK);
		CHECK(feed_keys_trusted_comment(&back, tc, sizeof(tc)) == 0);
		CHECK(minisign_sign(&sk2, (const uint8_t *)body, blen, tc, NULL, false, &sig, err,
				    sizeof(err)) == 0);
		pinned[0] = pk2;
		CHECK(feed_keys_verify((const uint8_t *)body, blen, sig, strlen(sig), pinned, 1, T0,
				       &back, err, sizeof(err)) == FEED_E_KEY_UNPINNED);
		CHECK_STR(err, "signed by a key that is not the document's current key");
		free(sig);
	}
	/* Malformed documents name their line. */
	{
		char buf[1024];
		char *p = strstr(body, "next ");

		snprintf(buf, sizeof(buf), "%.*snext RWQ\n", (int)(p - body), body);
		CHECK(feed_keys_parse((const uint8_t *)buf, strlen(buf), &back, err, sizeof(err)) == FEED_E_MALFORMED);
		CHECK(strncmp(err, "line 7: next:", 13) == 0);
		snprintf(buf, sizeof(buf), "%.*snext none\n", (int)(p - body), body);
		CHECK(feed_keys_parse((const uint8_t *)buf, strlen(buf), &back, err, sizeof(err)) == FEED_OK);
		CHECK(!back.has_next);
		snprintf(buf, sizeof(buf), "%sextra\n", body);
		CHECK(feed_keys_parse((const uint8_t *)buf, strlen(buf), &back, err, sizeof(err)) == FEED_E_MALFORMED);
		CHECK_STR(err, "line 8: unexpected text after \"next\"");
	}
	free(body);
}

int main(void)
{
	if (sodium_init() < 0)
		return 99;
	feed_limits_default(&lim);
	CHECK(minisign_keygen(&pk, &sk) == 0);
	CHECK(minisign_keygen(&pk2, &sk2) == 0);
	test_parse_good();
	test_parse_malformed();
	test_build_verify();
	test_accept();
	test_state();
	test_keys();
	return UNIT_DONE();
}

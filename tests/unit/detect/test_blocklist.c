// SPDX-License-Identifier: GPL-2.0-or-later
/* List loaders: good files, every error of a bad file with FILE:LINE, nothing applied on error,
 * and the shipped lists. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "unit.h"
#include "blocklist.h"
#include "domain_set.h"
#include "ep_table.h"

static char path[4096], errbuf[8192];
static const char *top;

static const char *data(const char *name)
{
	snprintf(path, sizeof(path), "%s/tests/data/blocklist/%s", top, name);
	return path;
}

/* Run a loader with errors captured into errbuf, with the directory prefix removed. */
#define CAPTURE(call) ({						\
	FILE *_e = (errbuf[0] = 0, fmemopen(errbuf, sizeof(errbuf), "w")); \
	int _r = (call);						\
	fclose(_e);							\
	strip_dir();							\
	_r; })
#define ERRS _e

static void strip_dir(void)
{
	char dir[4096], *p;
	size_t dl;

	snprintf(dir, sizeof(dir), "%s/tests/data/blocklist/", top);
	dl = strlen(dir);
	while ((p = strstr(errbuf, dir)))
		memmove(p, p + dl, strlen(p + dl) + 1);
}

static int bit(const uint8_t *bm, unsigned int p)
{
	return !!(bm[p >> 3] & (1u << (p & 7)));
}

int main(void)
{
	static uint8_t bm[8192];
	struct domain_set *ds = domain_set_new();
	struct ep_table *t = ep_table_new();
	const struct ep_entry *r;
	uint8_t a[16] = { 198, 51, 100, 7 };
	char name[300], err[256];
	uint16_t lo, hi;
	int n;

	top = getenv("top_srcdir");
	if (!top)
		top = ".";

	/* Domains. */
	n = CAPTURE(blocklist_load_domains(data("domains-good.txt"), ds, ERRS));
	CHECK(n == 4);
	CHECK_STR(errbuf, "");
	CHECK(domain_set_match(ds, "a.pool.example", 14, NULL, 0) == 1);
	CHECK(domain_set_match(ds, "wild.example", 12, NULL, 0) == 0);
	CHECK(domain_set_match(ds, "x.wild.example", 14, NULL, 0) == 1);
	CHECK(domain_set_match(ds, "upper.example", 13, NULL, 0) == 1);
	CHECK(domain_set_match(ds, "indented.example", 16, NULL, 0) == 1);
	n = CAPTURE(blocklist_load_domains(data("domains-bad.txt"), ds, ERRS));
	CHECK(n == -1);
	CHECK_STR(errbuf,
		  "domains-bad.txt:2: invalid character '/' in \"pool.example/x\"\n"
		  "domains-bad.txt:3: \"com\" is a top-level name; refusing to list a whole TLD\n"
		  "domains-bad.txt:4: empty label in \"a..b.example\"\n"
		  "domains-bad.txt:6: label longer than 63 characters in \"label-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.example\"\n"
		  "domains-bad.txt:7: empty domain name\n");
	/* Nothing of the bad file was applied, not even its good lines. */
	CHECK(domain_set_match(ds, "ok.example", 10, NULL, 0) == 0);
	CHECK(domain_set_count(ds) == 4);
	n = CAPTURE(blocklist_load_domains(data("missing.txt"), ds, ERRS));
	CHECK(n == -1);
	CHECK_STR(errbuf, "missing.txt: No such file or directory\n");

	/* Endpoints. */
	n = CAPTURE(blocklist_load_endpoints(data("endpoints-good.txt"), t, 42, ERRS));
	CHECK(n == 4);
	CHECK_STR(errbuf, "");
	CHECK((r = ep_table_lookup(t, AF_INET, a, 80, 0)) && r->tag == 42 && r->plen == 32);
	n = CAPTURE(blocklist_load_endpoints(data("endpoints-bad.txt"), t, 43, ERRS));
	CHECK(n == -1);
	CHECK_STR(errbuf,
		  "endpoints-bad.txt:2: address \"203.0.113.1\" has bits set beyond /24\n"
		  "endpoints-bad.txt:3: invalid port \"0\" (expected 1-65535)\n"
		  "endpoints-bad.txt:4: invalid IPv4 address \"pool.example\"\n"
		  "endpoints-bad.txt:5: missing ']' in \"[2001:db8::1\"\n");
	CHECK((r = ep_table_lookup(t, AF_INET, a, 80, 0)) && r->tag == 42);
	CHECK(ep_table_count(t) == 4);

	/* Ports. */
	n = CAPTURE(blocklist_load_ports(data("ports-good.txt"), bm, ERRS));
	CHECK(n == 3);
	CHECK(bit(bm, 3333) && bit(bm, 3340) && bit(bm, 3345) && bit(bm, 65535));
	CHECK(!bit(bm, 3339) && !bit(bm, 3346) && !bit(bm, 0) && !bit(bm, 80));
	n = CAPTURE(blocklist_load_ports(data("ports-bad.txt"), bm, ERRS));
	CHECK(n == -1);
	CHECK_STR(errbuf,
		  "ports-bad.txt:2: invalid port \"0\" (expected 1-65535 or a range a-b)\n"
		  "ports-bad.txt:3: port range \"5000-4000\" is reversed\n"
		  "ports-bad.txt:4: invalid port \"70000\" (expected 1-65535 or a range a-b)\n"
		  "ports-bad.txt:5: invalid port range \"1-2-3\" (expected a-b with 1 <= a <= b <= 65535)\n"
		  "ports-bad.txt:6: invalid port \"abc\" (expected 1-65535 or a range a-b)\n");

	/* Line parsers directly. */
	CHECK(blocklist_parse_domain("  # note", name, sizeof(name), err, sizeof(err)) == 0);
	CHECK(blocklist_parse_domain("a.example#x", name, sizeof(name), err, sizeof(err)) == -1);
	CHECK(blocklist_parse_domain("*.a.example\t# x", name, sizeof(name), err, sizeof(err)) == 1);
	CHECK_STR(name, "*.a.example");
	CHECK(blocklist_parse_port("8080 # x", &lo, &hi, err, sizeof(err)) == 1 && lo == 8080 && hi == 8080);
	CHECK(blocklist_parse_port("", &lo, &hi, err, sizeof(err)) == 0);
	domain_set_free(ds);
	ep_table_free(t);

	/* The shipped lists load cleanly and cover every pool of the corpus. */
	{
		static const char *const corpus[] = {
			"us1.bitminter.com", "us2.litecoinpool.org", "la01.supportxmr.com",
			"coinhive.com", "ws027.authedmine.com", "xmr-eu1.nanopool.org",
			"zec-eu.suprnova.cc", "eu1-zcash.flypool.org", "pool.eth.pp.ua",
		};
		static const char *const benign[] = {
			"ssl.gstatic.com", "cloudflare-ech.com", "www.netflix.com", "wikipedia.org",
			"cdn.cloudflare.net", "www.supportxmr.com.cdn.cloudflare.net", "eth.pp.ua",
			"normandy.cdn.mozilla.net", "github.com", "amazonaws.com",
		};
		static uint8_t ports[8192];

		ds = domain_set_new();
		snprintf(path, sizeof(path), "%s/blocklists/pool-domains.txt", top);
		n = CAPTURE(blocklist_load_domains(path, ds, ERRS));
		CHECK(n == 2330);
		CHECK_STR(errbuf, "");
		for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++)
			CHECK(domain_set_match(ds, corpus[i], strlen(corpus[i]), NULL, 0) == 1);
		for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++)
			CHECK(domain_set_match(ds, benign[i], strlen(benign[i]), NULL, 0) == 0);
		domain_set_free(ds);

		snprintf(path, sizeof(path), "%s/blocklists/pool-ports.txt", top);
		n = CAPTURE(blocklist_load_ports(path, ports, ERRS));
		CHECK(n > 50);
		CHECK_STR(errbuf, "");
		CHECK(bit(ports, 3333) && bit(ports, 3336) && bit(ports, 14444) && bit(ports, 10128));
		CHECK(!bit(ports, 80) && !bit(ports, 443) && !bit(ports, 25) && !bit(ports, 27017));

		t = ep_table_new();
		snprintf(path, sizeof(path), "%s/blocklists/pool-endpoints.txt", top);
		n = CAPTURE(blocklist_load_endpoints(path, t, 1, ERRS));
		CHECK(n == 0);
		CHECK_STR(errbuf, "");
		ep_table_free(t);
	}
	return UNIT_DONE();
}

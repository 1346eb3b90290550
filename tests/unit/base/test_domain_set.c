// SPDX-License-Identifier: GPL-2.0-or-later
/* Domain set: suffix semantics, wildcards, case, bounds, and 100k names. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "unit.h"
#include "domain_set.h"

static int m(const struct domain_set *ds, const char *name, char *out)
{
	return domain_set_match(ds, name, strlen(name), out, 64);
}

int main(void)
{
	struct domain_set *ds = domain_set_new();
	char out[64], big[300];
	struct timespec t0, t1;
	unsigned int hits = 0;
	size_t i;

	CHECK(domain_set_add(ds, "pool.example") == 0);
	CHECK(domain_set_add(ds, "*.wild.example") == 0);
	CHECK(domain_set_add(ds, "Upper.EXAMPLE.") == 0);
	CHECK(domain_set_count(ds) == 3);
	CHECK(domain_set_add(ds, "pool.example") == 0);	/* duplicate: no new entry */
	CHECK(domain_set_count(ds) == 3);

	CHECK(m(ds, "pool.example", out) == 1);
	CHECK_STR(out, "pool.example");
	CHECK(m(ds, "us1.pool.example", out) == 1);
	CHECK_STR(out, "pool.example");
	CHECK(m(ds, "a.b.POOL.Example.", out) == 1);
	CHECK(m(ds, "xpool.example", out) == 0);	/* label boundary only */
	CHECK(m(ds, "pool.example.com", out) == 0);
	CHECK(m(ds, "example", out) == 0);
	CHECK(m(ds, "wild.example", out) == 0);	/* wildcard: subdomains only */
	CHECK(m(ds, "x.wild.example", out) == 1);
	CHECK_STR(out, "*.wild.example");
	CHECK(m(ds, "upper.example", out) == 1);
	CHECK_STR(out, "upper.example");
	/* Adding the apex later widens the wildcard entry. */
	CHECK(domain_set_add(ds, "wild.example") == 0);
	CHECK(m(ds, "wild.example", out) == 1);
	CHECK(domain_set_count(ds) == 3);
	CHECK(domain_set_match(ds, "pool.example", 4, NULL, 0) == 0);	/* len respected */
	CHECK(domain_set_match(ds, "us1.pool.exampleXYZ", 16, NULL, 0) == 1);
	CHECK(domain_set_match(ds, "", 0, NULL, 0) == 0);
	CHECK(domain_set_match(ds, ".", 1, NULL, 0) == 0);
	/* Matched copy truncated safely. */
	CHECK(domain_set_match(ds, "pool.example", 12, out, 5) == 1);
	CHECK_STR(out, "pool");

	/* Invalid names. */
	CHECK(domain_set_add(ds, "") == -1);
	CHECK(domain_set_add(ds, "a..b") == -1);
	CHECK(domain_set_add(ds, ".a.b") == -1);
	CHECK(domain_set_add(ds, "a b.c") == -1);
	CHECK(domain_set_add(ds, "*.") == -1);
	CHECK(domain_set_add(ds, "a.*.b") == -1);
	memset(big, 'a', 64);
	strcpy(big + 64, ".com");
	CHECK(domain_set_add(ds, big) == -1);	/* 64-char label */
	memset(big, 'a', 63);
	strcpy(big + 63, ".com");
	CHECK(domain_set_add(ds, big) == 0);	/* 63 is fine */
	for (i = 0; i < 254; i++)
		big[i] = (i % 2) ? '.' : 'a';
	big[254] = 0;
	big[253] = 0;
	CHECK(domain_set_add(ds, big) == 0);	/* 253 chars */
	CHECK(domain_set_match(ds, big, 253, NULL, 0) == 1);
	big[253] = 'a';
	big[252] = '.';
	CHECK(domain_set_add(ds, big) == -1);	/* 254 chars */
	CHECK(domain_set_match(ds, big, 254, NULL, 0) == 0);
	domain_set_free(ds);

	/* 100k names, then 1M lookups. */
	ds = domain_set_new();
	for (i = 0; i < 100000; i++) {
		char name[64];

		snprintf(name, sizeof(name), "h%zu.pool%zu.example", i, i % 977);
		CHECK(domain_set_add(ds, name) == 0 || (fprintf(stderr, "%s\n", name), 0));
	}
	CHECK(domain_set_count(ds) == 100000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 1000000; i++) {
		char name[80];
		int n = snprintf(name, sizeof(name), "www.h%zu.pool%zu.example", i % 200000,
				 (i % 200000) % 977);

		hits += (unsigned int)domain_set_match(ds, name, (size_t)n, NULL, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(hits == 500000);
	printf("domain_set: 100000 names, 1000000 lookups in %.3f s\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	domain_set_free(ds);
	return UNIT_DONE();
}

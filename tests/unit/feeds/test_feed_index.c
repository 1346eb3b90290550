// SPDX-License-Identifier: GPL-2.0-or-later
/* The feed index (format, chain rules, signature, acceptance) and composing deltas: merging a
 * chain of deltas one by one, composed into one, and taking the next snapshot give one set. */
#include "config.h"

#include <stdlib.h>

#include "feed_index.h"
#include "feed_text.h"
#include "unit.h"

#define T0 1767225600	/* 2026-01-01T00:00:00Z */

static struct minisign_pubkey pk, pk2;
static struct minisign_seckey sk, sk2;

static void index_fill(struct feed_index *x, size_t nlinks)
{
	size_t i;

	memset(x, 0, sizeof(*x));
	snprintf(x->provider, sizeof(x->provider), "isp-a");
	x->serial = 10 + nlinks;
	x->issued = T0;
	x->expires = T0 + 86400;
	x->snapshot = (struct feed_index_link){ 0, 10, 1234, { 0xaa } };
	for (i = 0; i < nlinks; i++)
		x->links[i] = (struct feed_index_link){ 10 + i, 11 + i, 100 + i, { (uint8_t)i } };
	x->n_links = nlinks;
}

static enum feed_verdict parse_text(const char *t, struct feed_index *x, char *err, size_t n)
{
	return feed_index_parse((const uint8_t *)t, strlen(t), x, err, n);
}

static void test_format(void)
{
	struct feed_index x, back;
	char *text, *sig, err[300], bad[2048], hex[65];
	size_t len;

	index_fill(&x, 3);
	CHECK(feed_index_write(&x, &text, &len) == 0);
	CHECK(feed_index_is((uint8_t *)text, len));
	CHECK(strncmp(text, "minewall-feed-index 1\nprovider isp-a\nserial 13\n", 47) == 0);
	CHECK(strstr(text, "\nsnapshot 10 1234 aa00") != NULL);
	CHECK(strstr(text, "\ndeltas 3\n\ndelta 10 11 100 0000") != NULL);
	CHECK(parse_text(text, &back, err, sizeof(err)) == FEED_OK);
	CHECK(back.serial == 13 && back.n_links == 3 && back.links[2].serial == 13 &&
	      back.snapshot.size == 1234 && memcmp(back.hash, x.hash, FEED_HASH_BYTES) == 0);
	CHECK(feed_index_find(&back, 11) == 1 && feed_index_find(&back, 13) == -1);

	/* Signed and verified; the trusted comment ties the signature to the header. */
	CHECK(feed_index_sign((uint8_t *)text, len, &sk, &sig, err, sizeof(err)) == 0);
	CHECK(strstr(sig, "trusted comment: minewall-feed-index 1 provider=isp-a serial=13 "
		     "snapshot=10 issued=2026-01-01T00:00:00Z") != NULL);
	CHECK(feed_index_verify((uint8_t *)text, len, sig, strlen(sig), &pk, 1, &back, err,
				sizeof(err)) == FEED_OK && back.verified);
	CHECK(feed_index_verify((uint8_t *)text, len, sig, strlen(sig), &pk2, 1, &back, err,
				sizeof(err)) == FEED_E_KEY_UNPINNED && !back.verified);
	text[len - 3] ^= 1;
	CHECK(feed_index_verify((uint8_t *)text, len, sig, strlen(sig), &pk, 1, &back, err,
				sizeof(err)) == FEED_E_SIGNATURE);
	free(text);
	free(sig);

	/* The chain's rules. */
	feed_hex((const uint8_t *)"0123456789abcdef0123456789abcdef", 32, hex);
#define IDX(SNAP, N, LINES) \
	snprintf(bad, sizeof(bad), "minewall-feed-index 1\nprovider a\nserial 12\n" \
		 "issued 2026-01-01T00:00:00Z\nexpires 2026-01-02T00:00:00Z\nsnapshot %s 5 %s\n" \
		 "deltas %d\n\n" LINES, SNAP, hex, N, hex, hex)
	IDX("10", 2, "delta 10 11 5 %s\ndelta 11 12 5 %s\n");
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_OK);
	IDX("12", 2, "delta 10 11 5 %s\ndelta 11 12 5 %s\n");	/* snapshot at the newest */
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_OK);
	IDX("10", 2, "delta 10 11 5 %s\ndelta 10 12 5 %s\n");	/* a gap */
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_E_MALFORMED);
	CHECK(strstr(err, "not on the previous") != NULL);
	IDX("9", 2, "delta 10 11 5 %s\ndelta 11 12 5 %s\n");	/* not reached from the snapshot */
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_E_MALFORMED);
	IDX("10", 2, "delta 10 11 5 %s\ndelta 11 13 5 %s\n");	/* past the serial */
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_E_MALFORMED);
	IDX("13", 2, "delta 10 11 5 %s\ndelta 11 12 5 %s\n");	/* snapshot above the serial */
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_E_MALFORMED);
	IDX("10", 3, "delta 10 11 5 %s\ndelta 11 12 5 %s\n");	/* fewer than announced */
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_E_COUNT);
	IDX("10", 1, "delta 10 11 5 %s\ndelta 11 12 5 %s\n");	/* more */
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_E_COUNT);
	IDX("10", 2, "delta 10 11 0 %s\ndelta 11 12 5 %s\n");	/* an empty file */
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_E_MALFORMED);
	IDX("10", 2, "delta 11 11 5 %s\ndelta 11 12 5 %s\n");	/* base not below serial */
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_E_MALFORMED);
	IDX("10", 2, "delta 10 11 5 %s\ndelta 11 12 5 %sX\n");	/* hash not 64 hex digits */
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_E_MALFORMED);
	IDX("10", 2, "delta 10 11 5 %s\ndelta 11 12 5 %s");	/* no final newline */
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_E_MALFORMED);
	IDX("10", 1000, "delta 10 11 5 %s\ndelta 11 12 5 %s\n");	/* beyond the limit */
	CHECK(parse_text(bad, &back, err, sizeof(err)) == FEED_E_COUNT);
	CHECK(strstr(err, "limit is 256") != NULL);
#undef IDX
	CHECK(parse_text("minewall-feed 1\n", &back, err, sizeof(err)) == FEED_E_MALFORMED);
	{
		size_t big = FEED_INDEX_MAX_SIZE + 1;
		char *b = calloc(1, big + 1);

		memset(b, 'a', big);
		CHECK(feed_index_parse((uint8_t *)b, big, &back, err, sizeof(err)) == FEED_E_SIZE);
		CHECK(feed_index_verify((uint8_t *)b, big, "x", 1, &pk, 1, &back, err,
					sizeof(err)) == FEED_E_SIZE);
		free(b);
	}
}

static void test_accept(void)
{
	struct feed_policy pol;
	struct feed_state st = { .have = true, .provider = "isp-a", .serial = 12 };
	struct feed_index x;
	char why[200];

	feed_policy_default(&pol);
	pol.provider = "isp-a";
	index_fill(&x, 3);
	x.verified = true;
	CHECK(feed_index_accept(&st, &x, &pol, T0 + 10, why, sizeof(why)) == FEED_OK);
	CHECK(feed_index_accept(NULL, &x, &pol, T0 + 10, why, sizeof(why)) == FEED_OK);
	st.serial = 13;
	CHECK(feed_index_accept(&st, &x, &pol, T0 + 10, why, sizeof(why)) == FEED_UNCHANGED);
	st.serial = 14;
	CHECK(feed_index_accept(&st, &x, &pol, T0 + 10, why, sizeof(why)) == FEED_E_ROLLBACK);
	/* A rollback is one even when expired. */
	CHECK(feed_index_accept(&st, &x, &pol, T0 + 86400, why, sizeof(why)) == FEED_E_ROLLBACK);
	st.serial = 12;
	CHECK(feed_index_accept(&st, &x, &pol, T0 + 86400, why, sizeof(why)) == FEED_E_EXPIRED);
	CHECK(feed_index_accept(&st, &x, &pol, T0 - 301, why, sizeof(why)) == FEED_E_FUTURE);
	CHECK(feed_index_accept(&st, &x, &pol, T0 - 300, why, sizeof(why)) == FEED_OK);
	x.expires = T0 + 8 * 86400;	/* frozen for longer than the policy allows */
	CHECK(feed_index_accept(&st, &x, &pol, T0 + 10, why, sizeof(why)) == FEED_E_EXPIRED);
	x.expires = T0 + 86400;
	snprintf(x.provider, sizeof(x.provider), "isp-b");
	CHECK(feed_index_accept(&st, &x, &pol, T0 + 10, why, sizeof(why)) == FEED_E_PROVIDER);
	x.verified = false;
	CHECK(feed_index_accept(&st, &x, &pol, T0 + 10, why, sizeof(why)) == FEED_E_SIGNATURE);
}

/* A snapshot of n entries from a seed: the values picked from a small space so
 * successive snapshots overlap, TTLs varying so some entries change in place. */
static void snap_make(struct feed *f, uint64_t serial, unsigned int seed, size_t n)
{
	struct feed_entry *e = calloc(n, sizeof(*e));
	char v[64], err[128];
	size_t i;

	srand(seed);
	for (i = 0; i < n; i++) {
		unsigned int r = (unsigned int)rand() % 400;

		snprintf(v, sizeof(v), r % 2 ? "198.51.100.%u" : "p%u.example.net", r % 250);
		feed_entry_set(&e[i], FEED_ADD, NULL, v, 60 + (unsigned int)rand() % 3, NULL, err,
			       sizeof(err));
	}
	CHECK(feed_build_snapshot(f, "isp-a", serial, T0 + (int64_t)serial,
				  T0 + 86400 + (int64_t)serial, e, n, err, sizeof(err)) == 0);
	free(e);
}

static bool same_set(const struct feed *a, const struct feed *b)
{
	size_t i;

	if (a->n_entries != b->n_entries)
		return false;
	for (i = 0; i < a->n_entries; i++)
		if (feed_entry_cmp(&a->entries[i], &b->entries[i]) || a->entries[i].ttl != b->entries[i].ttl)
			return false;
	return true;
}

static void test_compose(void)
{
	struct feed s[5], d[5], m, acc, tmp, one, last;
	char err[128];
	unsigned int i;

	for (i = 0; i < 5; i++)
		snap_make(&s[i], i + 1, 100 + i, 120);
	for (i = 1; i < 5; i++)
		CHECK(feed_build_delta(&d[i], &s[i - 1], &s[i], err, sizeof(err)) == 0);
	/* One by one. */
	CHECK(feed_merge(&s[0], &s[0], &last) == 0);
	for (i = 1; i < 5; i++) {
		CHECK(feed_merge(&last, &d[i], &m) == 0);
		CHECK(same_set(&m, &s[i]) && m.serial == s[i].serial && m.kind == FEED_SNAPSHOT);
		feed_fini(&last);
		last = m;
	}
	/* In place: the same sets. */
	CHECK(feed_merge(&s[0], &s[0], &m) == 0);
	for (i = 1; i < 5; i++) {
		CHECK(feed_merge_into(&m, &d[i]) == 0);
		CHECK(same_set(&m, &s[i]) && m.serial == s[i].serial && m.kind == FEED_SNAPSHOT &&
		      m.announced == m.n_entries);
	}
	CHECK(feed_merge_into(&m, &s[1]) == -1 && same_set(&m, &s[4]));
	feed_fini(&m);
	/* From nothing, and down to nothing. */
	memset(&m, 0, sizeof(m));
	{
		struct feed empty, dn, s10;

		CHECK(feed_build_snapshot(&empty, "isp-a", 9, T0 + 9, T0 + 99, NULL, 0, err,
					  sizeof(err)) == 0);
		CHECK(feed_build_delta(&dn, &s[4], &empty, err, sizeof(err)) == 0);
		CHECK(feed_merge(&s[4], &s[4], &m) == 0);
		CHECK(feed_merge_into(&m, &dn) == 0 && m.n_entries == 0 && m.serial == 9);
		feed_fini(&dn);
		snap_make(&s10, 10, 200, 50);
		CHECK(feed_build_delta(&dn, &empty, &s10, err, sizeof(err)) == 0);
		CHECK(feed_merge_into(&m, &dn) == 0 && same_set(&m, &s10) && m.serial == 10);
		feed_fini(&dn);
		feed_fini(&s10);
		feed_fini(&empty);
		feed_fini(&m);
	}
	/* Composed into one. */
	acc = d[1];
	acc.entries = NULL;
	CHECK(feed_compose(&d[1], &d[2], &acc) == 0 && acc.base == 1 && acc.serial == 3);
	for (i = 3; i < 5; i++) {
		CHECK(feed_compose(&acc, &d[i], &tmp) == 0);
		feed_fini(&acc);
		acc = tmp;
	}
	CHECK(feed_merge(&s[0], &acc, &one) == 0);
	CHECK(same_set(&one, &s[4]) && same_set(&one, &last) && one.issued == s[4].issued);
	/* Only consecutive deltas compose. */
	CHECK(feed_compose(&d[1], &d[3], &tmp) == -1);
	CHECK(feed_compose(&s[1], &d[2], &tmp) == -1);
	feed_fini(&acc);
	feed_fini(&one);
	feed_fini(&last);
	for (i = 0; i < 5; i++) {
		feed_fini(&s[i]);
		if (i)
			feed_fini(&d[i]);
	}
}

int main(void)
{
	minisign_keygen(&pk, &sk);
	minisign_keygen(&pk2, &sk2);
	test_format();
	test_accept();
	test_compose();
	return UNIT_DONE();
}

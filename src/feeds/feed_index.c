// SPDX-License-Identifier: GPL-2.0-or-later
/* The feed index: the newest serial, the snapshot and the delta chain, parsed, written, signed.
 *
 * Subscribers poll this small file often (a conditional GET) and fetch only
 * the deltas from the serial they hold. It is signed like a feed and checked
 * like one (signature before parsing, trusted comment, provider, rollback,
 * expiry, issue time, validity); each delta and the snapshot it names carry
 * their own signature too, and must have the size and hash the index gives. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "feed_index.h"
#include "feed_text.h"

#define INDEX_TC_MAX	512
#define LINK_SIZE_MAX	(1ull << 40)

bool feed_index_is(const uint8_t *buf, size_t len)
{
	size_t ml = strlen(FEED_INDEX_MAGIC);

	return len > ml && memcmp(buf, FEED_INDEX_MAGIC, ml) == 0 && buf[ml] == '\n';
}

void feed_index_delta_name(uint64_t base, uint64_t serial, char out[FEED_INDEX_NAME_MAX])
{
	snprintf(out, FEED_INDEX_NAME_MAX, "delta-%llu-%llu", (unsigned long long)base,
		 (unsigned long long)serial);
}

static int hex_parse(const char *s, size_t len, uint8_t *out, size_t n)
{
	size_t i;

	if (len != 2 * n)
		return -1;
	for (i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return -1;
		if (i % 2)
			out[i / 2] |= (uint8_t)v;
		else
			out[i / 2] = (uint8_t)(v << 4);
	}
	return 0;
}

/* "[BASE ]SERIAL SIZE HEX": nf numbers, then the hash. */
static int link_parse(const char *v, size_t vl, bool delta, struct feed_index_link *k)
{
	const char *end = v + vl, *p = v;
	uint64_t num[3];
	unsigned int i, nf = delta ? 3 : 2;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < nf; i++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));

		if (!sp || feed_u64_parse(p, (size_t)(sp - p), &num[i]) < 0)
			return -1;
		p = sp + 1;
	}
	if (hex_parse(p, (size_t)(end - p), k->hash, sizeof(k->hash)) < 0)
		return -1;
	k->base = delta ? num[0] : 0;
	k->serial = num[nf - 2];
	k->size = num[nf - 1];
	if (k->size == 0 || k->size > LINK_SIZE_MAX || (delta && k->base >= k->serial))
		return -1;
	return 0;
}

static enum feed_verdict chain_check(const struct feed_index *x, char *err, size_t errsize)
{
	size_t i;
	bool found = x->snapshot.serial == x->serial;

	if (x->snapshot.serial > x->serial) {
		snprintf(err, errsize, "snapshot serial %llu is above the index serial %llu",
			 (unsigned long long)x->snapshot.serial, (unsigned long long)x->serial);
		return FEED_E_MALFORMED;
	}
	for (i = 0; i < x->n_links; i++) {
		if (i && x->links[i].base != x->links[i - 1].serial) {
			snprintf(err, errsize, "delta %zu is based on %llu, not on the previous delta's %llu",
				 i + 1, (unsigned long long)x->links[i].base,
				 (unsigned long long)x->links[i - 1].serial);
			return FEED_E_MALFORMED;
		}
		if (x->links[i].base == x->snapshot.serial)
			found = true;
	}
	if (x->n_links && x->links[x->n_links - 1].serial != x->serial) {
		snprintf(err, errsize, "the last delta ends at %llu, the index serial is %llu",
			 (unsigned long long)x->links[x->n_links - 1].serial,
			 (unsigned long long)x->serial);
		return FEED_E_MALFORMED;
	}
	if (!found) {
		snprintf(err, errsize, "the deltas do not lead from the snapshot (serial %llu) to %llu",
			 (unsigned long long)x->snapshot.serial, (unsigned long long)x->serial);
		return FEED_E_MALFORMED;
	}
	return FEED_OK;
}

enum feed_verdict feed_index_parse(const uint8_t *buf, size_t len, struct feed_index *out,
				   char *err, size_t errsize)
{
	struct feed_cursor c = { (const char *)buf, len, 0, 0 };
	enum feed_line_status st;
	const char *l, *v;
	size_t ll, vl;
	uint64_t n;

	memset(out, 0, sizeof(*out));
	if (len > FEED_INDEX_MAX_SIZE) {
		snprintf(err, errsize, "index of %zu bytes exceeds the limit of %d", len,
			 FEED_INDEX_MAX_SIZE);
		return FEED_E_SIZE;
	}
	st = feed_next_line(&c, FEED_INDEX_LINE_MAX, &l, &ll);
	if (st != FEED_LINE_OK || ll != strlen(FEED_INDEX_MAGIC) || memcmp(l, FEED_INDEX_MAGIC, ll)) {
		snprintf(err, errsize, "line 1: expected \"%s\"", FEED_INDEX_MAGIC);
		return FEED_E_MALFORMED;
	}
	if (feed_kv_line(&c, FEED_INDEX_LINE_MAX, "provider", &v, &vl, err, errsize) < 0)
		return FEED_E_MALFORMED;
	if (!feed_provider_valid(v, vl)) {
		snprintf(err, errsize, "line %u: provider must be 1-63 of [A-Za-z0-9._-]", c.lineno);
		return FEED_E_MALFORMED;
	}
	memcpy(out->provider, v, vl);
	if (feed_kv_line(&c, FEED_INDEX_LINE_MAX, "serial", &v, &vl, err, errsize) < 0)
		return FEED_E_MALFORMED;
	if (feed_u64_parse(v, vl, &out->serial) < 0) {
		snprintf(err, errsize, "line %u: serial must be a decimal number", c.lineno);
		return FEED_E_MALFORMED;
	}
	if (feed_kv_line(&c, FEED_INDEX_LINE_MAX, "issued", &v, &vl, err, errsize) < 0)
		return FEED_E_MALFORMED;
	if (feed_time_parse(v, vl, &out->issued) < 0) {
		snprintf(err, errsize, "line %u: issued must be YYYY-MM-DDTHH:MM:SSZ", c.lineno);
		return FEED_E_MALFORMED;
	}
	if (feed_kv_line(&c, FEED_INDEX_LINE_MAX, "expires", &v, &vl, err, errsize) < 0)
		return FEED_E_MALFORMED;
	if (feed_time_parse(v, vl, &out->expires) < 0 || out->expires <= out->issued) {
		snprintf(err, errsize, "line %u: expires must be a time later than issued", c.lineno);
		return FEED_E_MALFORMED;
	}
	if (feed_kv_line(&c, FEED_INDEX_LINE_MAX, "snapshot", &v, &vl, err, errsize) < 0)
		return FEED_E_MALFORMED;
	if (link_parse(v, vl, false, &out->snapshot) < 0) {
		snprintf(err, errsize, "line %u: expected \"snapshot SERIAL SIZE BLAKE2B\"", c.lineno);
		return FEED_E_MALFORMED;
	}
	if (feed_kv_line(&c, FEED_INDEX_LINE_MAX, "deltas", &v, &vl, err, errsize) < 0)
		return FEED_E_MALFORMED;
	if (feed_u64_parse(v, vl, &n) < 0) {
		snprintf(err, errsize, "line %u: deltas must be a decimal number", c.lineno);
		return FEED_E_MALFORMED;
	}
	if (n > FEED_INDEX_MAX_LINKS) {
		snprintf(err, errsize, "line %u: %llu deltas announced, the limit is %d", c.lineno,
			 (unsigned long long)n, FEED_INDEX_MAX_LINKS);
		return FEED_E_COUNT;
	}
	st = feed_next_line(&c, FEED_INDEX_LINE_MAX, &l, &ll);
	if (st != FEED_LINE_OK || ll != 0) {
		snprintf(err, errsize, "line %u: expected an empty line after the header", c.lineno);
		return FEED_E_MALFORMED;
	}
	while ((st = feed_next_line(&c, FEED_INDEX_LINE_MAX, &l, &ll)) == FEED_LINE_OK) {
		if (out->n_links == n) {
			snprintf(err, errsize, "line %u: more deltas than the %llu announced", c.lineno,
				 (unsigned long long)n);
			return FEED_E_COUNT;
		}
		if (!feed_kv(l, ll, "delta", &v, &vl) ||
		    link_parse(v, vl, true, &out->links[out->n_links]) < 0) {
			snprintf(err, errsize, "line %u: expected \"delta BASE SERIAL SIZE BLAKE2B\"",
				 c.lineno);
			return FEED_E_MALFORMED;
		}
		out->n_links++;
	}
	if (st != FEED_LINE_END) {
		snprintf(err, errsize, "line %u: %s", c.lineno, feed_line_error(st));
		return FEED_E_MALFORMED;
	}
	if (out->n_links != n) {
		snprintf(err, errsize, "%zu deltas, %llu announced", out->n_links, (unsigned long long)n);
		return FEED_E_COUNT;
	}
	if (chain_check(out, err, errsize) != FEED_OK)
		return FEED_E_MALFORMED;
	crypto_generichash(out->hash, sizeof(out->hash), buf, len, NULL, 0);
	return FEED_OK;
}

int feed_index_trusted_comment(const struct feed_index *x, char *out, size_t outsize)
{
	char iss[21], exp[21], hex[2 * FEED_HASH_BYTES + 1];
	int n;

	if (feed_time_format(x->issued, iss) < 0 || feed_time_format(x->expires, exp) < 0)
		return -1;
	feed_hex(x->hash, sizeof(x->hash), hex);
	n = snprintf(out, outsize, FEED_INDEX_MAGIC " provider=%s serial=%llu snapshot=%llu "
		     "issued=%s expires=%s deltas=%zu blake2b=%s", x->provider,
		     (unsigned long long)x->serial, (unsigned long long)x->snapshot.serial, iss, exp,
		     x->n_links, hex);
	return n < 0 || (size_t)n >= outsize ? -1 : 0;
}

enum feed_verdict feed_index_verify(const uint8_t *body, size_t len, const char *sig_text,
				    size_t sig_len, const struct minisign_pubkey *keys, size_t nkeys,
				    struct feed_index *out, char *err, size_t errsize)
{
	struct minisign_sig *sig = NULL;
	enum feed_verdict v;
	char tc[INDEX_TC_MAX];

	memset(out, 0, sizeof(*out));
	if (len > FEED_INDEX_MAX_SIZE) {
		snprintf(err, errsize, "index of %zu bytes exceeds the limit of %d", len,
			 FEED_INDEX_MAX_SIZE);
		return FEED_E_SIZE;
	}
	v = feed_signature_check(body, len, sig_text, sig_len, keys, nkeys, &sig, NULL, err, errsize);
	if (v != FEED_OK)
		goto out;
	v = feed_index_parse(body, len, out, err, errsize);
	if (v != FEED_OK)
		goto out;
	if (feed_index_trusted_comment(out, tc, sizeof(tc)) < 0 || strcmp(tc, sig->trusted_comment)) {
		snprintf(err, errsize, "trusted comment \"%.200s\" does not match the index",
			 sig->trusted_comment);
		v = FEED_E_COMMENT;
		goto out;
	}
	out->verified = true;
out:
	if (v != FEED_OK)
		memset(out, 0, sizeof(*out));
	free(sig);
	return v;
}

enum feed_verdict feed_index_accept(const struct feed_state *last, const struct feed_index *x,
				    const struct feed_policy *pol, time_t now,
				    char *reason, size_t reasonsize)
{
	snprintf(reason, reasonsize, "accepted");
	if (!x->verified) {
		snprintf(reason, reasonsize, "index was not verified");
		return FEED_E_SIGNATURE;
	}
	if (pol->provider && strcmp(pol->provider, x->provider) != 0) {
		snprintf(reason, reasonsize, "index of provider \"%s\", expected \"%s\"", x->provider,
			 pol->provider);
		return FEED_E_PROVIDER;
	}
	/* As for a feed: an old index is a rollback even when it has expired. */
	if (last && last->have) {
		if (strcmp(last->provider, x->provider) != 0) {
			snprintf(reason, reasonsize, "index of provider \"%s\", our state is for \"%s\"",
				 x->provider, last->provider);
			return FEED_E_PROVIDER;
		}
		if (x->serial < last->serial) {
			snprintf(reason, reasonsize, "index serial %llu is lower than the applied %llu",
				 (unsigned long long)x->serial, (unsigned long long)last->serial);
			return FEED_E_ROLLBACK;
		}
	}
	if ((int64_t)now >= x->expires) {
		snprintf(reason, reasonsize, "index expired %lld seconds ago",
			 (long long)((int64_t)now - x->expires));
		return FEED_E_EXPIRED;
	}
	if (x->issued > (int64_t)now + pol->max_skew) {
		snprintf(reason, reasonsize, "index issued %lld seconds in the future (skew allowed: %lld)",
			 (long long)(x->issued - (int64_t)now), (long long)pol->max_skew);
		return FEED_E_FUTURE;
	}
	if (pol->max_validity && x->expires - x->issued > pol->max_validity) {
		snprintf(reason, reasonsize, "index valid for %lld seconds, policy allows %lld",
			 (long long)(x->expires - x->issued), (long long)pol->max_validity);
		return FEED_E_EXPIRED;
	}
	if (last && last->have && x->serial == last->serial) {
		snprintf(reason, reasonsize, "serial %llu already applied", (unsigned long long)x->serial);
		return FEED_UNCHANGED;
	}
	return FEED_OK;
}

int feed_index_find(const struct feed_index *x, uint64_t base)
{
	size_t i;

	for (i = 0; i < x->n_links; i++)
		if (x->links[i].base == base)
			return (int)i;
	return -1;
}

int feed_index_write(struct feed_index *x, char **out, size_t *outlen)
{
	char iss[21], exp[21], hex[2 * FEED_HASH_BYTES + 1], *buf;
	size_t size = 512 + x->n_links * 128, pos = 0, i;
	int n;

	*out = NULL;
	if (x->n_links > FEED_INDEX_MAX_LINKS || feed_time_format(x->issued, iss) < 0 ||
	    feed_time_format(x->expires, exp) < 0)
		return -1;
	buf = malloc(size);
	if (!buf)
		return -1;
	feed_hex(x->snapshot.hash, FEED_HASH_BYTES, hex);
	n = snprintf(buf, size, FEED_INDEX_MAGIC "\nprovider %s\nserial %llu\nissued %s\nexpires %s\n"
		     "snapshot %llu %llu %s\ndeltas %zu\n\n", x->provider,
		     (unsigned long long)x->serial, iss, exp, (unsigned long long)x->snapshot.serial,
		     (unsigned long long)x->snapshot.size, hex, x->n_links);
	if (n < 0 || (size_t)n >= size)
		goto fail;
	pos = (size_t)n;
	for (i = 0; i < x->n_links; i++) {
		const struct feed_index_link *k = &x->links[i];

		feed_hex(k->hash, FEED_HASH_BYTES, hex);
		n = snprintf(buf + pos, size - pos, "delta %llu %llu %llu %s\n",
			     (unsigned long long)k->base, (unsigned long long)k->serial,
			     (unsigned long long)k->size, hex);
		if (n < 0 || (size_t)n >= size - pos)
			goto fail;
		pos += (size_t)n;
	}
	crypto_generichash(x->hash, sizeof(x->hash), (const uint8_t *)buf, pos, NULL, 0);
	*out = buf;
	*outlen = pos;
	return 0;
fail:
	free(buf);
	return -1;
}

int feed_index_sign(const uint8_t *body, size_t len, const struct minisign_seckey *sk,
		    char **sig_out, char *err, size_t errsize)
{
	struct feed_index *x = malloc(sizeof(*x));
	char tc[INDEX_TC_MAX], perr[200];
	int ret = -1;

	*sig_out = NULL;
	if (!x) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (feed_index_parse(body, len, x, perr, sizeof(perr)) != FEED_OK) {
		snprintf(err, errsize, "not a valid index: %s", perr);
		goto out;
	}
	if (feed_index_trusted_comment(x, tc, sizeof(tc)) < 0) {
		snprintf(err, errsize, "cannot format the trusted comment");
		goto out;
	}
	ret = minisign_sign(sk, body, len, tc, "minewall feed index signature", false, sig_out,
			    err, errsize);
out:
	free(x);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The key rotation document: a provider's current and next key, signed by the current one. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "feed.h"
#include "feed_text.h"

#define KEYS_MAGIC	"minewall-feed-keys 1"
#define KEYS_LINE_MAX	256
#define KEYS_SIZE_MAX	4096
#define KEYS_TC_MAX	512

enum feed_verdict feed_keys_parse(const uint8_t *buf, size_t len, struct feed_keys *out,
				  char *err, size_t errsize)
{
	struct feed_cursor c = { (const char *)buf, len, 0, 0 };
	enum feed_line_status st;
	const char *l, *v;
	size_t ll, vl;
	char kerr[128];

	memset(out, 0, sizeof(*out));
	if (len > KEYS_SIZE_MAX) {
		snprintf(err, errsize, "keys document larger than %d bytes", KEYS_SIZE_MAX);
		return FEED_E_SIZE;
	}
	st = feed_next_line(&c, KEYS_LINE_MAX, &l, &ll);
	if (st != FEED_LINE_OK || ll != strlen(KEYS_MAGIC) || memcmp(l, KEYS_MAGIC, ll) != 0) {
		snprintf(err, errsize, "line 1: expected \"%s\"", KEYS_MAGIC);
		return FEED_E_MALFORMED;
	}
	if (feed_kv_line(&c, KEYS_LINE_MAX, "provider", &v, &vl, err, errsize) < 0)
		return FEED_E_MALFORMED;
	if (!feed_provider_valid(v, vl)) {
		snprintf(err, errsize, "line %u: provider must be 1-63 of [A-Za-z0-9._-]", c.lineno);
		return FEED_E_MALFORMED;
	}
	memcpy(out->provider, v, vl);
	if (feed_kv_line(&c, KEYS_LINE_MAX, "serial", &v, &vl, err, errsize) < 0)
		return FEED_E_MALFORMED;
	if (feed_u64_parse(v, vl, &out->serial) < 0) {
		snprintf(err, errsize, "line %u: serial must be a decimal number", c.lineno);
		return FEED_E_MALFORMED;
	}
	if (feed_kv_line(&c, KEYS_LINE_MAX, "issued", &v, &vl, err, errsize) < 0)
		return FEED_E_MALFORMED;
	if (feed_time_parse(v, vl, &out->issued) < 0) {
		snprintf(err, errsize, "line %u: issued must be YYYY-MM-DDTHH:MM:SSZ", c.lineno);
		return FEED_E_MALFORMED;
	}
	if (feed_kv_line(&c, KEYS_LINE_MAX, "expires", &v, &vl, err, errsize) < 0)
		return FEED_E_MALFORMED;
	if (feed_time_parse(v, vl, &out->expires) < 0 || out->expires <= out->issued) {
		snprintf(err, errsize, "line %u: expires must be a time later than issued", c.lineno);
		return FEED_E_MALFORMED;
	}
	if (feed_kv_line(&c, KEYS_LINE_MAX, "current", &v, &vl, err, errsize) < 0)
		return FEED_E_MALFORMED;
	if (minisign_pubkey_parse(v, vl, &out->current, kerr, sizeof(kerr)) < 0) {
		snprintf(err, errsize, "line %u: current: %s", c.lineno, kerr);
		return FEED_E_MALFORMED;
	}
	if (feed_kv_line(&c, KEYS_LINE_MAX, "next", &v, &vl, err, errsize) < 0)
		return FEED_E_MALFORMED;
	if (!(vl == 4 && memcmp(v, "none", 4) == 0)) {
		if (minisign_pubkey_parse(v, vl, &out->next, kerr, sizeof(kerr)) < 0) {
			snprintf(err, errsize, "line %u: next: %s", c.lineno, kerr);
			return FEED_E_MALFORMED;
		}
		out->has_next = true;
	}
	st = feed_next_line(&c, KEYS_LINE_MAX, &l, &ll);
	if (st != FEED_LINE_END) {
		snprintf(err, errsize, "line %u: unexpected text after \"next\"", c.lineno);
		return FEED_E_MALFORMED;
	}
	crypto_generichash(out->hash, sizeof(out->hash), buf, len, NULL, 0);
	return FEED_OK;
}

int feed_keys_trusted_comment(const struct feed_keys *k, char *out, size_t outsize)
{
	char iss[21], exp[21], cur[17], nxt[17] = "none", hex[2 * FEED_HASH_BYTES + 1];
	int n;

	if (feed_time_format(k->issued, iss) < 0 || feed_time_format(k->expires, exp) < 0)
		return -1;
	minisign_keyid_hex(k->current.keyid, cur);
	if (k->has_next)
		minisign_keyid_hex(k->next.keyid, nxt);
	feed_hex(k->hash, sizeof(k->hash), hex);
	n = snprintf(out, outsize, KEYS_MAGIC " provider=%s serial=%llu issued=%s expires=%s "
		     "current=%s next=%s blake2b=%s", k->provider, (unsigned long long)k->serial,
		     iss, exp, cur, nxt, hex);
	return n < 0 || (size_t)n >= outsize ? -1 : 0;
}

enum feed_verdict feed_keys_verify(const uint8_t *body, size_t len, const char *sig_text,
				   size_t sig_len, const struct minisign_pubkey *keys, size_t nkeys,
				   time_t now, struct feed_keys *out, char *err, size_t errsize)
{
	const struct minisign_pubkey *pk = NULL;
	struct minisign_sig *sig = NULL;
	enum feed_verdict v;
	char tc[KEYS_TC_MAX];

	memset(out, 0, sizeof(*out));
	if (len > KEYS_SIZE_MAX) {
		snprintf(err, errsize, "keys document larger than %d bytes", KEYS_SIZE_MAX);
		return FEED_E_SIZE;
	}
	v = feed_signature_check(body, len, sig_text, sig_len, keys, nkeys, &sig, &pk, err, errsize);
	if (v != FEED_OK)
		goto out;
	v = feed_keys_parse(body, len, out, err, errsize);
	if (v != FEED_OK)
		goto out;
	if (feed_keys_trusted_comment(out, tc, sizeof(tc)) < 0 || strcmp(tc, sig->trusted_comment)) {
		snprintf(err, errsize, "trusted comment does not match the document");
		v = FEED_E_COMMENT;
		goto out;
	}
	/* Only the holder of the current key may announce its successor. */
	if (memcmp(out->current.keyid, pk->keyid, MINISIGN_KEYID_BYTES) != 0 ||
	    sodium_memcmp(out->current.pk, pk->pk, MINISIGN_PK_BYTES) != 0) {
		snprintf(err, errsize, "signed by a key that is not the document's current key");
		v = FEED_E_KEY_UNPINNED;
		goto out;
	}
	if ((int64_t)now >= out->expires) {
		snprintf(err, errsize, "keys document expired");
		v = FEED_E_EXPIRED;
		goto out;
	}
	out->verified = true;
	v = FEED_OK;
out:
	if (v != FEED_OK)
		memset(out, 0, sizeof(*out));
	free(sig);
	return v;
}

/* The bare base64 line of a public key. */
static int pubkey_b64(const struct minisign_pubkey *pk, char *out, size_t outsize)
{
	char file[160];
	const char *nl;

	if (minisign_pubkey_format(pk, file, sizeof(file)) < 0)
		return -1;
	nl = strchr(file, '\n');
	snprintf(out, outsize, "%.*s", (int)strcspn(nl + 1, "\n"), nl + 1);
	return 0;
}

int feed_keys_write(struct feed_keys *k, char **out, size_t *outlen)
{
	char iss[21], exp[21], cur[80], nxt[80] = "none", *buf;
	size_t size = 1024;
	int n;

	*out = NULL;
	if (feed_time_format(k->issued, iss) < 0 || feed_time_format(k->expires, exp) < 0 ||
	    pubkey_b64(&k->current, cur, sizeof(cur)) < 0 ||
	    (k->has_next && pubkey_b64(&k->next, nxt, sizeof(nxt)) < 0))
		return -1;
	buf = malloc(size);
	if (!buf)
		return -1;
	n = snprintf(buf, size, KEYS_MAGIC "\nprovider %s\nserial %llu\nissued %s\nexpires %s\n"
		     "current %s\nnext %s\n", k->provider, (unsigned long long)k->serial, iss, exp,
		     cur, nxt);
	if (n < 0 || (size_t)n >= size) {
		free(buf);
		return -1;
	}
	crypto_generichash(k->hash, sizeof(k->hash), (const uint8_t *)buf, (size_t)n, NULL, 0);
	*out = buf;
	*outlen = (size_t)n;
	return 0;
}

int feed_keys_sign(const uint8_t *body, size_t len, const struct minisign_seckey *sk,
		   char **sig_out, char *err, size_t errsize)
{
	struct feed_keys k;
	struct minisign_pubkey pk;
	char tc[KEYS_TC_MAX], perr[160];

	*sig_out = NULL;
	if (feed_keys_parse(body, len, &k, perr, sizeof(perr)) != FEED_OK) {
		snprintf(err, errsize, "not a valid keys document: %s", perr);
		return -1;
	}
	minisign_seckey_pubkey(sk, &pk);
	if (memcmp(pk.keyid, k.current.keyid, MINISIGN_KEYID_BYTES) != 0 ||
	    memcmp(pk.pk, k.current.pk, MINISIGN_PK_BYTES) != 0) {
		snprintf(err, errsize, "the keys document must be signed by its current key");
		return -1;
	}
	if (feed_keys_trusted_comment(&k, tc, sizeof(tc)) < 0) {
		snprintf(err, errsize, "cannot format the trusted comment");
		return -1;
	}
	return minisign_sign(sk, body, len, tc, "minewall feed keys signature", false, sig_out,
			     err, errsize);
}

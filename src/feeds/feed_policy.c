// SPDX-License-Identifier: GPL-2.0-or-later
/* Whether a verified feed may change what we block: replay, expiry and entry policy. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "conf.h"
#include "feed.h"
#include "feed_text.h"

#define STATE_MAGIC "minewall-feed-state 1"

void feed_policy_default(struct feed_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	/* minewalld's defaults (minewall.conf(5)): one set of limits. */
	pol->max_skew = CONF_FEED_SKEW;
	pol->max_validity = CONF_FEED_MAX_VALIDITY;
	pol->min_ttl = CONF_FEED_TTL_MIN;
	pol->max_ttl = CONF_FEED_TTL_MAX;
	pol->min_plen4 = CONF_FEED_MIN_PREFIX4;
	pol->min_plen6 = CONF_FEED_MIN_PREFIX6;
}

/* Whether two prefixes of one family share an address. */
static bool prefixes_overlap(const struct ep_entry *a, const struct ep_entry *b)
{
	unsigned int plen = a->plen < b->plen ? a->plen : b->plen, i;

	if (a->family != b->family)
		return false;
	for (i = 0; i < plen / 8; i++)
		if (a->addr[i] != b->addr[i])
			return false;
	if (plen % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - plen % 8));

		if ((a->addr[i] & mask) != (b->addr[i] & mask))
			return false;
	}
	return true;
}

/* An entry may not block what the gateway needs, nor whole swaths of the net. */
static enum feed_verdict entry_check(const struct feed_entry *e, const struct feed_policy *pol,
				     char *reason, size_t reasonsize)
{
	size_t i;

	if (e->type == FEED_T_DOMAIN) {
		/* A suffix-matched single label would block a whole TLD. */
		if (!strchr(e->value, '.')) {
			snprintf(reason, reasonsize, "domain \"%s\" is a single label", e->value);
			return FEED_E_BROAD;
		}
		return FEED_OK;
	}
	if (e->type == FEED_T_CIDR &&
	    e->ep.plen < (e->ep.family == AF_INET ? pol->min_plen4 : pol->min_plen6)) {
		snprintf(reason, reasonsize, "prefix %s is broader than /%u", e->value,
			 e->ep.family == AF_INET ? pol->min_plen4 : pol->min_plen6);
		return FEED_E_BROAD;
	}
	for (i = 0; i < pol->n_protect; i++) {
		if (prefixes_overlap(&e->ep, &pol->protect[i])) {
			snprintf(reason, reasonsize, "%s %s overlaps a protected range",
				 feed_type_str(e->type), e->value);
			return FEED_E_PROTECTED;
		}
	}
	return FEED_OK;
}

enum feed_verdict feed_accept(const struct feed_state *last, struct feed *f,
			      const struct feed_policy *pol, time_t now,
			      char *reason, size_t reasonsize)
{
	enum feed_verdict v;
	size_t i;

	snprintf(reason, reasonsize, "accepted");
	if (!f->verified) {
		snprintf(reason, reasonsize, "feed was not verified");
		return FEED_E_SIGNATURE;
	}
	if (pol->provider && strcmp(pol->provider, f->provider) != 0) {
		snprintf(reason, reasonsize, "provider \"%s\", expected \"%s\"", f->provider,
			 pol->provider);
		return FEED_E_PROVIDER;
	}
	if (last && last->have && strcmp(last->provider, f->provider) != 0) {
		snprintf(reason, reasonsize, "provider \"%s\", our state is for \"%s\"", f->provider,
			 last->provider);
		return FEED_E_PROVIDER;
	}
	/* Replays first: an old feed is a rollback even when it has expired. */
	if (last && last->have) {
		if (f->serial < last->serial) {
			snprintf(reason, reasonsize, "serial %llu is lower than the applied %llu",
				 (unsigned long long)f->serial, (unsigned long long)last->serial);
			return FEED_E_ROLLBACK;
		}
		if (f->serial == last->serial) {
			if (f->kind != last->kind) {
				snprintf(reason, reasonsize, "serial %llu already applied (from a %s)",
					 (unsigned long long)f->serial, feed_kind_str(last->kind));
				return FEED_UNCHANGED;
			}
			if (sodium_memcmp(f->hash, last->hash, FEED_HASH_BYTES) == 0) {
				snprintf(reason, reasonsize, "serial %llu already applied",
					 (unsigned long long)f->serial);
				return FEED_UNCHANGED;
			}
			snprintf(reason, reasonsize, "serial %llu already applied with other content",
				 (unsigned long long)f->serial);
			return FEED_E_CONFLICT;
		}
	}
	if ((int64_t)now >= f->expires) {
		snprintf(reason, reasonsize, "expired %lld seconds ago",
			 (long long)((int64_t)now - f->expires));
		return FEED_E_EXPIRED;
	}
	if (f->issued > (int64_t)now + pol->max_skew) {
		snprintf(reason, reasonsize, "issued %lld seconds in the future (skew allowed: %lld)",
			 (long long)(f->issued - (int64_t)now), (long long)pol->max_skew);
		return FEED_E_FUTURE;
	}
	/* A feed valid for years could be frozen by whoever replays it. */
	if (pol->max_validity && f->expires - f->issued > pol->max_validity) {
		snprintf(reason, reasonsize, "valid for %lld seconds, policy allows %lld",
			 (long long)(f->expires - f->issued), (long long)pol->max_validity);
		return FEED_E_EXPIRED;
	}
	if (f->kind == FEED_DELTA && !(last && last->have && f->base == last->serial)) {
		if (last && last->have)
			snprintf(reason, reasonsize, "delta on serial %llu, ours is %llu",
				 (unsigned long long)f->base, (unsigned long long)last->serial);
		else
			snprintf(reason, reasonsize, "delta on serial %llu, but no snapshot applied",
				 (unsigned long long)f->base);
		return FEED_E_BASE;
	}
	if (f->n_entries != f->announced) {
		snprintf(reason, reasonsize, "%zu entries, %llu announced", f->n_entries,
			 (unsigned long long)f->announced);
		return FEED_E_COUNT;
	}
	for (i = 0; i < f->n_entries; i++) {
		if (f->entries[i].op != FEED_ADD)
			continue;
		v = entry_check(&f->entries[i], pol, reason, reasonsize);
		if (v != FEED_OK)
			return v;
	}
	/* Accepted: only now touch the TTLs. */
	f->clamped = 0;
	for (i = 0; i < f->n_entries; i++) {
		struct feed_entry *e = &f->entries[i];

		if (e->op != FEED_ADD)
			continue;
		if (e->ttl < pol->min_ttl) {
			e->ttl = pol->min_ttl;
			f->clamped++;
		} else if (pol->max_ttl && e->ttl > pol->max_ttl) {
			e->ttl = pol->max_ttl;
			f->clamped++;
		}
	}
	if (f->clamped)
		snprintf(reason, reasonsize, "accepted, %u TTLs clamped", f->clamped);
	return FEED_OK;
}

void feed_state_update(struct feed_state *st, const struct feed *f)
{
	st->have = true;
	memcpy(st->provider, f->provider, sizeof(st->provider));
	st->serial = f->serial;
	st->kind = f->kind;
	st->expires = f->expires;
	memcpy(st->hash, f->hash, sizeof(st->hash));
}

int feed_state_format(const struct feed_state *st, char *out, size_t outsize)
{
	char hex[2 * FEED_HASH_BYTES + 1], exp[21];
	int n;

	if (!st->have || feed_time_format(st->expires, exp) < 0)
		return -1;
	feed_hex(st->hash, sizeof(st->hash), hex);
	n = snprintf(out, outsize, STATE_MAGIC " provider=%s serial=%llu kind=%s expires=%s "
		     "blake2b=%s\n", st->provider, (unsigned long long)st->serial,
		     feed_kind_str(st->kind), exp, hex);
	return n < 0 || (size_t)n >= outsize ? -1 : 0;
}

/* "key=value" followed by a space or the end; advances *p. */
static bool field(const char **p, const char *end, const char *key, const char **v, size_t *vl)
{
	size_t kl = strlen(key);
	const char *sp;

	if ((size_t)(end - *p) < kl + 1 || memcmp(*p, key, kl) != 0 || (*p)[kl] != '=')
		return false;
	*v = *p + kl + 1;
	sp = memchr(*v, ' ', (size_t)(end - *v));
	*vl = sp ? (size_t)(sp - *v) : (size_t)(end - *v);
	*p = sp ? sp + 1 : end;
	return true;
}

int feed_state_parse(const char *text, size_t len, struct feed_state *st, char *err, size_t errsize)
{
	struct feed_cursor c = { text, len, 0, 0 };
	const char *l, *p, *end, *v;
	size_t ll, vl, i;
	char hex[3];

	memset(st, 0, sizeof(*st));
	if (feed_next_line(&c, 512, &l, &ll) != FEED_LINE_OK ||
	    ll < sizeof(STATE_MAGIC) || memcmp(l, STATE_MAGIC " ", sizeof(STATE_MAGIC)) != 0)
		goto bad;
	p = l + sizeof(STATE_MAGIC);
	end = l + ll;
	if (!field(&p, end, "provider", &v, &vl) || !feed_provider_valid(v, vl))
		goto bad;
	memcpy(st->provider, v, vl);
	if (!field(&p, end, "serial", &v, &vl) || feed_u64_parse(v, vl, &st->serial) < 0)
		goto bad;
	/* Written since deltas are fetched; a line without it is a snapshot's. */
	if (field(&p, end, "kind", &v, &vl)) {
		if (vl == 5 && memcmp(v, "delta", 5) == 0)
			st->kind = FEED_DELTA;
		else if (!(vl == 8 && memcmp(v, "snapshot", 8) == 0))
			goto bad;
	}
	if (!field(&p, end, "expires", &v, &vl) || feed_time_parse(v, vl, &st->expires) < 0)
		goto bad;
	if (!field(&p, end, "blake2b", &v, &vl) || vl != 2 * FEED_HASH_BYTES || p != end)
		goto bad;
	for (i = 0; i < FEED_HASH_BYTES; i++) {
		unsigned int b;

		memcpy(hex, v + 2 * i, 2);
		hex[2] = '\0';
		if (!strchr("0123456789abcdef", hex[0]) || !strchr("0123456789abcdef", hex[1]) ||
		    sscanf(hex, "%2x", &b) != 1)
			goto bad;
		st->hash[i] = (uint8_t)b;
	}
	st->have = true;
	return 0;
bad:
	memset(st, 0, sizeof(*st));
	snprintf(err, errsize, "line 1: expected \"%s provider=P serial=N [kind=K] expires=T "
		 "blake2b=HEX\"",
		 STATE_MAGIC);
	return -1;
}

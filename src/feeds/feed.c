// SPDX-License-Identifier: GPL-2.0-or-later
/* The feed file: entries, bounded parser, trusted comment and verification. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "conf.h"
#include "feed.h"
#include "feed_text.h"


static const char *const verdict_names[FEED_VERDICT_MAX] = {
	[FEED_OK] = "ok",
	[FEED_UNCHANGED] = "unchanged",
	[FEED_E_SIGNATURE] = "bad signature",
	[FEED_E_KEY_UNPINNED] = "key not pinned",
	[FEED_E_COMMENT] = "trusted comment does not match the header",
	[FEED_E_LEGACY] = "legacy non-prehashed signature",
	[FEED_E_ROLLBACK] = "rollback",
	[FEED_E_CONFLICT] = "same serial with different content",
	[FEED_E_EXPIRED] = "expired",
	[FEED_E_FUTURE] = "issued in the future",
	[FEED_E_BASE] = "delta base is not our serial",
	[FEED_E_SIZE] = "too large",
	[FEED_E_COUNT] = "entry count",
	[FEED_E_MALFORMED] = "malformed",
	[FEED_E_PROTECTED] = "entry covers a protected range",
	[FEED_E_BROAD] = "entry too broad",
	[FEED_E_PROVIDER] = "wrong provider",
	[FEED_E_SYSTEM] = "system error",
};

static const char *const type_names[] = { "ip", "cidr", "ip:port", "domain" };

const char *feed_verdict_str(enum feed_verdict v)
{
	return (unsigned int)v < FEED_VERDICT_MAX ? verdict_names[v] : "unknown";
}

const char *feed_kind_str(enum feed_kind k)
{
	return k == FEED_DELTA ? "delta" : "snapshot";
}

const char *feed_type_str(enum feed_type t)
{
	return (unsigned int)t < 4 ? type_names[t] : "?";
}

void feed_limits_default(struct feed_limits *lim)
{
	/* minewalld's defaults for a subscription (minewall.conf(5)). */
	lim->max_size = CONF_FEED_MAX_SIZE;
	lim->max_entries = CONF_FEED_MAX_ENTRIES;
	lim->max_line = 1024;
}

void feed_fini(struct feed *f)
{
	free(f->entries);
	memset(f, 0, sizeof(*f));
}

/* Canonical text of an address entry of the given type. */
static int ep_format(const struct ep_entry *e, enum feed_type t, char *out, size_t outsize)
{
	char a[INET6_ADDRSTRLEN];
	int n;

	if (!inet_ntop(e->family, e->addr, a, sizeof(a)))
		return -1;
	if (t == FEED_T_CIDR)
		n = snprintf(out, outsize, "%s/%u", a, e->plen);
	else if (t == FEED_T_IPPORT)
		n = snprintf(out, outsize, e->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, e->port);
	else
		n = snprintf(out, outsize, "%s", a);
	return n < 0 || (size_t)n >= outsize ? -1 : 0;
}

/* LDH labels of 1-63, 253 in all, already lower case. */
static int domain_check(const char *s, size_t len)
{
	size_t i, lab = 0;

	if (len == 0 || len > 253)
		return -1;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return -1;
			lab = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return -1;
		if (ch == '-' && lab == 0)
			return -1;
		if (++lab > 63)
			return -1;
	}
	return lab == 0 || s[len - 1] == '-' ? -1 : 0;
}

static int reason_check(const char *s, size_t len)
{
	size_t i;

	if (len >= FEED_REASON_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			return -1;
	}
	return 0;
}

static int type_from(const char *s, size_t len)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (strlen(type_names[i]) == len && memcmp(type_names[i], s, len) == 0)
			return (int)i;
	}
	return -1;
}

/* Validate value for type into e; strict requires the canonical spelling. */
static int value_set(struct feed_entry *e, enum feed_type t, const char *v, size_t vl,
		     bool strict, char *err, size_t errsize)
{
	char buf[FEED_VALUE_MAX], canon[FEED_VALUE_MAX];
	size_t i;

	if (vl == 0 || vl >= sizeof(buf)) {
		snprintf(err, errsize, "value length must be 1-%d", FEED_VALUE_MAX - 1);
		return -1;
	}
	memcpy(buf, v, vl);
	buf[vl] = '\0';
	if (t == FEED_T_DOMAIN) {
		if (!strict) {
			if (vl > 1 && buf[vl - 1] == '.')
				buf[--vl] = '\0';
			for (i = 0; i < vl; i++)
				if (buf[i] >= 'A' && buf[i] <= 'Z')
					buf[i] = (char)(buf[i] - 'A' + 'a');
		}
		if (domain_check(buf, vl) < 0) {
			snprintf(err, errsize, "invalid domain name \"%s\"", buf);
			return -1;
		}
		memset(&e->ep, 0, sizeof(e->ep));
		memcpy(e->value, buf, vl + 1);
		return 0;
	}
	if (ep_parse(buf, &e->ep, err, errsize) < 0)
		return -1;
	if (t == FEED_T_IP && (e->ep.port || strchr(buf, '/'))) {
		snprintf(err, errsize, "type ip takes a bare address, not \"%s\"", buf);
		return -1;
	}
	if (t == FEED_T_CIDR && (e->ep.port || !strchr(buf, '/'))) {
		snprintf(err, errsize, "type cidr takes address/length, not \"%s\"", buf);
		return -1;
	}
	if (t == FEED_T_IPPORT && (!e->ep.port || strchr(buf, '/'))) {
		snprintf(err, errsize, "type ip:port takes address:port, not \"%s\"", buf);
		return -1;
	}
	if (ep_format(&e->ep, t, canon, sizeof(canon)) < 0) {
		snprintf(err, errsize, "cannot format \"%s\"", buf);
		return -1;
	}
	if (strict && strcmp(canon, buf) != 0) {
		snprintf(err, errsize, "\"%s\" is not canonical (write \"%s\")", buf, canon);
		return -1;
	}
	memcpy(e->value, canon, strlen(canon) + 1);
	return 0;
}

int feed_entry_set(struct feed_entry *e, enum feed_op op, const char *type, const char *value,
		   uint64_t ttl, const char *reason, char *err, size_t errsize)
{
	struct ep_entry probe;
	char perr[8];
	int t;

	memset(e, 0, sizeof(*e));
	if (!reason)
		reason = "";
	if (type) {
		t = type_from(type, strlen(type));
		if (t < 0) {
			snprintf(err, errsize, "unknown type \"%s\" (ip, cidr, ip:port, domain)", type);
			return -1;
		}
	} else if (strchr(value, '/')) {
		t = FEED_T_CIDR;
	} else if (ep_parse(value, &probe, perr, sizeof(perr)) == 0) {
		t = probe.port ? FEED_T_IPPORT : FEED_T_IP;
	} else {
		t = FEED_T_DOMAIN;
	}
	if (reason_check(reason, strlen(reason)) < 0) {
		snprintf(err, errsize, "reason longer than %d bytes or with control characters",
			 FEED_REASON_MAX - 1);
		return -1;
	}
	if (value_set(e, (enum feed_type)t, value, strlen(value), false, err, errsize) < 0)
		return -1;
	e->op = (uint8_t)op;
	e->type = (uint8_t)t;
	e->ttl = ttl;
	memcpy(e->reason, reason, strlen(reason) + 1);
	return 0;
}

int feed_entry_cmp(const struct feed_entry *a, const struct feed_entry *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return strcmp(a->value, b->value);
}

/* "add ip 192.0.2.1 3600 reason" */
static int entry_parse(const char *l, size_t ll, bool snapshot, struct feed_entry *e,
		       char *err, size_t errsize)
{
	const char *f[4], *end = l + ll, *p = l;
	size_t fl[4];
	unsigned int i;
	int t;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < 4; i++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));

		f[i] = p;
		fl[i] = sp ? (size_t)(sp - p) : (size_t)(end - p);
		if (fl[i] == 0 || (!sp && i < 3)) {
			snprintf(err, errsize, "expected \"add|del TYPE VALUE TTL [REASON]\"");
			return -1;
		}
		p = sp ? sp + 1 : end;
		if (!sp)
			break;
	}
	if (fl[0] == 3 && memcmp(f[0], "add", 3) == 0) {
		e->op = FEED_ADD;
	} else if (fl[0] == 3 && memcmp(f[0], "del", 3) == 0 && !snapshot) {
		e->op = FEED_DEL;
	} else {
		snprintf(err, errsize, snapshot ? "a snapshot only has \"add\" entries" :
			 "operation must be \"add\" or \"del\"");
		return -1;
	}
	t = type_from(f[1], fl[1]);
	if (t < 0) {
		snprintf(err, errsize, "unknown type \"%.*s\" (ip, cidr, ip:port, domain)",
			 (int)(fl[1] > 16 ? 16 : fl[1]), f[1]);
		return -1;
	}
	e->type = (uint8_t)t;
	if (value_set(e, (enum feed_type)t, f[2], fl[2], true, err, errsize) < 0)
		return -1;
	if (feed_u64_parse(f[3], fl[3], &e->ttl) < 0) {
		snprintf(err, errsize, "TTL must be a decimal number of seconds");
		return -1;
	}
	if (p < end || (p == end && end[-1] == ' ')) {
		size_t rl = (size_t)(end - p);

		if (rl == 0 || reason_check(p, rl) < 0) {
			snprintf(err, errsize, "reason must be 1-%d bytes of text", FEED_REASON_MAX - 1);
			return -1;
		}
		memcpy(e->reason, p, rl);
		e->reason[rl] = '\0';
	}
	return 0;
}

static int header_u64(struct feed_cursor *c, const struct feed_limits *lim, const char *key,
		      uint64_t *out, char *err, size_t errsize)
{
	const char *v;
	size_t vl;

	if (feed_kv_line(c, lim->max_line, key, &v, &vl, err, errsize) < 0)
		return -1;
	if (feed_u64_parse(v, vl, out) < 0) {
		snprintf(err, errsize, "line %u: %s must be a decimal number", c->lineno, key);
		return -1;
	}
	return 0;
}

static int header_time(struct feed_cursor *c, const struct feed_limits *lim, const char *key,
		       int64_t *out, char *err, size_t errsize)
{
	const char *v;
	size_t vl;

	if (feed_kv_line(c, lim->max_line, key, &v, &vl, err, errsize) < 0)
		return -1;
	if (feed_time_parse(v, vl, out) < 0) {
		snprintf(err, errsize, "line %u: %s must be YYYY-MM-DDTHH:MM:SSZ", c->lineno, key);
		return -1;
	}
	return 0;
}

static int header_parse(struct feed_cursor *c, const struct feed_limits *lim, struct feed *f,
			char *err, size_t errsize)
{
	enum feed_line_status st;
	const char *l, *v;
	size_t ll, vl;

	st = feed_next_line(c, lim->max_line, &l, &ll);
	if (st != FEED_LINE_OK || ll != strlen(FEED_MAGIC) || memcmp(l, FEED_MAGIC, ll) != 0) {
		snprintf(err, errsize, "line 1: expected \"%s\"", FEED_MAGIC);
		return -1;
	}
	if (feed_kv_line(c, lim->max_line, "provider", &v, &vl, err, errsize) < 0)
		return -1;
	if (!feed_provider_valid(v, vl)) {
		snprintf(err, errsize, "line %u: provider must be 1-63 of [A-Za-z0-9._-]", c->lineno);
		return -1;
	}
	memcpy(f->provider, v, vl);
	f->provider[vl] = '\0';
	if (feed_kv_line(c, lim->max_line, "kind", &v, &vl, err, errsize) < 0)
		return -1;
	if (vl == 8 && memcmp(v, "snapshot", 8) == 0) {
		f->kind = FEED_SNAPSHOT;
	} else if (vl == 5 && memcmp(v, "delta", 5) == 0) {
		f->kind = FEED_DELTA;
	} else {
		snprintf(err, errsize, "line %u: kind must be \"snapshot\" or \"delta\"", c->lineno);
		return -1;
	}
	if (header_u64(c, lim, "serial", &f->serial, err, errsize) < 0)
		return -1;
	if (f->kind == FEED_DELTA) {
		if (header_u64(c, lim, "base", &f->base, err, errsize) < 0)
			return -1;
		if (f->base >= f->serial) {
			snprintf(err, errsize, "line %u: base must be lower than serial", c->lineno);
			return -1;
		}
	}
	if (header_time(c, lim, "issued", &f->issued, err, errsize) < 0 ||
	    header_time(c, lim, "expires", &f->expires, err, errsize) < 0)
		return -1;
	if (f->expires <= f->issued) {
		snprintf(err, errsize, "line %u: expires must be later than issued", c->lineno);
		return -1;
	}
	if (header_u64(c, lim, "entries", &f->announced, err, errsize) < 0)
		return -1;
	st = feed_next_line(c, lim->max_line, &l, &ll);
	if (st != FEED_LINE_OK || ll != 0) {
		snprintf(err, errsize, "line %u: expected an empty line after the header", c->lineno);
		return -1;
	}
	return 0;
}

enum feed_verdict feed_parse(const uint8_t *buf, size_t len, const struct feed_limits *lim,
			     struct feed *out, char *err, size_t errsize)
{
	struct feed_cursor c = { (const char *)buf, len, 0, 0 };
	enum feed_verdict v = FEED_E_MALFORMED;
	enum feed_line_status st;
	const char *l;
	size_t ll;
	char eerr[160];

	memset(out, 0, sizeof(*out));
	snprintf(err, errsize, "no error");
	if (len > lim->max_size) {
		snprintf(err, errsize, "feed of %zu bytes exceeds the limit of %zu", len, lim->max_size);
		return FEED_E_SIZE;
	}
	if (header_parse(&c, lim, out, err, errsize) < 0)
		goto out;
	if (out->announced > lim->max_entries) {
		snprintf(err, errsize, "line %u: %llu entries announced, the limit is %zu",
			 c.lineno - 1, (unsigned long long)out->announced, lim->max_entries);
		v = FEED_E_COUNT;
		goto out;
	}
	if (out->announced) {
		out->entries = calloc((size_t)out->announced, sizeof(*out->entries));
		if (!out->entries) {
			snprintf(err, errsize, "out of memory for %llu entries",
				 (unsigned long long)out->announced);
			v = FEED_E_SYSTEM;
			goto out;
		}
	}
	while ((st = feed_next_line(&c, lim->max_line, &l, &ll)) == FEED_LINE_OK) {
		struct feed_entry *e;

		if (out->n_entries == out->announced) {
			snprintf(err, errsize, "line %u: more entries than the %llu announced",
				 c.lineno, (unsigned long long)out->announced);
			v = FEED_E_COUNT;
			goto out;
		}
		e = &out->entries[out->n_entries];
		if (entry_parse(l, ll, out->kind == FEED_SNAPSHOT, e, eerr, sizeof(eerr)) < 0) {
			snprintf(err, errsize, "line %u: %s", c.lineno, eerr);
			goto out;
		}
		/* Canonical order makes duplicates adjacent and content comparable. */
		if (out->n_entries && feed_entry_cmp(e - 1, e) >= 0) {
			snprintf(err, errsize, "line %u: entry out of order or duplicated "
				 "(sorted by type, then value)", c.lineno);
			goto out;
		}
		out->n_entries++;
	}
	if (st != FEED_LINE_END) {
		snprintf(err, errsize, "line %u: %s", c.lineno, feed_line_error(st));
		goto out;
	}
	if (out->n_entries != out->announced) {
		snprintf(err, errsize, "line %u: %zu entries, %llu announced", c.lineno + 1,
			 out->n_entries, (unsigned long long)out->announced);
		v = FEED_E_COUNT;
		goto out;
	}
	crypto_generichash(out->hash, sizeof(out->hash), buf, len, NULL, 0);
	v = FEED_OK;
out:
	if (v != FEED_OK) {
		free(out->entries);
		out->entries = NULL;
		out->n_entries = 0;
	}
	return v;
}

int feed_trusted_comment(const struct feed *f, char *out, size_t outsize)
{
	char iss[21], exp[21], base[32] = "", hex[2 * FEED_HASH_BYTES + 1];
	int n;

	if (feed_time_format(f->issued, iss) < 0 || feed_time_format(f->expires, exp) < 0)
		return -1;
	if (f->kind == FEED_DELTA)
		snprintf(base, sizeof(base), " base=%llu", (unsigned long long)f->base);
	feed_hex(f->hash, sizeof(f->hash), hex);
	n = snprintf(out, outsize, FEED_MAGIC " provider=%s kind=%s serial=%llu%s issued=%s "
		     "expires=%s entries=%llu blake2b=%s", f->provider, feed_kind_str(f->kind),
		     (unsigned long long)f->serial, base, iss, exp,
		     (unsigned long long)f->announced, hex);
	return n < 0 || (size_t)n >= outsize ? -1 : 0;
}

enum feed_verdict feed_signature_check(const uint8_t *body, size_t len, const char *sig_text,
					size_t sig_len, const struct minisign_pubkey *keys, size_t nkeys,
					struct minisign_sig **sig_out,
					const struct minisign_pubkey **key_out, char *err, size_t errsize)
{
	const struct minisign_pubkey *pk = NULL;
	struct minisign_sig *sig;
	enum minisign_fail why;
	char hex[17];
	size_t i;

	*sig_out = NULL;
	sig = malloc(sizeof(*sig));
	if (!sig) {
		snprintf(err, errsize, "out of memory");
		return FEED_E_SYSTEM;
	}
	if (minisign_sig_parse(sig_text, sig_len, sig, err, errsize) < 0)
		goto fail;
	if (!sig->prehashed) {
		snprintf(err, errsize, "legacy (non-prehashed) signature refused");
		free(sig);
		return FEED_E_LEGACY;
	}
	for (i = 0; i < nkeys && !pk; i++)
		if (memcmp(keys[i].keyid, sig->keyid, MINISIGN_KEYID_BYTES) == 0)
			pk = &keys[i];
	if (!pk) {
		minisign_keyid_hex(sig->keyid, hex);
		snprintf(err, errsize, "signed by key %s, which is not pinned", hex);
		free(sig);
		return FEED_E_KEY_UNPINNED;
	}
	if (minisign_verify(sig, pk, body, len, true, &why, err, errsize) < 0) {
		free(sig);
		return why == MINISIGN_FAIL_LEGACY ? FEED_E_LEGACY : FEED_E_SIGNATURE;
	}
	*sig_out = sig;
	if (key_out)
		*key_out = pk;
	return FEED_OK;
fail:
	free(sig);
	return FEED_E_SIGNATURE;
}

enum feed_verdict feed_verify(const uint8_t *body, size_t len, const char *sig_text, size_t sig_len,
			      const struct minisign_pubkey *keys, size_t nkeys,
			      const struct feed_limits *lim, struct feed *out,
			      char *err, size_t errsize)
{
	struct minisign_sig *sig = NULL;
	enum feed_verdict v;
	char tc[FEED_TC_MAX];

	memset(out, 0, sizeof(*out));
	/* Bound the work before any hashing. */
	if (len > lim->max_size) {
		snprintf(err, errsize, "feed of %zu bytes exceeds the limit of %zu", len, lim->max_size);
		return FEED_E_SIZE;
	}
	v = feed_signature_check(body, len, sig_text, sig_len, keys, nkeys, &sig, NULL, err, errsize);
	if (v != FEED_OK)
		goto out;
	/* Only now is the body worth parsing. */
	v = feed_parse(body, len, lim, out, err, errsize);
	if (v != FEED_OK)
		goto out;
	if (feed_trusted_comment(out, tc, sizeof(tc)) < 0 || strcmp(tc, sig->trusted_comment) != 0) {
		snprintf(err, errsize, "trusted comment \"%.200s\" does not match the header",
			 sig->trusted_comment);
		v = FEED_E_COMMENT;
		goto out;
	}
	out->verified = true;
	memcpy(out->keyid, sig->keyid, sizeof(out->keyid));
	v = FEED_OK;
out:
	if (v != FEED_OK)
		feed_fini(out);
	free(sig);
	return v;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Building feeds: snapshots from entries, deltas between snapshots, canonical text, signing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "feed.h"
#include "feed_text.h"

int feed_write(struct feed *f, char **out, size_t *outlen)
{
	char iss[21], exp[21];
	size_t size = 512 + f->n_entries * (16 + FEED_VALUE_MAX + 24 + FEED_REASON_MAX), pos = 0, i;
	char *buf;
	int n;

	*out = NULL;
	if (feed_time_format(f->issued, iss) < 0 || feed_time_format(f->expires, exp) < 0)
		return -1;
	buf = malloc(size);
	if (!buf)
		return -1;
	f->announced = f->n_entries;
	n = snprintf(buf, size, FEED_MAGIC "\nprovider %s\nkind %s\nserial %llu\n", f->provider,
		     feed_kind_str(f->kind), (unsigned long long)f->serial);
	pos += (size_t)n;
	if (f->kind == FEED_DELTA)
		pos += (size_t)snprintf(buf + pos, size - pos, "base %llu\n",
					(unsigned long long)f->base);
	pos += (size_t)snprintf(buf + pos, size - pos, "issued %s\nexpires %s\nentries %zu\n\n",
				iss, exp, f->n_entries);
	for (i = 0; i < f->n_entries; i++) {
		const struct feed_entry *e = &f->entries[i];

		n = snprintf(buf + pos, size - pos, "%s %s %s %llu%s%s\n",
			     e->op == FEED_DEL ? "del" : "add", feed_type_str(e->type), e->value,
			     (unsigned long long)e->ttl, e->reason[0] ? " " : "", e->reason);
		if (n < 0 || (size_t)n >= size - pos) {
			free(buf);
			return -1;
		}
		pos += (size_t)n;
	}
	crypto_generichash(f->hash, sizeof(f->hash), (const uint8_t *)buf, pos, NULL, 0);
	*out = buf;
	*outlen = pos;
	return 0;
}

static int qsort_entry_cmp(const void *a, const void *b)
{
	const struct feed_entry *x = a, *y = b;
	int c = feed_entry_cmp(x, y);

	/* Among duplicates the longest TTL, then the greatest reason, sorts last. */
	if (c == 0)
		c = x->ttl != y->ttl ? (x->ttl < y->ttl ? -1 : 1) : strcmp(x->reason, y->reason);
	return c;
}

static int feed_header_set(struct feed *out, const char *provider, enum feed_kind kind,
			   uint64_t serial, int64_t issued, int64_t expires, char *err, size_t errsize)
{
	char t[21];

	if (!feed_provider_valid(provider, strlen(provider))) {
		snprintf(err, errsize, "provider must be 1-63 of [A-Za-z0-9._-]");
		return -1;
	}
	if (feed_time_format(issued, t) < 0 || feed_time_format(expires, t) < 0 ||
	    expires <= issued) {
		snprintf(err, errsize, "issued and expires must be valid times, expires later");
		return -1;
	}
	memcpy(out->provider, provider, strlen(provider) + 1);
	out->kind = kind;
	out->serial = serial;
	out->issued = issued;
	out->expires = expires;
	return 0;
}

int feed_build_snapshot(struct feed *out, const char *provider, uint64_t serial,
			int64_t issued, int64_t expires, const struct feed_entry *e, size_t n,
			char *err, size_t errsize)
{
	size_t i, m = 0;

	memset(out, 0, sizeof(*out));
	if (feed_header_set(out, provider, FEED_SNAPSHOT, serial, issued, expires, err, errsize) < 0)
		return -1;
	if (n == 0)
		return 0;
	out->entries = calloc(n, sizeof(*e));
	if (!out->entries) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	memcpy(out->entries, e, n * sizeof(*e));
	if (n)
		qsort(out->entries, n, sizeof(*e), qsort_entry_cmp);
	for (i = 0; i < n; i++) {
		if (i + 1 < n && feed_entry_cmp(&out->entries[i], &out->entries[i + 1]) == 0)
			continue;
		out->entries[m] = out->entries[i];
		out->entries[m++].op = FEED_ADD;
	}
	out->n_entries = m;
	out->announced = m;
	return 0;
}

int feed_build_delta(struct feed *out, const struct feed *prev, const struct feed *next,
		     char *err, size_t errsize)
{
	size_t i = 0, j = 0, m = 0;

	memset(out, 0, sizeof(*out));
	if (prev->kind != FEED_SNAPSHOT || next->kind != FEED_SNAPSHOT ||
	    strcmp(prev->provider, next->provider) != 0 || next->serial <= prev->serial) {
		snprintf(err, errsize, "a delta needs two snapshots of one provider, "
			 "the next with a higher serial");
		return -1;
	}
	if (feed_header_set(out, next->provider, FEED_DELTA, next->serial, next->issued,
			    next->expires, err, errsize) < 0)
		return -1;
	out->base = prev->serial;
	if (prev->n_entries + next->n_entries == 0)
		return 0;
	out->entries = calloc(prev->n_entries + next->n_entries, sizeof(*out->entries));
	if (!out->entries) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	/* Both are sorted: one merge pass. */
	while (i < prev->n_entries || j < next->n_entries) {
		int c = i == prev->n_entries ? 1 : j == next->n_entries ? -1 :
			feed_entry_cmp(&prev->entries[i], &next->entries[j]);
		struct feed_entry *o = &out->entries[m];

		if (c < 0) {
			*o = prev->entries[i++];
			o->op = FEED_DEL;
			o->ttl = 0;
			o->reason[0] = '\0';
			m++;
		} else if (c > 0) {
			*o = next->entries[j++];
			o->op = FEED_ADD;
			m++;
		} else {
			const struct feed_entry *a = &prev->entries[i++], *b = &next->entries[j++];

			if (a->ttl != b->ttl || strcmp(a->reason, b->reason) != 0) {
				*o = *b;
				o->op = FEED_ADD;
				m++;
			}
		}
	}
	out->n_entries = m;
	out->announced = m;
	return 0;
}

int feed_sign(const uint8_t *body, size_t len, const struct minisign_seckey *sk,
	      char **sig_out, char *err, size_t errsize)
{
	struct feed_limits lim = { len, SIZE_MAX / sizeof(struct feed_entry), 4096 };
	struct feed f;
	char tc[FEED_TC_MAX], perr[200];
	int ret = -1;

	*sig_out = NULL;
	if (feed_parse(body, len, &lim, &f, perr, sizeof(perr)) != FEED_OK) {
		snprintf(err, errsize, "not a valid feed: %s", perr);
		return -1;
	}
	if (feed_trusted_comment(&f, tc, sizeof(tc)) < 0) {
		snprintf(err, errsize, "cannot format the trusted comment");
		goto out;
	}
	ret = minisign_sign(sk, body, len, tc, "minewall feed signature", false, sig_out,
			    err, errsize);
out:
	feed_fini(&f);
	return ret;
}

/* cur's entries under f's: where both name an entry, f's wins; dels are kept
 * when the result is a delta, dropped when it is a set. */
static int merge(const struct feed_entry *ce, size_t ncur, const struct feed *f, bool keep_dels,
		 struct feed *out)
{
	size_t i = 0, j = 0;

	out->entries = calloc(ncur + f->n_entries ? ncur + f->n_entries : 1, sizeof(*out->entries));
	if (!out->entries)
		return -1;
	while (i < ncur || j < f->n_entries) {
		int c = i == ncur ? 1 : j == f->n_entries ? -1 :
			feed_entry_cmp(&ce[i], &f->entries[j]);
		const struct feed_entry *e;

		if (c < 0) {
			e = &ce[i++];
		} else {
			e = &f->entries[j++];
			if (c == 0)
				i++;
		}
		if (e->op == FEED_ADD || keep_dels)
			out->entries[out->n_entries++] = *e;
	}
	out->announced = out->n_entries;
	return 0;
}

int feed_merge(const struct feed *cur, const struct feed *f, struct feed *out)
{
	*out = *f;
	out->entries = NULL;
	out->n_entries = 0;
	out->kind = FEED_SNAPSHOT;
	out->base = 0;
	return merge(cur->entries, f->kind == FEED_DELTA ? cur->n_entries : 0, f, false, out);
}

int feed_compose(const struct feed *d1, const struct feed *d2, struct feed *out)
{
	if (d1->kind != FEED_DELTA || d2->kind != FEED_DELTA || d2->base != d1->serial)
		return -1;
	*out = *d2;
	out->entries = NULL;
	out->n_entries = 0;
	out->base = d1->base;
	return merge(d1->entries, d1->n_entries, d2, true, out);
}

int feed_merge_into(struct feed *cur, const struct feed *f)
{
	size_t n = cur->n_entries, m = f->n_entries, k, out;
	size_t i = n, j = m;
	struct feed_entry *e;

	if (f->kind != FEED_DELTA)
		return -1;
	/* A large set grows in place (realloc moves pages, it does not copy
	 * them): a delta of a few thousand entries costs one pass over the set,
	 * not a fresh copy of it. */
	e = realloc(cur->entries, (n + m ? n + m : 1) * sizeof(*e));
	if (!e)
		return -1;
	cur->entries = e;
	/* Backwards, writing at k >= i: where f names an entry, f decides. */
	k = n + m;
	while (j > 0) {
		const struct feed_entry *d = &f->entries[j - 1];
		int c = i ? feed_entry_cmp(&e[i - 1], d) : -1;

		if (c > 0) {
			e[--k] = e[--i];
			continue;
		}
		if (c == 0)
			i--;
		if (d->op == FEED_ADD)
			e[--k] = *d;
		j--;
	}
	/* e[0..i) stays; e[k..n+m) follows it. */
	out = i + (n + m - k);
	if (k != i)
		memmove(e + i, e + k, (n + m - k) * sizeof(*e));
	{
		struct feed_entry *keep = cur->entries;

		*cur = *f;
		cur->entries = keep;
	}
	cur->n_entries = out;
	cur->announced = out;
	cur->kind = FEED_SNAPSHOT;
	cur->base = 0;
	return 0;
}

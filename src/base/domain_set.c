// SPDX-License-Identifier: GPL-2.0-or-later
/* A set of domain names with suffix matching: one hash lookup per label boundary. */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_set.h"

#define DS_NAME_MAX 253
#define DS_LABEL_MAX 63

/* An entry covers its own name (apex) and/or its subdomains (sub). */
#define DS_F_APEX 0x1
#define DS_F_SUB 0x2

struct ds_entry {
	uint32_t hash;
	uint32_t off;		/* offset of the lower-case name in names */
	uint8_t len;
	uint8_t flags;
	uint32_t tag[2];	/* caller's bits for the apex and the subdomains (DS_T_*) */
};

#define DS_T_APEX 0
#define DS_T_SUB 1

struct domain_set {
	struct ds_entry *ent;
	size_t n, cap;
	uint32_t *slot;		/* open addressing: entry index + 1, 0 = empty */
	size_t nslots;		/* power of two */
	char *names;
	size_t names_len, names_cap;
};

static uint32_t ds_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

struct domain_set *domain_set_new(void)
{
	return calloc(1, sizeof(struct domain_set));
}

void domain_set_free(struct domain_set *ds)
{
	if (!ds)
		return;
	free(ds->ent);
	free(ds->slot);
	free(ds->names);
	free(ds);
}

size_t domain_set_count(const struct domain_set *ds)
{
	return ds ? ds->n : 0;
}

static long ds_find(const struct domain_set *ds, const char *s, size_t len, uint32_t h)
{
	size_t mask, i;

	if (!ds->nslots)
		return -1;
	mask = ds->nslots - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		uint32_t v = ds->slot[i];
		const struct ds_entry *e;

		if (!v)
			return -1;
		e = &ds->ent[v - 1];
		if (e->hash == h && e->len == len && memcmp(ds->names + e->off, s, len) == 0)
			return (long)(v - 1);
	}
}

static int ds_grow_slots(struct domain_set *ds)
{
	size_t ns = ds->nslots ? ds->nslots * 2 : 256, i;
	uint32_t *slot = calloc(ns, sizeof(*slot));

	if (!slot)
		return -1;
	for (i = 0; i < ds->n; i++) {
		size_t j = ds->ent[i].hash & (ns - 1);

		while (slot[j])
			j = (j + 1) & (ns - 1);
		slot[j] = (uint32_t)(i + 1);
	}
	free(ds->slot);
	ds->slot = slot;
	ds->nslots = ns;
	return 0;
}

/* Lower-cases and checks a listed name: labels of 1..63 letters, digits, '-' or '_'. */
static int ds_normalize(const char *name, char *out, size_t *outlen)
{
	size_t len = strlen(name), i, label = 0;

	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DS_NAME_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > DS_LABEL_MAX)
				return -1;
		} else {
			return -1;
		}
		out[i] = (char)tolower(c);
	}
	if (label == 0)
		return -1;
	out[len] = '\0';
	*outlen = len;
	return 0;
}

int domain_set_add(struct domain_set *ds, const char *name)
{
	return domain_set_add_tag(ds, name, 0);
}

int domain_set_add_tag(struct domain_set *ds, const char *name, uint32_t tag)
{
	char norm[DS_NAME_MAX + 1];
	uint8_t flag = DS_F_APEX | DS_F_SUB;
	size_t len;
	uint32_t h;
	long idx;

	if (!ds || !name)
		return -1;
	if (name[0] == '*' && name[1] == '.') {
		flag = DS_F_SUB;
		name += 2;
	}
	if (ds_normalize(name, norm, &len) < 0)
		return -1;
	h = ds_hash(norm, len);
	idx = ds_find(ds, norm, len, h);
	if (idx >= 0) {
		ds->ent[idx].flags |= flag;
		ds->ent[idx].tag[DS_T_SUB] |= tag;
		if (flag & DS_F_APEX)
			ds->ent[idx].tag[DS_T_APEX] |= tag;
		return 0;
	}
	if ((ds->n + 1) * 2 > ds->nslots && ds_grow_slots(ds) < 0)
		return -1;
	if (ds->n == ds->cap) {
		size_t nc = ds->cap ? ds->cap * 2 : 64;
		struct ds_entry *ne = realloc(ds->ent, nc * sizeof(*ne));

		if (!ne)
			return -1;
		ds->ent = ne;
		ds->cap = nc;
	}
	if (ds->names_len + len + 1 > ds->names_cap) {
		size_t nc = ds->names_cap ? ds->names_cap * 2 : 4096;
		char *nn;

		while (nc < ds->names_len + len + 1)
			nc *= 2;
		nn = realloc(ds->names, nc);
		if (!nn)
			return -1;
		ds->names = nn;
		ds->names_cap = nc;
	}
	memcpy(ds->names + ds->names_len, norm, len + 1);
	ds->ent[ds->n] = (struct ds_entry){ .hash = h, .off = (uint32_t)ds->names_len,
					    .len = (uint8_t)len, .flags = flag,
					    .tag = { flag & DS_F_APEX ? tag : 0, tag } };
	ds->names_len += len + 1;
	{
		size_t mask = ds->nslots - 1, j = h & mask;

		while (ds->slot[j])
			j = (j + 1) & mask;
		ds->slot[j] = (uint32_t)(ds->n + 1);
	}
	ds->n++;
	return 0;
}

static void ds_copy_match(const struct domain_set *ds, long idx, bool wildcard,
			  char *matched, size_t matched_size)
{
	const struct ds_entry *e = &ds->ent[idx];

	if (!matched || !matched_size)
		return;
	if (wildcard)
		snprintf(matched, matched_size, "*.%.*s", (int)e->len, ds->names + e->off);
	else
		snprintf(matched, matched_size, "%.*s", (int)e->len, ds->names + e->off);
}

int domain_set_match(const struct domain_set *ds, const char *name, size_t len,
		     char *matched, size_t matched_size)
{
	return domain_set_match_tag(ds, name, len, matched, matched_size, NULL);
}

int domain_set_match_tag(const struct domain_set *ds, const char *name, size_t len,
			 char *matched, size_t matched_size, uint32_t *tag)
{
	char low[DS_NAME_MAX];
	size_t i;

	if (!ds || !ds->n || !name)
		return 0;
	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DS_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)name[i]);

	/* The full name first (most specific), then each parent at a label boundary. */
	for (i = 0; i < len;) {
		const char *s = low + i;
		size_t sl = len - i;
		long idx = ds_find(ds, s, sl, ds_hash(s, sl));

		if (idx >= 0) {
			uint8_t f = ds->ent[idx].flags;

			if (i == 0 && (f & DS_F_APEX)) {
				ds_copy_match(ds, idx, false, matched, matched_size);
				if (tag)
					*tag = ds->ent[idx].tag[DS_T_APEX];
				return 1;
			}
			if (i > 0) {
				ds_copy_match(ds, idx, !(f & DS_F_APEX), matched, matched_size);
				if (tag)
					*tag = ds->ent[idx].tag[DS_T_SUB];
				return 1;
			}
		}
		s = memchr(s, '.', sl);
		if (!s)
			break;
		i = (size_t)(s - low) + 1;
	}
	return 0;
}

/* An entry that covers its apex is given back as "name" with the apex's tag,
 * plus "*.name" when its subdomains carry more bits: adding what comes out
 * rebuilds the same entries and tags. */
int domain_set_foreach(const struct domain_set *ds,
		       int (*cb)(const char *name, uint32_t tag, void *arg), void *arg)
{
	char buf[DS_NAME_MAX + 3];
	size_t i;

	if (!ds)
		return 0;
	for (i = 0; i < ds->n; i++) {
		const struct ds_entry *e = &ds->ent[i];
		bool apex = e->flags & DS_F_APEX;

		if (apex) {
			snprintf(buf, sizeof(buf), "%.*s", (int)e->len, ds->names + e->off);
			if (cb(buf, e->tag[DS_T_APEX], arg) < 0)
				return -1;
		}
		if (!apex || e->tag[DS_T_SUB] != e->tag[DS_T_APEX]) {
			snprintf(buf, sizeof(buf), "*.%.*s", (int)e->len, ds->names + e->off);
			if (cb(buf, e->tag[DS_T_SUB], arg) < 0)
				return -1;
		}
	}
	return 0;
}

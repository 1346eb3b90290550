// SPDX-License-Identifier: GPL-2.0-or-later
/* What a reload changes, setting by setting from the schema, and the settings only a restart applies. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"

/* A value as the config file would spell it; lists are cut to fit. */
#define VAL_MAX 512

static const void *at(const void *base, size_t off)
{
	return (const char *)base + off;
}

static unsigned long long read_uint(const void *p, size_t size)
{
	switch (size) {
	case sizeof(uint8_t): return *(const uint8_t *)p;
	case sizeof(uint16_t): return *(const uint16_t *)p;
	case sizeof(uint32_t): return *(const uint32_t *)p;
	default: return *(const uint64_t *)p;
	}
}

static void append(char *buf, size_t size, size_t *len, const char *s)
{
	int n;

	if (*len >= size)
		return;
	n = snprintf(buf + *len, size - *len, "%s", s);
	if (n < 0 || (size_t)n >= size - *len) {
		/* Cut, and say so. */
		if (size > 4)
			memcpy(buf + size - 4, "...", 4);
		*len = size;
		return;
	}
	*len += (size_t)n;
}

static void quoted(char *buf, size_t size, size_t *len, const char *s)
{
	append(buf, size, len, "\"");
	append(buf, size, len, s);
	append(buf, size, len, "\"");
}

/* The value of item it (not a group) in base, as text. */
static void value_str(const void *base, const struct item *it, char *buf, size_t size)
{
	const void *p = at(base, it->off);
	unsigned long long v;
	size_t len = 0;
	unsigned int i, n;

	buf[0] = '\0';
	switch (it->type) {
	case IT_UINT:
		v = read_uint(p, it->size);
		if (it->octal)
			snprintf(buf, size, "0%llo", v);
		else if (it->hex)
			snprintf(buf, size, "0x%08llx", v);
		else
			snprintf(buf, size, "%llu", v);
		break;
	case IT_BOOL:
		snprintf(buf, size, "%s", *(const bool *)p ? "true" : "false");
		break;
	case IT_ENUM:
		i = it->size == sizeof(bool) ? *(const bool *)p : (unsigned int)*(const int *)p;
		snprintf(buf, size, "\"%s\"", it->names[i]);
		break;
	case IT_FLAGS:
		append(buf, size, &len, "[");
		for (i = n = 0; it->names[i]; i++) {
			if (!*(const bool *)at(base, it->flag_off[i]))
				continue;
			append(buf, size, &len, n++ ? ", " : " ");
			quoted(buf, size, &len, it->names[i]);
		}
		append(buf, size, &len, n ? " ]" : "]");
		break;
	case IT_LIST:
		n = *(const unsigned int *)at(base, it->count_off);
		append(buf, size, &len, "[");
		for (i = 0; i < n; i++) {
			append(buf, size, &len, i ? ", " : " ");
			quoted(buf, size, &len, ((char *const *)p)[i]);
		}
		append(buf, size, &len, n ? " ]" : "]");
		break;
	case IT_PATH:
	case IT_STRING:
		if (*(char *const *)p)
			quoted(buf, size, &len, *(char *const *)p);
		else
			snprintf(buf, size, "unset");
		break;
	case IT_GROUP:
	case IT_GROUPS:
		break;
	}
}

struct diff {
	conf_diff_cb cb;
	void *arg;
	unsigned int n;
};

static void diff_items(struct diff *df, const void *a, const void *b, const struct item *items,
		       const char *prefix, bool restart);

static const char *feed_name(const void *rec)
{
	const char *name = ((const struct conf_feed *)rec)->name;

	return name ? name : "?";
}

/* feeds = ( ... ): by name; a subscription added or removed is one change. */
static void diff_records(struct diff *df, const void *a, const void *b, const struct item *it,
			 const char *fq)
{
	unsigned int na = *(const unsigned int *)at(a, it->count_off);
	unsigned int nb = *(const unsigned int *)at(b, it->count_off);
	unsigned int i, j;
	char name[192];

	for (i = 0; i < na; i++) {
		const void *ra = at(a, it->off + i * it->elem_size);

		for (j = 0; j < nb; j++)
			if (!strcmp(feed_name(ra), feed_name(at(b, it->off + j * it->elem_size))))
				break;
		snprintf(name, sizeof(name), "%.64s[%.64s]", fq, feed_name(ra));
		if (j == nb) {
			df->cb(name, "subscribed", "removed", it->restart, df->arg);
			df->n++;
		} else {
			diff_items(df, ra, at(b, it->off + j * it->elem_size), it->children, name,
				   it->restart);
		}
	}
	for (j = 0; j < nb; j++) {
		const void *rb = at(b, it->off + j * it->elem_size);

		for (i = 0; i < na; i++)
			if (!strcmp(feed_name(rb), feed_name(at(a, it->off + i * it->elem_size))))
				break;
		if (i == na) {
			snprintf(name, sizeof(name), "%.64s[%.64s]", fq, feed_name(rb));
			df->cb(name, "none", "subscribed", it->restart, df->arg);
			df->n++;
		}
	}
}

static void diff_items(struct diff *df, const void *a, const void *b, const struct item *items,
		       const char *prefix, bool restart)
{
	const struct item *it;
	char fq[192], va[VAL_MAX], vb[VAL_MAX];

	for (it = items; it->name; it++) {
		snprintf(fq, sizeof(fq), "%.128s%s%.60s", prefix ? prefix : "", prefix ? "." : "", it->name);
		if (it->type == IT_GROUP) {
			diff_items(df, a, b, it->children, fq, restart || it->restart);
			continue;
		}
		if (it->type == IT_GROUPS) {
			diff_records(df, a, b, it, fq);
			continue;
		}
		value_str(a, it, va, sizeof(va));
		value_str(b, it, vb, sizeof(vb));
		if (strcmp(va, vb) != 0) {
			df->cb(fq, va, vb, restart || it->restart, df->arg);
			df->n++;
		}
	}
}

unsigned int conf_diff(const struct mw_conf *was, const struct mw_conf *now, conf_diff_cb cb,
		       void *arg)
{
	struct diff df = { cb, arg, 0 };

	diff_items(&df, was, now, conf_schema.children, NULL, false);
	return df.n;
}

/* Copy item it (not a record list) from src into dst. 0 or -1 (out of memory). */
static int copy_item(void *dst, const void *src, const struct item *it)
{
	char **d, *const *s;
	unsigned int i, n;

	switch (it->type) {
	case IT_UINT:
	case IT_BOOL:
	case IT_ENUM:
		memcpy((char *)dst + it->off, at(src, it->off), it->size);
		return 0;
	case IT_FLAGS:
		for (i = 0; it->names[i]; i++)
			*(bool *)((char *)dst + it->flag_off[i]) = *(const bool *)at(src, it->flag_off[i]);
		return 0;
	case IT_PATH:
	case IT_STRING:
		d = (char **)((char *)dst + it->off);
		s = at(src, it->off);
		free(*d);
		*d = *s ? strdup(*s) : NULL;
		return *s && !*d ? -1 : 0;
	case IT_LIST:
		d = (char **)((char *)dst + it->off);
		s = at(src, it->off);
		n = *(const unsigned int *)at(src, it->count_off);
		for (i = 0; i < it->max; i++) {
			free(d[i]);
			d[i] = NULL;
		}
		*(unsigned int *)((char *)dst + it->count_off) = 0;
		for (i = 0; i < n; i++)
			if (!(d[i] = strdup(s[i])))
				return -1;
		*(unsigned int *)((char *)dst + it->count_off) = n;
		return 0;
	case IT_GROUP:
	case IT_GROUPS:
		break;
	}
	return 0;
}

static int keep_items(void *dst, const void *src, const struct item *items, bool restart)
{
	const struct item *it;
	int rc = 0;

	for (it = items; it->name; it++) {
		if (it->type == IT_GROUP)
			rc |= keep_items(dst, src, it->children, restart || it->restart);
		else if (it->type != IT_GROUPS && (restart || it->restart))
			rc |= copy_item(dst, src, it);
	}
	return rc;
}

int conf_keep_restart_only(struct mw_conf *nc, const struct mw_conf *running)
{
	return keep_items(nc, running, conf_schema.children, false) ? -1 : 0;
}

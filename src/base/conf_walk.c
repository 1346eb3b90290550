// SPDX-License-Identifier: GPL-2.0-or-later
/* The schema walker: each setting checked against its item and stored, defaults for the rest. */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf.h"
#include "conf_int.h"

static void *field(struct ctx *x, size_t off)
{
	return (char *)(x->base ? x->base : x->c) + off;
}

/* "mode = 0660;" reaches us as the decimal 660: read its digits as octal, like chmod. */
static long long octal_digits(long long v)
{
	long long r = 0, scale = 1;

	if (v < 0)
		return -1;
	for (; v; v /= 10, scale *= 8) {
		if (v % 10 > 7)
			return -1;
		r += (v % 10) * scale;
	}
	return r;
}

static void store_uint(void *p, size_t size, unsigned long long v)
{
	switch (size) {
	case sizeof(bool):
		*(bool *)p = v != 0;
		break;
	case sizeof(uint16_t):
		*(uint16_t *)p = (uint16_t)v;
		break;
	case sizeof(uint32_t):
		*(uint32_t *)p = (uint32_t)v;
		break;
	case sizeof(uint64_t):
		*(uint64_t *)p = (uint64_t)v;
		break;
	}
}

static int name_index(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static void err_not_one_of(struct ctx *x, const config_setting_t *s, const char *what,
			   const char *const *names, const char *got)
{
	char buf[256];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; names[i] && len < sizeof(buf); i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s\"%s\"",
				i ? (names[i + 1] ? ", " : " or ") : "", names[i]);
	SERR(x, s, "%s must be one of %s (got \"%.64s\")", what, buf, got);
}

/* Relative paths are taken from the config file's directory, so a config and its blocklists can
 * move together. NULL when it does not fit in PATH_MAX or memory runs out. */
static char *path_resolve(const struct ctx *x, const char *s)
{
	char *r;

	if (s[0] == '/' || !x->basedir)
		r = strdup(s);
	else if (asprintf(&r, "%s/%s", x->basedir, s) < 0)
		r = NULL;
	if (r && strlen(r) >= PATH_MAX) {
		free(r);
		r = NULL;
	}
	return r;
}

/* A list of strings, each checked (and for IT_FLAGS mapped to a bit); returns the errors found. */
static unsigned int walk_list(struct ctx *x, const config_setting_t *s, const struct item *it,
			      const char *fq, char **out, unsigned int *bits)
{
	unsigned int i, j, n, errs = x->n_errs;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		SERR(x, s, "'%s' must be a list of strings", fq);
		return 1;
	}
	n = (unsigned int)config_setting_length(s);
	if (n < it->min) {
		SERR(x, s, "'%s' must list at least %lld item%s", fq, it->min,
		     it->min == 1 ? "" : "s");
		return 1;
	}
	if (n > it->max) {
		SERR(x, s, "'%s' must list at most %lld items (got %u)", fq, it->max, n);
		return 1;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);
		int idx;

		if (!v) {
			SERR(x, e, "'%s' item %u must be a string", fq, i + 1);
			continue;
		}
		for (j = 0; j < i; j++) {
			const char *w = config_setting_get_string_elem(s, j);

			if (w && strcmp(w, v) == 0)
				break;
		}
		if (j < i) {
			SERR(x, e, "'%s' lists \"%.64s\" twice", fq, v);
			continue;
		}
		if (it->type == IT_FLAGS) {
			idx = name_index(it->names, v);
			if (idx < 0) {
				char what[144];

				snprintf(what, sizeof(what), "'%s' items", fq);
				err_not_one_of(x, e, what, it->names, v);
			} else
				*bits |= 1u << idx;
		} else if (it->kind == LK_IFNAME) {
			if (!conf_ifname_ok(v))
				SERR(x, e, "'%s': \"%.64s\" is not an interface name "
				     "(1..15 characters of A-Z a-z 0-9 _ . : -)", fq, v);
			else if (!(out[i] = strdup(v)))
				x->oom = true;
		} else if (it->kind != LK_PATH) {
			out[i] = conf_string_checked(x, e, it->kind, fq, v);
		} else {
			if (!v[0])
				SERR(x, e, "'%s' item %u must not be empty", fq, i + 1);
			else if (!(out[i] = path_resolve(x, v)))
				SERR(x, e, "'%s': path \"%.64s\" is too long", fq, v);
			else if (it->at_off &&
				 asprintf(&((char **)field(x, it->at_off))[i], "%s:%u",
					  conf_setting_file(x, e), config_setting_source_line(e)) < 0) {
				((char **)field(x, it->at_off))[i] = NULL;
				x->oom = true;
			}
		}
	}
	return x->n_errs - errs;
}

static void apply_default(struct ctx *x, const struct item *it);
static void walk_group(struct ctx *x, const config_setting_t *g, const struct item *grp,
		       const char *prefix);

static void walk_groups(struct ctx *x, const config_setting_t *s, const struct item *it,
			const char *fq)
{
	struct item elem = *it;
	unsigned int i, n;
	void *saved = x->base;

	elem.relate = NULL;	/* it relates the records to each other, not one record's members */

	if (!config_setting_is_list(s) && !(config_setting_is_array(s) &&
					    config_setting_length(s) == 0)) {
		SERR(x, s, "'%s' must be a list of groups ( { ... }, ... )", fq);
		return;
	}
	n = (unsigned int)config_setting_length(s);
	if (n > it->max) {
		SERR(x, s, "'%s' must list at most %lld items (got %u)", fq, it->max, n);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		char efq[160];

		snprintf(efq, sizeof(efq), "%s[%u]", fq, i);
		if (!config_setting_is_group(e)) {
			SERR(x, e, "'%s' must be a group { ... }", efq);
			continue;
		}
		/* Records are stored as they pass, so conf_free finds them even on error. */
		*(unsigned int *)((char *)x->c + it->count_off) = i + 1;
		x->base = (char *)x->c + it->off + i * it->elem_size;
		walk_group(x, e, &elem, efq);
		x->base = saved;
	}
	/* Unlike a group's relations, these hold between records and are checked even when
	 * another record has an error: a missing name is simply skipped. */
	if (it->relate)
		it->relate(x, s);
}

static void walk_uint(struct ctx *x, const config_setting_t *s, const struct item *it,
		      const char *fq)
{
	const struct big_literal *lit;
	const char *why;
	long long v;
	char got[32];

	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
		SERR(x, s, "'%s' must be an integer", fq);
		return;
	}
	v = config_setting_get_int64(s);
	lit = config_setting_type(s) == CONFIG_TYPE_INT ? conf_big_literal_at(x, s) : NULL;
	if (lit)
		v = lit->val;
	else if (config_setting_type(s) == CONFIG_TYPE_INT &&
		 config_setting_get_format(s) == CONFIG_FORMAT_HEX)
		v = (uint32_t)v;	/* libconfig 1.5 stores 0x80000000.. as a negative int */
	if (it->octal && !lit && config_setting_get_format(s) != CONFIG_FORMAT_HEX) {
		long long o = octal_digits(v);

		if (o < 0) {
			SERR(x, s, "'%s' must be written in octal digits 0-7, like chmod (got %lld)",
			     fq, v);
			return;
		}
		v = o;
	}
	if (lit && !lit->fits)
		snprintf(got, sizeof(got), "%s", lit->text);
	else if (it->octal)
		snprintf(got, sizeof(got), "%#llo", (unsigned long long)v);
	else if (it->hex && v >= 0)
		snprintf(got, sizeof(got), "0x%08llx", (unsigned long long)v);
	else
		snprintf(got, sizeof(got), "%lld", v);
	if ((lit && !lit->fits) || v < it->min || v > it->max) {
		if (it->octal)
			SERR(x, s, "'%s' must be in range %#llo..%#llo (got %s)", fq,
			     (unsigned long long)it->min, (unsigned long long)it->max, got);
		else if (it->hex)
			SERR(x, s, "'%s' must be in range 0x%llx..0x%llx (got %s)", fq,
			     (unsigned long long)it->min, (unsigned long long)it->max, got);
		else
			SERR(x, s, "'%s' must be in range %lld..%lld (got %s)", fq,
			     it->min, it->max, got);
		return;
	}
	if (it->check && (why = it->check((unsigned long long)v))) {
		SERR(x, s, "'%s' %s (got %s)", fq, why, got);
		return;
	}
	store_uint(field(x, it->off), it->size, (unsigned long long)v);
}

static void walk_item(struct ctx *x, const config_setting_t *s, const struct item *it,
		      const char *fq)
{
	const char *v;
	int idx;

	switch (it->type) {
	case IT_GROUP:
		if (!config_setting_is_group(s))
			SERR(x, s, "'%s' must be a group { ... }", fq);
		else
			walk_group(x, s, it, fq);
		break;
	case IT_UINT:
		walk_uint(x, s, it, fq);
		break;
	case IT_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			SERR(x, s, "'%s' must be a boolean (true or false)", fq);
		else
			*(bool *)field(x, it->off) = config_setting_get_bool(s);
		break;
	case IT_ENUM:
		if (!(v = config_setting_get_string(s))) {
			SERR(x, s, "'%s' must be a string", fq);
			break;
		}
		idx = name_index(it->names, v);
		if (idx < 0) {
			char what[136];

			snprintf(what, sizeof(what), "'%s'", fq);
			err_not_one_of(x, s, what, it->names, v);
		} else if (it->size == sizeof(bool)) {
			*(bool *)field(x, it->off) = idx != 0;
		} else {
			*(int *)field(x, it->off) = idx;
		}
		break;
	case IT_FLAGS: {
		unsigned int bits = 0, i;

		if (walk_list(x, s, it, fq, NULL, &bits) == 0)
			for (i = 0; it->names[i]; i++)
				*(bool *)field(x, it->flag_off[i]) = bits & (1u << i);
		break;
	}
	case IT_LIST:
		/* Items are stored as they pass, so conf_free finds them even on error. */
		if (walk_list(x, s, it, fq, field(x, it->off), NULL) == 0)
			*(unsigned int *)field(x, it->count_off) =
				(unsigned int)config_setting_length(s);
		break;
	case IT_PATH:
		if (!(v = config_setting_get_string(s)))
			SERR(x, s, "'%s' must be a string", fq);
		else if (!v[0])
			SERR(x, s, "'%s' must not be empty (leave it out instead)", fq);
		else if (!(*(char **)field(x, it->off) = path_resolve(x, v)))
			SERR(x, s, "'%s': path \"%.64s\" is too long", fq, v);
		else if (it->max && strlen(*(char **)field(x, it->off)) > (size_t)it->max)
			SERR(x, s, "'%s': path \"%.64s\" is too long (at most %lld bytes)", fq, v,
			     it->max);
		break;
	case IT_STRING: {
		const char *why;

		if (!(v = config_setting_get_string(s)))
			SERR(x, s, "'%s' must be a string", fq);
		else if (it->str_check && (why = it->str_check(v)))
			SERR(x, s, "'%s' %s (got \"%.64s\")", fq, why, v);
		else if (it->str_check && v[0] && !(*(char **)field(x, it->off) = strdup(v)))
			x->oom = true;
		else if (!it->str_check && (v[0] || it->min))
			*(char **)field(x, it->off) = conf_string_checked(x, s, it->kind, fq, v);
		break;
	}
	case IT_GROUPS:
		walk_groups(x, s, it, fq);
		break;
	}
}

static void apply_default(struct ctx *x, const struct item *it)
{
	unsigned int i;

	switch (it->type) {
	case IT_GROUP:
		walk_group(x, NULL, it, NULL);
		break;
	case IT_UINT:
	case IT_BOOL:
		store_uint(field(x, it->off), it->size, (unsigned long long)it->dflt);
		break;
	case IT_ENUM:
		if (it->size == sizeof(bool))
			*(bool *)field(x, it->off) = it->dflt != 0;
		else
			*(int *)field(x, it->off) = (int)it->dflt;
		break;
	case IT_FLAGS:
		for (i = 0; it->names[i]; i++)
			*(bool *)field(x, it->flag_off[i]) = it->dflt & (1u << i);
		break;
	case IT_LIST:
		if (it->dflt_str) {
			char **out = field(x, it->off);

			if (!(out[0] = strdup(it->dflt_str)))
				x->oom = true;
			*(unsigned int *)field(x, it->count_off) = 1;
		}
		break;
	case IT_PATH:
	case IT_STRING:
		if (it->dflt_str && it->dflt_str[0] &&
		    !(*(char **)field(x, it->off) = strdup(it->dflt_str)))
			x->oom = true;
		break;
	case IT_GROUPS:
		break;
	}
}

/* Edits from a to b (insert, delete, substitute, swap two neighbours: the
 * optimal string alignment distance); names are short. */
static unsigned int distance(const char *a, const char *b)
{
	unsigned int m[33][33], i, j, la = (unsigned int)strlen(a), lb = (unsigned int)strlen(b);

	if (la > 32 || lb > 32)
		return UINT_MAX;
	for (i = 0; i <= la; i++)
		m[i][0] = i;
	for (j = 0; j <= lb; j++)
		m[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			unsigned int best = m[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (m[i - 1][j] + 1 < best)
				best = m[i - 1][j] + 1;
			if (m[i][j - 1] + 1 < best)
				best = m[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    m[i - 2][j - 2] + 1 < best)
				best = m[i - 2][j - 2] + 1;
			m[i][j] = best;
		}
	}
	return m[la][lb];
}

/* How far name is from a known one: its edits, or 1 when one is the other
 * with something added ("enforcement" for "enforce"). */
static unsigned int closeness(const char *name, const char *known)
{
	size_t ln = strlen(name), lk = strlen(known);

	if (ln >= 4 && lk >= 4 && ln != lk &&
	    strncmp(name, known, ln < lk ? ln : lk) == 0)
		return 1;
	return distance(name, known);
}

/* What a person most likely meant by an unknown key: the closest name here
 * or in a group inside this one (a key placed one level too high), when at
 * most a third of its letters are wrong ("tls-sni" for "tls_sni"). hint gets
 * " (did you mean 'x'?)" or "". */
static void suggest(const struct item *items, const char *name, char *hint, size_t size)
{
	const struct item *it, *c, *best = NULL, *best_in = NULL;
	unsigned int d, best_d = UINT_MAX, limit = (unsigned int)strlen(name) / 3;

	hint[0] = '\0';
	if (limit < 1)
		limit = 1;
	for (it = items; it->name; it++) {
		d = closeness(name, it->name);
		if (d < best_d) {
			best_d = d;
			best = it;
			best_in = NULL;
		}
		for (c = it->type == IT_GROUP ? it->children : NULL; c && c->name; c++) {
			/* The same key one group down beats a near one here. */
			d = closeness(name, c->name) + (strcmp(name, c->name) != 0);
			if (d < best_d) {
				best_d = d;
				best = c;
				best_in = it;
			}
		}
	}
	if (!best || best_d > limit)
		return;
	if (best_in)
		snprintf(hint, size, " (did you mean '%s.%s'? it belongs in group '%s')",
			 best_in->name, best->name, best_in->name);
	else
		snprintf(hint, size, " (did you mean '%s'?)", best->name);
}

/* g is NULL for an absent group: then every member takes its default. Members are visited in
 * file order so errors come out in line order without much sorting. */
static void walk_group(struct ctx *x, const config_setting_t *g, const struct item *grp,
		       const char *prefix)
{
	const struct item *items = grp->children;
	unsigned long seen = 0;
	unsigned int i, k, n = g ? (unsigned int)config_setting_length(g) : 0;
	unsigned int errs = x->n_errs;
	const struct item *it;

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);
		char fq[128];

		for (k = 0; items[k].name && strcmp(items[k].name, name) != 0; k++)
			;
		if (!items[k].name) {
			char hint[160];

			suggest(items, name, hint, sizeof(hint));
			if (prefix)
				SERR(x, s, "unknown setting '%.64s' in group '%s'%s", name, prefix, hint);
			else
				SERR(x, s, "unknown setting '%.64s' at top level%s", name, hint);
			continue;
		}
		seen |= 1ul << k;
		snprintf(fq, sizeof(fq), "%s%s%s", prefix ? prefix : "", prefix ? "." : "", name);
		walk_item(x, s, &items[k], fq);
	}
	for (k = 0, it = items; it->name; k++, it++) {
		if (seen & (1ul << k))
			continue;
		if (g && it->min > 0 && !it->dflt_str &&
		    (it->type == IT_STRING || it->type == IT_LIST))
			SERR(x, g, "'%s%s%s' is required", prefix ? prefix : "", prefix ? "." : "",
			     it->name);
		else
			apply_default(x, it);
	}
	/* Relations between members only mean something once each member is valid; an absent
	 * group holds only defaults, which agree. */
	if (g && grp->relate && x->n_errs == errs)
		grp->relate(x, g);
}

void conf_walk(struct ctx *x, const config_setting_t *root)
{
	walk_group(x, root, &conf_schema, NULL);
}

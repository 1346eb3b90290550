// SPDX-License-Identifier: GPL-2.0-or-later
/* minewall.conf: one schema table walked by one validator; every error collected as FILE:LINE. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf.h"
#include "conf_int.h"

/* A config file is a few kilobytes; refuse anything absurd before libconfig sees it. */
#define CONF_MAX_FILE (4u << 20)

static void *field(struct ctx *x, size_t off)
{
	return (char *)(x->base ? x->base : x->c) + off;
}

const char *conf_setting_file(const struct ctx *x, const config_setting_t *s)
{
	const char *f = s ? config_setting_source_file(s) : NULL;

	return f ? f : x->path;
}

void conf_err_add(struct ctx *x, const char *file, unsigned int line, const char *fmt, ...)
{
	struct conf_err *e;
	unsigned int i, rank = 0;
	va_list ap;
	int r;

	if (x->n_errs == x->cap_errs) {
		unsigned int cap = x->cap_errs ? 2 * x->cap_errs : 16;
		void *p = realloc(x->errs, cap * sizeof(*x->errs));

		if (!p) {
			x->oom = true;
			return;
		}
		x->errs = p;
		x->cap_errs = cap;
	}
	/* Files rank in the order their first error appeared: an @include keeps its lines together. */
	for (i = 0; i < x->n_errs; i++) {
		if (strcmp(x->errs[i].file, file) == 0)
			break;
		if (x->errs[i].file_rank >= rank)
			rank = x->errs[i].file_rank + 1;
	}
	e = &x->errs[x->n_errs];
	e->file = file;
	e->file_rank = i < x->n_errs ? x->errs[i].file_rank : rank;
	e->line = line;
	e->seq = x->n_errs;
	va_start(ap, fmt);
	r = vasprintf(&e->msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		x->oom = true;
		return;
	}
	x->n_errs++;
}

static int err_cmp(const void *a, const void *b)
{
	const struct conf_err *p = a, *q = b;

	if (p->file_rank != q->file_rank)
		return p->file_rank < q->file_rank ? -1 : 1;
	if (p->line != q->line)
		return p->line < q->line ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static bool is_xdigit(int ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static void lit_add(struct ctx *x, unsigned int line, const char *p, size_t len, bool hex)
{
	struct big_literal *l;
	char buf[64];
	long long v;
	int saved = errno;

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	errno = 0;
	if (hex) {
		unsigned long long u = strtoull(buf + (buf[0] == '-' || buf[0] == '+'), NULL, 16);

		if (errno == 0 && u <= 0xffffffffULL)
			goto out;	/* libconfig keeps the bits; the validator reads them back */
		v = u > LLONG_MAX ? LLONG_MAX : (long long)u;
	} else {
		v = strtoll(buf, NULL, 10);
		if (errno == 0 && v >= INT_MIN && v <= INT_MAX)
			goto out;
	}
	if (x->n_lits == x->cap_lits) {
		unsigned int cap = x->cap_lits ? 2 * x->cap_lits : 8;
		void *q = realloc(x->lits, cap * sizeof(*x->lits));

		if (!q) {
			x->oom = true;
			goto out;
		}
		x->lits = q;
		x->cap_lits = cap;
	}
	l = &x->lits[x->n_lits++];
	l->line = line;
	l->fits = errno == 0;
	l->used = false;
	l->val = v;
	/* glibc's atoi() is (int)strtol() and strtol/strtoul saturate on overflow. */
	if (l->fits)
		l->stored = (int)(uint32_t)(unsigned long long)v;
	else
		l->stored = hex || buf[0] != '-' ? -1 : 0;
	snprintf(l->text, sizeof(l->text), "%.20s%s", buf, len > 20 ? "..." : "");
out:
	errno = saved;
}

/* libconfig 1.5 reads a plain integer with atoi() and a hex one with strtoul() into an int, so
 * "max = 99999999999;" silently becomes 1215752191. Find such literals in the raw text with
 * libconfig's own token rules (strings, comments, names, floats, L suffix) so the validator can
 * reject the value the admin actually wrote. Only the main file is scanned. */
static void scan_big_literals(struct ctx *x, const char *p, size_t n)
{
	unsigned int line = 1;
	size_t i = 0;

	while (i < n) {
		char ch = p[i];

		if (ch == '\n') {
			line++;
			i++;
		} else if (ch == '#' || (ch == '/' && i + 1 < n && p[i + 1] == '/')) {
			while (i < n && p[i] != '\n')
				i++;
		} else if (ch == '/' && i + 1 < n && p[i + 1] == '*') {
			for (i += 2; i < n && !(p[i] == '*' && i + 1 < n && p[i + 1] == '/'); i++)
				line += p[i] == '\n';
			i = i < n ? i + 2 : n;
		} else if (ch == '"') {
			for (i++; i < n && p[i] != '"' && p[i] != '\n'; i++)
				if (p[i] == '\\' && i + 1 < n && p[i + 1] != '\n')
					i++;
			if (i < n && p[i] == '"')
				i++;
		} else if (is_digit(ch) || ((ch == '-' || ch == '+') && i + 1 < n &&
					    is_digit(p[i + 1]))) {
			size_t start = i, len;
			bool hex = false;

			if (ch == '-' || ch == '+')
				i++;
			if (p[i] == '0' && i + 1 < n && (p[i + 1] == 'x' || p[i + 1] == 'X')) {
				hex = true;
				for (i += 2; i < n && is_xdigit(p[i]); i++)
					;
			} else {
				for (; i < n && is_digit(p[i]); i++)
					;
			}
			len = i - start;
			if (i < n && p[i] == 'L') {
				while (i < n && p[i] == 'L')
					i++;
			} else if (!hex && i < n && (p[i] == '.' || p[i] == 'e' || p[i] == 'E')) {
				/* A float: the exponent's digits must not count as an integer. */
				for (i++; i < n && (is_digit(p[i]) || p[i] == '.' || p[i] == 'e' ||
						    p[i] == 'E' || p[i] == '-' || p[i] == '+'); i++)
					;
			} else {
				lit_add(x, line, p + start, len, hex);
			}
		} else if (ch == '.') {
			for (i++; i < n && (is_digit(p[i]) || p[i] == 'e' || p[i] == 'E' ||
					    p[i] == '-' || p[i] == '+'); i++)
				;
		} else if (is_ident(ch)) {
			while (i < n && is_ident(p[i]))
				i++;
		} else {
			i++;
		}
	}
}

/* The literal behind an int setting, if it was one libconfig truncated. Settings are visited in
 * file order, so the first unclaimed literal on the line with the same stored value is the one. */
static const struct big_literal *big_literal_at(struct ctx *x, const config_setting_t *s)
{
	const char *f = config_setting_source_file(s);
	unsigned int i;

	if (f && strcmp(f, x->path) != 0)
		return NULL;
	for (i = 0; i < x->n_lits; i++) {
		struct big_literal *l = &x->lits[i];

		if (!l->used && l->line == config_setting_source_line(s) &&
		    l->stored == config_setting_get_int(s)) {
			l->used = true;
			return l;
		}
	}
	return NULL;
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
	lit = config_setting_type(s) == CONFIG_TYPE_INT ? big_literal_at(x, s) : NULL;
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
			char alt[64];
			size_t j;

			/* "tls-sni" is the detector's name; the key spells it "tls_sni". */
			snprintf(alt, sizeof(alt), "%s", name);
			for (j = 0; alt[j]; j++)
				if (alt[j] == '-')
					alt[j] = '_';
			for (k = 0; items[k].name && strcmp(items[k].name, alt) != 0; k++)
				;
			if (prefix)
				SERR(x, s, "unknown setting '%.64s' in group '%s'%s%s%s", name, prefix,
				     items[k].name ? " (did you mean '" : "",
				     items[k].name ? items[k].name : "", items[k].name ? "'?)" : "");
			else
				SERR(x, s, "unknown setting '%.64s' at top level", name);
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

static void errs_flush(struct ctx *x, FILE *errs)
{
	unsigned int i;

	if (x->n_errs)
		qsort(x->errs, x->n_errs, sizeof(*x->errs), err_cmp);
	for (i = 0; i < x->n_errs; i++) {
		if (errs)
			fprintf(errs, "%s:%u: %s\n", x->errs[i].file, x->errs[i].line,
				x->errs[i].msg);
		free(x->errs[i].msg);
	}
	if (x->oom && errs)
		fprintf(errs, "%s: out of memory\n", x->path);
	free(x->errs);
	free(x->lits);
}

/* Validate a parsed file against the schema into a fresh struct; all or nothing. */
static int conf_build(struct ctx *x, config_t *cf, struct mw_conf **out, FILE *errs)
{
	int ret = -1;

	x->c = calloc(1, sizeof(*x->c));
	if (!x->c || !(x->c->path = strdup(x->path))) {
		x->oom = true;
		goto out;
	}
	walk_group(x, config_root_setting(cf), &conf_schema, NULL);
	if (x->n_errs == 0 && !x->oom)
		ret = 0;
out:
	errs_flush(x, errs);
	if (ret == 0) {
		*out = x->c;
	} else {
		conf_free(x->c);
	}
	return ret;
}

static void parse_error(struct ctx *x, config_t *cf)
{
	const char *f = config_error_file(cf);

	conf_err_add(x, f ? f : x->path, (unsigned int)config_error_line(cf), "%s",
		config_error_text(cf) ? config_error_text(cf) : "parse error");
}

int conf_load_string(const char *text, const char *path, struct mw_conf **out, FILE *errs)
{
	struct ctx x = { .path = path };
	char *dir = strdup(path), *slash;
	config_t cf;
	int ret;

	if (!dir) {
		if (errs)
			fprintf(errs, "%s: out of memory\n", path);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	x.basedir = slash ? dir : ".";
	config_init(&cf);
	scan_big_literals(&x, text, strlen(text));
	if (config_read_string(&cf, text) != CONFIG_TRUE) {
		parse_error(&x, &cf);
		errs_flush(&x, errs);
		ret = -1;
	} else {
		ret = conf_build(&x, &cf, out, errs);
	}
	config_destroy(&cf);
	free(dir);
	return ret;
}

static char *read_file(const char *path, size_t *len, FILE *errs)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		if (errs)
			fprintf(errs, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t r;

		if (n + 1 >= cap) {
			char *p;

			cap = cap ? 2 * cap : 8192;
			if (cap > CONF_MAX_FILE + 1 || !(p = realloc(buf, cap))) {
				if (errs)
					fprintf(errs, "%s: %s\n", path, cap > CONF_MAX_FILE + 1 ?
						"file too large (limit 4 MiB)" : "out of memory");
				goto err;
			}
			buf = p;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		if (errs)
			fprintf(errs, "%s: read error\n", path);
		goto err;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
err:
	fclose(f);
	free(buf);
	return NULL;
}

int conf_load(const char *path, struct mw_conf **out, FILE *errs)
{
	struct ctx x = { .path = path };
	char *text = NULL, *dir = NULL, *slash;
	config_t cf;
	size_t len;
	int ret = -1;

	config_init(&cf);
	if (!(text = read_file(path, &len, errs)))
		goto out;
	/* The directory is made absolute now: the daemon may chdir("/") before it opens them. */
	if (!(dir = strdup(path)))
		goto sys_err;
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	x.basedir = realpath(slash ? dir : ".", NULL);
	if (!x.basedir)
		goto sys_err;
	config_set_include_dir(&cf, x.basedir);
	scan_big_literals(&x, text, len);
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		parse_error(&x, &cf);
		errs_flush(&x, errs);
		goto out;
	}
	ret = conf_build(&x, &cf, out, errs);
	goto out;
sys_err:
	if (errs)
		fprintf(errs, "%s: %s\n", path, strerror(errno));
	free(x.lits);
out:
	config_destroy(&cf);
	free((char *)x.basedir);
	free(dir);
	free(text);
	return ret;
}

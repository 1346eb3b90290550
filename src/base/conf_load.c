// SPDX-License-Identifier: GPL-2.0-or-later
/* Loading minewall.conf: read by libconfig, walked against the schema, errors as FILE:LINE. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf.h"
#include "conf_int.h"

/* A config file is a few kilobytes; refuse anything absurd before libconfig sees it. */
#define CONF_MAX_FILE (4u << 20)

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
const struct big_literal *conf_big_literal_at(struct ctx *x, const config_setting_t *s)
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
	conf_walk(x, config_root_setting(cf));
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

static char *read_file(const char *path, size_t *len, FILE *errs);

static void parse_error(struct ctx *x, config_t *cf, const char *text)
{
	const char *f = config_error_file(cf), *msg = config_error_text(cf);
	unsigned int line = (unsigned int)config_error_line(cf);
	char hint[160] = "", *other = NULL;
	size_t len;

	if (msg && strcmp(msg, "syntax error") == 0) {
		/* The error may be in an @include'd file. */
		if (f && strcmp(f, x->path) != 0)
			text = other = read_file(f, &len, NULL);
		if (text)
			conf_syntax_hint(text, line, hint, sizeof(hint));
		free(other);
	}
	conf_err_add(x, f ? f : x->path, line, "%s%s", msg ? msg : "parse error", hint);
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
		parse_error(&x, &cf, text);
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
		parse_error(&x, &cf, text);
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

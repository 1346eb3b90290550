// SPDX-License-Identifier: GPL-2.0-or-later
/* Plain-text list loaders: parse the whole file into a temporary list, report
 * every bad line as FILE:LINE, and apply only a file without errors. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "blocklist.h"
#include "domain_set.h"
#include "ep_table.h"

#define BL_NAME_MAX 253
#define BL_LABEL_MAX 63

/* Strip a trailing comment and surrounding blanks; the result points into buf. */
static char *bl_trim(const char *line, char *buf, size_t bufsize)
{
	char *s, *end, *hash;

	snprintf(buf, bufsize, "%s", line);
	s = buf;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '#')
		return s + strlen(s);
	for (hash = s; (hash = strchr(hash, '#')); hash++) {
		if (hash[-1] == ' ' || hash[-1] == '\t') {
			*hash = '\0';
			break;
		}
	}
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

int blocklist_parse_domain(const char *line, char *name, size_t namesize, char *err, size_t errsize)
{
	char buf[BLOCKLIST_LINE_MAX + 1];
	const char *s = bl_trim(line, buf, sizeof(buf)), *d;
	size_t i, len, label = 0, labels = 1;

	if (!*s)
		return 0;
	d = s;
	if (d[0] == '*' && d[1] == '.')
		d += 2;
	len = strlen(d);
	if (len && d[len - 1] == '.')
		len--;
	if (len == 0) {
		snprintf(err, errsize, "empty domain name");
		return -1;
	}
	if (len > BL_NAME_MAX) {
		snprintf(err, errsize, "domain name longer than %d characters", BL_NAME_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '.') {
			if (label == 0) {
				snprintf(err, errsize, "empty label in \"%s\"", s);
				return -1;
			}
			label = 0;
			labels++;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > BL_LABEL_MAX) {
				snprintf(err, errsize, "label longer than %d characters in \"%s\"",
					 BL_LABEL_MAX, s);
				return -1;
			}
		} else {
			snprintf(err, errsize, "invalid character '%s%c' in \"%s\"",
				 isprint(c) ? "" : "\\", isprint(c) ? c : '?', s);
			return -1;
		}
	}
	if (label == 0) {
		snprintf(err, errsize, "empty label in \"%s\"", s);
		return -1;
	}
	/* A top-level name would cover a whole TLD: never what a list means. */
	if (labels < 2) {
		snprintf(err, errsize, "\"%s\" is a top-level name; refusing to list a whole TLD", s);
		return -1;
	}
	if ((size_t)(d - s) + len + 1 > namesize) {
		snprintf(err, errsize, "domain name too long");
		return -1;
	}
	memcpy(name, s, (size_t)(d - s) + len);
	name[(size_t)(d - s) + len] = '\0';
	return 1;
}

int blocklist_parse_endpoint(const char *line, struct ep_entry *e, char *err, size_t errsize)
{
	char buf[BLOCKLIST_LINE_MAX + 1];
	const char *s = bl_trim(line, buf, sizeof(buf));

	if (!*s)
		return 0;
	return ep_parse(s, e, err, errsize) < 0 ? -1 : 1;
}

int blocklist_parse_port(const char *line, uint16_t *lo, uint16_t *hi, char *err, size_t errsize)
{
	char buf[BLOCKLIST_LINE_MAX + 1];
	const char *s = bl_trim(line, buf, sizeof(buf)), *dash;
	unsigned long a, b;

	if (!*s)
		return 0;
	dash = strchr(s, '-');
	if (!dash) {
		if (ep_number(s, strlen(s), 1, 65535, &a) < 0) {
			snprintf(err, errsize, "invalid port \"%s\" (expected 1-65535 or a range a-b)", s);
			return -1;
		}
		*lo = *hi = (uint16_t)a;
		return 1;
	}
	if (ep_number(s, (size_t)(dash - s), 1, 65535, &a) < 0 ||
	    ep_number(dash + 1, strlen(dash + 1), 1, 65535, &b) < 0) {
		snprintf(err, errsize, "invalid port range \"%s\" (expected a-b with 1 <= a <= b <= 65535)", s);
		return -1;
	}
	if (a > b) {
		snprintf(err, errsize, "port range \"%s\" is reversed", s);
		return -1;
	}
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 1;
}

enum bl_kind { BL_DOMAINS, BL_ENDPOINTS, BL_PORTS };

/* Parsed entries of one file, applied only when the file had no error. */
struct bl_list {
	enum bl_kind kind;
	size_t n, cap;
	union {
		char (*names)[BL_NAME_MAX + 3];
		struct ep_entry *eps;
		uint16_t (*ranges)[2];
	} u;
};

static int bl_push(struct bl_list *l, const void *item, size_t size)
{
	char *base;

	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 256;
		void *np = realloc(l->u.names, nc * size);

		if (!np)
			return -1;
		l->u.names = np;
		l->cap = nc;
	}
	base = (char *)l->u.names;
	memcpy(base + l->n * size, item, size);
	l->n++;
	return 0;
}

static size_t bl_item_size(enum bl_kind kind)
{
	switch (kind) {
	case BL_DOMAINS:
		return BL_NAME_MAX + 3;
	case BL_ENDPOINTS:
		return sizeof(struct ep_entry);
	case BL_PORTS:
		break;
	}
	return 2 * sizeof(uint16_t);
}

/* Read and parse every line; 0 when the whole file is valid. */
static int bl_read(const char *path, struct bl_list *l, FILE *errs)
{
	char *line = NULL, err[256];
	size_t lsize = 0, item = bl_item_size(l->kind);
	unsigned long lineno = 0;
	int nerr = 0;
	ssize_t got;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		if (errs)
			fprintf(errs, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((got = getline(&line, &lsize, f)) >= 0) {
		char name[BL_NAME_MAX + 3];
		struct ep_entry e;
		uint16_t r[2];
		const void *it = NULL;
		int rc;

		lineno++;
		if ((size_t)got > BLOCKLIST_LINE_MAX) {
			rc = -1;
			snprintf(err, sizeof(err), "line longer than %d characters", BLOCKLIST_LINE_MAX);
		} else if (strlen(line) != (size_t)got) {
			rc = -1;
			snprintf(err, sizeof(err), "NUL byte in line");
		} else if (l->kind == BL_DOMAINS) {
			memset(name, 0, sizeof(name));
			rc = blocklist_parse_domain(line, name, sizeof(name), err, sizeof(err));
			it = name;
		} else if (l->kind == BL_ENDPOINTS) {
			rc = blocklist_parse_endpoint(line, &e, err, sizeof(err));
			it = &e;
		} else {
			rc = blocklist_parse_port(line, &r[0], &r[1], err, sizeof(err));
			it = r;
		}
		if (rc < 0) {
			nerr++;
			if (errs)
				fprintf(errs, "%s:%lu: %s\n", path, lineno, err);
		} else if (rc > 0 && !nerr && bl_push(l, it, item) < 0) {
			nerr++;
			if (errs)
				fprintf(errs, "%s:%lu: out of memory\n", path, lineno);
		}
	}
	if (ferror(f)) {
		nerr++;
		if (errs)
			fprintf(errs, "%s: read error: %s\n", path, strerror(errno));
	}
	free(line);
	fclose(f);
	return nerr ? -1 : 0;
}

int blocklist_load_domains(const char *path, struct domain_set *ds, FILE *errs)
{
	struct bl_list l = { .kind = BL_DOMAINS };
	int ret = -1;
	size_t i;

	if (bl_read(path, &l, errs) < 0)
		goto out;
	for (i = 0; i < l.n; i++) {
		if (domain_set_add(ds, l.u.names[i]) < 0) {
			if (errs)
				fprintf(errs, "%s: cannot add \"%s\"\n", path, l.u.names[i]);
			goto out;
		}
	}
	ret = (int)l.n;
out:
	free(l.u.names);
	return ret;
}

int blocklist_load_endpoints(const char *path, struct ep_table *t, uint32_t tag, FILE *errs)
{
	struct bl_list l = { .kind = BL_ENDPOINTS };
	int ret = -1;
	size_t i;

	if (bl_read(path, &l, errs) < 0)
		goto out;
	for (i = 0; i < l.n; i++) {
		l.u.eps[i].tag = tag;
		if (ep_table_add(t, &l.u.eps[i]) < 0) {
			if (errs)
				fprintf(errs, "%s: cannot add entry %zu (out of memory)\n", path, i + 1);
			goto out;
		}
	}
	ret = (int)l.n;
out:
	free(l.u.eps);
	return ret;
}

int blocklist_load_ports(const char *path, uint8_t bitmap[8192], FILE *errs)
{
	struct bl_list l = { .kind = BL_PORTS };
	int ret = -1;
	size_t i;

	if (bl_read(path, &l, errs) < 0)
		goto out;
	for (i = 0; i < l.n; i++) {
		unsigned int p;

		for (p = l.u.ranges[i][0]; p <= l.u.ranges[i][1]; p++)
			bitmap[p >> 3] |= (uint8_t)(1u << (p & 7));
	}
	ret = (int)l.n;
out:
	free(l.u.ranges);
	return ret;
}

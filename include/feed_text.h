/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Text primitives shared by the feed files: bounded lines, numbers, times, names. */
#ifndef MW_FEED_TEXT_H
#define MW_FEED_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A cursor over "\n"-terminated lines. */
struct feed_cursor {
	const char *buf;
	size_t len, pos;
	unsigned int lineno;	/* of the line last returned */
};

enum feed_line_status { FEED_LINE_OK = 0, FEED_LINE_END, FEED_LINE_LONG, FEED_LINE_NONL,
			FEED_LINE_CTRL };

/* Next line (without "\n") of at most max bytes. Every line must end with
 * "\n" and hold no control character but TAB is refused too. */
enum feed_line_status feed_next_line(struct feed_cursor *c, size_t max, const char **l, size_t *ll);
/* Reason text for a line status other than OK/END. */
const char *feed_line_error(enum feed_line_status s);

/* Decimal u64 in canonical form (no sign, no leading zero). 0 or -1. */
int feed_u64_parse(const char *s, size_t len, uint64_t *v);
/* "YYYY-MM-DDTHH:MM:SSZ" exactly, a real UTC date. 0 or -1. */
int feed_time_parse(const char *s, size_t len, int64_t *t);
/* out holds 21 bytes. */
int feed_time_format(int64_t t, char out[21]);
/* [A-Za-z0-9._-]{1,63} */
bool feed_provider_valid(const char *s, size_t len);
/* Lower-case hex of n bytes; out holds 2n+1. */
void feed_hex(const uint8_t *bin, size_t n, char *out);
/* If line starts with "key ", point *v at the rest. */
bool feed_kv(const char *l, size_t ll, const char *key, const char **v, size_t *vl);
/* The next line (at most max bytes) must be "key value": *v gets the value.
 * 0, or -1 with "line N: why" in err. */
int feed_kv_line(struct feed_cursor *c, size_t max, const char *key, const char **v, size_t *vl,
		 char *err, size_t errsize);

#endif

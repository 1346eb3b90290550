// SPDX-License-Identifier: GPL-2.0-or-later
/* Text primitives shared by the feed files: bounded lines, numbers, times, names. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "feed_text.h"

enum feed_line_status feed_next_line(struct feed_cursor *c, size_t max, const char **l, size_t *ll)
{
	const char *nl;
	size_t n, i;

	if (c->pos >= c->len)
		return FEED_LINE_END;
	c->lineno++;
	*l = c->buf + c->pos;
	/* Look no further than max + 1 bytes for the newline. */
	n = c->len - c->pos;
	nl = memchr(*l, '\n', n < max + 1 ? n : max + 1);
	if (!nl)
		return n > max ? FEED_LINE_LONG : FEED_LINE_NONL;
	n = (size_t)(nl - *l);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)(*l)[i];

		if (ch < 0x20 || ch == 0x7f)
			return FEED_LINE_CTRL;
	}
	c->pos += n + 1;
	*ll = n;
	return FEED_LINE_OK;
}

const char *feed_line_error(enum feed_line_status s)
{
	switch (s) {
	case FEED_LINE_LONG:
		return "line too long";
	case FEED_LINE_NONL:
		return "missing newline at the end of the file";
	case FEED_LINE_CTRL:
		return "control character (CR, TAB, NUL...) in the line";
	case FEED_LINE_END:
		return "unexpected end of file";
	default:
		return "no error";
	}
}

int feed_u64_parse(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned int)(s[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static int digits(const char *s, size_t n, int *out)
{
	int x = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*out = x;
	return 0;
}

int feed_time_parse(const char *s, size_t len, int64_t *t)
{
	struct tm tm;
	char back[21];
	int y, mo, d, h, mi, se;
	time_t tt;

	if (len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	tt = timegm(&tm);
	/* timegm normalises 31 April into 1 May: the round trip catches it. */
	if (tt == (time_t)-1 || feed_time_format((int64_t)tt, back) < 0 || memcmp(back, s, 20) != 0)
		return -1;
	*t = (int64_t)tt;
	return 0;
}

int feed_time_format(int64_t t, char out[21])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t < 0 || !gmtime_r(&tt, &tm) || tm.tm_year + 1900 > 9999)
		return -1;
	return strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 20 ? 0 : -1;
}

bool feed_provider_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 63)
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

void feed_hex(const uint8_t *bin, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[bin[i] >> 4];
		out[2 * i + 1] = hx[bin[i] & 15];
	}
	out[2 * n] = '\0';
}

bool feed_kv(const char *l, size_t ll, const char *key, const char **v, size_t *vl)
{
	size_t kl = strlen(key);

	if (ll < kl + 1 || memcmp(l, key, kl) != 0 || l[kl] != ' ')
		return false;
	*v = l + kl + 1;
	*vl = ll - kl - 1;
	return true;
}

int feed_kv_line(struct feed_cursor *c, size_t max, const char *key, const char **v, size_t *vl,
		 char *err, size_t errsize)
{
	enum feed_line_status st;
	const char *l;
	size_t ll;

	st = feed_next_line(c, max, &l, &ll);
	if (st != FEED_LINE_OK) {
		snprintf(err, errsize, "line %u: %s", c->lineno, feed_line_error(st));
		return -1;
	}
	if (!feed_kv(l, ll, key, v, vl)) {
		snprintf(err, errsize, "line %u: expected \"%s ...\"", c->lineno, key);
		return -1;
	}
	return 0;
}

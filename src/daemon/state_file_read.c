// SPDX-License-Identifier: GPL-2.0-or-later
/* The state file's parser and reader: whole or not at all, a damaged file moved aside. */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "state_file.h"
#include "state_file_int.h"

#define STATE_FILE_MAX	(256u << 20)

/* ---- parsing -------------------------------------------------------------- */

/* Split s at single spaces into at most max fields. With rest, the last field
 * is the remainder of the line, spaces and all ("" when absent). Empty fields
 * (double, leading or trailing spaces) are errors. Number of fields, or -1. */
static int split(char *s, char **tok, int max, bool rest)
{
	int n = 0;

	for (;;) {
		char *sp;

		if (rest && n == max - 1) {
			tok[n++] = s;
			return n;
		}
		if (n == max)
			return -1;
		sp = strchr(s, ' ');
		tok[n++] = s;
		if (!sp)
			return *s ? n : -1;
		if (sp == s)
			return -1;
		*sp = '\0';
		s = sp + 1;
	}
}

/* Decimal, no sign, no leading zeros, at most max. */
static int number(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (!s[0] || (s[0] == '0' && s[1]))
		return -1;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 20)
			return -1;
		if (x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > max)
		return -1;
	*v = x;
	return 0;
}

static int reason_parse(const char *s, char out[64], char *err, size_t errsize)
{
	size_t i, len = strlen(s);

	if (len > STATE_REASON_MAX) {
		snprintf(err, errsize, "reason longer than %d bytes", STATE_REASON_MAX);
		return -1;
	}
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f) {
			snprintf(err, errsize, "reason has a control or non-ASCII byte at column %zu",
				 i + 1);
			return -1;
		}
	memcpy(out, s, len + 1);
	return 0;
}

static int ep_field(const char *what, const char *s, struct ep_entry *ep, char *err,
		    size_t errsize)
{
	char perr[96];

	if (ep_parse(s, ep, perr, sizeof(perr)) < 0) {
		snprintf(err, errsize, "%s: %s", what, perr);
		return -1;
	}
	return 0;
}

static int ms_field(const char *what, const char *s, uint64_t *v, char *err, size_t errsize)
{
	if (number(s, STATE_MS_MAX, v) < 0) {
		snprintf(err, errsize, "invalid %s \"%.24s\"", what, s);
		return -1;
	}
	return 0;
}

/* One item line (the header and end are handled by the caller). */
static int item_parse(char *s, struct state_item *it, char *err, size_t errsize)
{
	char *tok[7];
	int n, v;

	memset(it, 0, sizeof(*it));
	if (strncmp(s, "block ", 6) == 0 || strncmp(s, "allow ", 6) == 0) {
		bool block = s[0] == 'b';

		n = split(s, tok, 5, true);
		if (n < 4) {
			snprintf(err, errsize, "%s: expected %s EP EXPIRES_MS [REASON]", tok[0],
				 block ? "SOURCE" : "allow|qallow");
			return -1;
		}
		if (n == 4)
			tok[4] = (char *)"";
		if (block) {
			it->kind = STATE_BLOCK;
			v = enforce_source_parse(tok[1]);
			if (v < 0) {
				snprintf(err, errsize, "block: unknown source \"%.16s\"", tok[1]);
				return -1;
			}
			if (v != ENF_DETECT && v != ENF_DNS) {
				snprintf(err, errsize, "block: source \"%s\" is not kept in the state file",
					 tok[1]);
				return -1;
			}
			it->source = (enum enforce_source)v;
			if (ep_field("block", tok[2], &it->ep, err, errsize) < 0)
				return -1;
			/* ep_parse takes "a/nn:port"; no block set holds one. */
			if (enforce_entry_kind(&it->ep) < 0) {
				snprintf(err, errsize, "block: \"%s\" has both a prefix and a port",
					 tok[2]);
				return -1;
			}
		} else {
			it->kind = STATE_ALLOW;
			if (strcmp(tok[1], "allow") == 0)
				it->which = ENF_ALLOW;
			else if (strcmp(tok[1], "qallow") == 0)
				it->which = ENF_QALLOW;
			else {
				snprintf(err, errsize, "allow: unknown list \"%.16s\" (allow or qallow)",
					 tok[1]);
				return -1;
			}
			if (ep_field("allow", tok[2], &it->ep, err, errsize) < 0)
				return -1;
			if (it->ep.port) {
				snprintf(err, errsize, "allow: \"%s\" has a port", tok[2]);
				return -1;
			}
		}
		if (ms_field("expires_ms", tok[3], &it->ep.expires_ms, err, errsize) < 0)
			return -1;
		return reason_parse(tok[4], it->reason, err, errsize);
	}
	if (strncmp(s, "tier ", 5) == 0) {
		struct escalate_host *h = &it->host;
		uint64_t det;

		it->kind = STATE_TIER;
		if (split(s, tok, 7, false) != 7) {
			snprintf(err, errsize,
				 "tier: expected ADDR TIER DETECTIONS SINCE_MS UNTIL_MS LAST_MS");
			return -1;
		}
		h->family = strchr(tok[1], ':') ? AF_INET6 : AF_INET;
		if (strlen(tok[1]) >= INET6_ADDRSTRLEN || inet_pton(h->family, tok[1], h->addr) != 1) {
			snprintf(err, errsize, "tier: invalid address \"%.46s\"", tok[1]);
			return -1;
		}
		for (v = 0; v <= ENF_QUARANTINE; v++)
			if (strcmp(tok[2], state_tier_names[v]) == 0)
				break;
		if (v > ENF_QUARANTINE) {
			snprintf(err, errsize, "tier: unknown tier \"%.16s\" (watch, throttle or quarantine)",
				 tok[2]);
			return -1;
		}
		h->tier = (enum enforce_tier)v;
		if (number(tok[3], UINT32_MAX, &det) < 0) {
			snprintf(err, errsize, "invalid detections \"%.24s\"", tok[3]);
			return -1;
		}
		h->detections = (uint32_t)det;
		if (ms_field("since_ms", tok[4], &h->tier_since_ms, err, errsize) < 0 ||
		    ms_field("until_ms", tok[5], &h->tier_until_ms, err, errsize) < 0 ||
		    ms_field("last_ms", tok[6], &h->last_ms, err, errsize) < 0)
			return -1;
		return 0;
	}
	n = (int)strcspn(s, " ");
	snprintf(err, errsize, "unknown item \"%.*s\"", n > 16 ? 16 : n, s);
	return -1;
}

static bool item_expired(const struct state_item *it, uint64_t now_ms)
{
	uint64_t t = it->kind == STATE_TIER ? it->host.tier_until_ms : it->ep.expires_ms;

	return t != 0 && t <= now_ms;
}

int state_parse(const char *buf, size_t len, struct state *st, uint64_t now_ms,
		unsigned int *line, char *err, size_t errsize)
{
	char s[STATE_LINE_MAX + 1];
	const char *p = buf, *end = buf + len;
	uint64_t items = 0, count;
	bool ended = false;
	int ret = -1;

	*line = 0;
	if (len == 0) {
		*line = 1;
		snprintf(err, errsize, "empty file");
		goto out;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct state_item it;
		char *tok[2];

		++*line;
		if (l > STATE_LINE_MAX) {
			snprintf(err, errsize, "line longer than %d bytes", STATE_LINE_MAX);
			goto out;
		}
		if (!nl) {
			snprintf(err, errsize, "last line has no newline (file truncated?)");
			goto out;
		}
		if (memchr(p, '\0', l)) {
			snprintf(err, errsize, "NUL byte in line");
			goto out;
		}
		memcpy(s, p, l);
		s[l] = '\0';
		p = nl + 1;
		if (ended) {
			snprintf(err, errsize, "data after the end line");
			goto out;
		}
		if (*line == 1) {
			if (strcmp(s, STATE_MAGIC) != 0) {
				snprintf(err, errsize, "not a state file (expected \"%s\")", STATE_MAGIC);
				goto out;
			}
			continue;
		}
		if (strncmp(s, "end ", 4) == 0 || strcmp(s, "end") == 0) {
			if (split(s, tok, 2, false) != 2 || number(tok[1], UINT32_MAX, &count) < 0) {
				snprintf(err, errsize, "end: expected end COUNT");
				goto out;
			}
			if (count != items) {
				snprintf(err, errsize, "end: count %llu but %llu items (file damaged?)",
					 (unsigned long long)count, (unsigned long long)items);
				goto out;
			}
			ended = true;
			continue;
		}
		if (item_parse(s, &it, err, errsize) < 0)
			goto out;
		items++;
		if (item_expired(&it, now_ms))
			continue;
		if (state_add(st, &it) < 0) {
			snprintf(err, errsize, "out of memory");
			goto out;
		}
	}
	if (!ended) {
		++*line;
		snprintf(err, errsize, "missing end line (file truncated?)");
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		state_fini(st);
	return ret;
}

/* ---- reading -------------------------------------------------------------- */

/* Remove PATH.tmp.PID files whose writer is gone. Best effort. */
static void tmp_clean(const char *path)
{
	char dir[PATH_MAX];
	const char *base;
	struct dirent *de;
	size_t blen;
	DIR *d;

	if (state_path_split(path, dir, sizeof(dir), &base) < 0)
		return;
	blen = strlen(base);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *s = de->d_name;
		uint64_t pid;

		if (strncmp(s, base, blen) != 0 || strncmp(s + blen, ".tmp.", 5) != 0)
			continue;
		if (number(s + blen + 5, INT_MAX, &pid) < 0 || (pid_t)pid == getpid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			unlinkat(dirfd(d), s, 0);
	}
	closedir(d);
}

static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	if (!buf)
		return -1;
	for (;;) {
		if (n == cap) {
			if (cap > STATE_FILE_MAX) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

int state_read(const char *path, struct state *st, uint64_t now_ms, char *err, size_t errsize)
{
	char msg[256], aside[PATH_MAX + 32];
	struct state tmp;
	unsigned int line;
	char *buf = NULL;
	size_t len = 0;
	int fd, ret = -1;

	state_fini(st);
	state_init(&tmp);
	tmp_clean(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errsize, "%s: open: %s", path, strerror(errno));
		return -1;
	}
	if (read_all(fd, &buf, &len) < 0) {
		int e = errno;

		snprintf(err, errsize, "%s: read: %s", path, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	if (state_parse(buf, len, &tmp, now_ms, &line, msg, sizeof(msg)) == 0) {
		*st = tmp;
		ret = 0;
		goto out;
	}
	ret = 1;
	snprintf(aside, sizeof(aside), "%s.corrupt-%lld", path, (long long)time(NULL));
	if (rename(path, aside) < 0)
		snprintf(err, errsize, "%s:%u: %s (not moved aside: %s)", path, line, msg,
			 strerror(errno));
	else
		snprintf(err, errsize, "%s:%u: %s", path, line, msg);
out:
	free(buf);
	return ret;
}

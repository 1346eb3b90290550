// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's state file: blocks, host tiers and run-time allowlist entries, written atomically and read whole or not at all. */
#include "config.h"

/*
 * NAME
 *	state file - minewalld's dynamic state across restarts
 *
 * FORMAT
 *	Text, one item per line, fields separated by exactly one space, every
 *	line ends with a newline and holds at most 512 bytes before it:
 *
 *	minewall-state 1
 *	block SOURCE EP EXPIRES_MS [REASON...]
 *	tier ADDR TIER DETECTIONS SINCE_MS UNTIL_MS LAST_MS
 *	allow WHICH EP EXPIRES_MS [REASON...]
 *	end COUNT
 *
 *	SOURCE is "detect" or "dns" (lists and feeds are rebuilt from their
 *	files, so they are never kept here). EP is written as ep_parse() reads
 *	it: "a.b.c.d", "a.b.c.d/nn", "a.b.c.d:port", "v6", "v6/nn",
 *	"[v6]:port" (a port goes with a whole address only). WHICH is "allow"
 *	or "qallow", and its EP has no port. TIER
 *	is "watch", "throttle" or "quarantine". Times are wall-clock
 *	milliseconds since the epoch (at most year 9999); 0 means never.
 *	DETECTIONS fits 32 bits. REASON is the rest of the line: at most 63
 *	bytes of printable ASCII (the writer turns anything else into '?').
 *	COUNT is the number of items, so a cut file is detected; nothing may
 *	follow the end line.
 *
 * READING
 *	The whole file is parsed before anything is handed over. Any fault
 *	moves the file aside to PATH.corrupt-UNIXTIME and reports
 *	"PATH:LINE: message"; the daemon then starts empty. Items whose expiry
 *	has passed are skipped. A missing file is an empty state. Temporary
 *	files PATH.tmp.PID left by a writer that died are removed.
 *
 * WRITING
 *	PATH.tmp.PID (O_EXCL, mode 0600), fsync, rename over PATH, fsync of the
 *	directory. On any failure before the rename the temporary file is
 *	removed and PATH is untouched. One process must not write the same PATH
 *	from two threads at once.
 */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fd_write.h"
#include "state_file.h"
#include "state_file_int.h"

#define STATE_MAGIC	"minewall-state 1"
#define STATE_MS_MAX	253402300799999ULL	/* 9999-12-31T23:59:59.999Z */
#define STATE_FILE_MAX	(256u << 20)
#define STATE_REASON_MAX	63

static const char *const tier_names[] = { "watch", "throttle", "quarantine" };
static const char *const allow_names[] = { "allow", "qallow" };

void state_init(struct state *st)
{
	memset(st, 0, sizeof(*st));
}

void state_fini(struct state *st)
{
	free(st->items);
	state_init(st);
}

int state_add(struct state *st, const struct state_item *it)
{
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		struct state_item *n;

		if (cap > SIZE_MAX / sizeof(*n)) {
			errno = ENOMEM;
			return -1;
		}
		n = realloc(st->items, cap * sizeof(*n));
		if (!n)
			return -1;
		st->items = n;
		st->cap = cap;
	}
	st->items[st->n++] = *it;
	return 0;
}

/* ---- formatting ----------------------------------------------------------- */

static unsigned int addr_bits(uint8_t family)
{
	return family == AF_INET ? 32 : 128;
}

static bool ep_valid(const struct ep_entry *e)
{
	unsigned int i, bits;

	if (e->family != AF_INET && e->family != AF_INET6)
		return false;
	bits = addr_bits(e->family);
	if (e->plen > bits)
		return false;
	/* ep_parse refuses host bits past the prefix. */
	for (i = e->plen; i < bits; i++)
		if (e->addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	for (i = bits / 8; i < 16; i++)
		if (e->addr[i])
			return false;
	return true;
}

/* The ep_parse() spelling of e. */
static int ep_format(const struct ep_entry *e, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN], pfx[8] = "";
	bool v6 = e->family == AF_INET6;
	int n;

	if (!ep_valid(e) || !inet_ntop(e->family, e->addr, a, sizeof(a)))
		return -1;
	if (e->plen != addr_bits(e->family))
		snprintf(pfx, sizeof(pfx), "/%u", e->plen);
	if (e->port == 0)
		n = snprintf(buf, size, "%s%s", a, pfx);
	else if (v6)
		n = snprintf(buf, size, "[%s%s]:%u", a, pfx, e->port);
	else
		n = snprintf(buf, size, "%s%s:%u", a, pfx, e->port);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Printable ASCII only, at most 63 bytes, so the reader takes it back. */
static void reason_clean(char out[STATE_REASON_MAX + 1], const char *in)
{
	size_t i;

	for (i = 0; i < STATE_REASON_MAX && in[i]; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

int state_format(const struct state_item *it, char *buf, size_t size, char *err, size_t errsize)
{
	char ep[80], reason[STATE_REASON_MAX + 1];
	int n = -1;

	reason_clean(reason, it->reason);
	switch (it->kind) {
	case STATE_BLOCK:
		if (it->source != ENF_DETECT && it->source != ENF_DNS) {
			snprintf(err, errsize, "block: source %d is not kept in the state file",
				 (int)it->source);
			goto out;
		}
		if (enforce_entry_kind(&it->ep) < 0 || ep_format(&it->ep, ep, sizeof(ep)) < 0 ||
		    it->ep.expires_ms > STATE_MS_MAX) {
			snprintf(err, errsize, "block: invalid entry");
			goto out;
		}
		n = snprintf(buf, size, "block %s %s %llu%s%s", enforce_source_name(it->source), ep,
			     (unsigned long long)it->ep.expires_ms, reason[0] ? " " : "", reason);
		break;
	case STATE_ALLOW:
		if ((unsigned int)it->which > ENF_QALLOW) {
			snprintf(err, errsize, "allow: unknown list %d", (int)it->which);
			goto out;
		}
		if (it->ep.port != 0 || ep_format(&it->ep, ep, sizeof(ep)) < 0 ||
		    it->ep.expires_ms > STATE_MS_MAX) {
			snprintf(err, errsize, "allow: invalid entry");
			goto out;
		}
		n = snprintf(buf, size, "allow %s %s %llu%s%s", allow_names[it->which], ep,
			     (unsigned long long)it->ep.expires_ms, reason[0] ? " " : "", reason);
		break;
	case STATE_TIER: {
		const struct escalate_host *h = &it->host;
		char a[INET6_ADDRSTRLEN];

		if ((h->family != AF_INET && h->family != AF_INET6) ||
		    (unsigned int)h->tier > ENF_QUARANTINE ||
		    h->tier_since_ms > STATE_MS_MAX || h->tier_until_ms > STATE_MS_MAX ||
		    h->last_ms > STATE_MS_MAX || !inet_ntop(h->family, h->addr, a, sizeof(a))) {
			snprintf(err, errsize, "tier: invalid host");
			goto out;
		}
		n = snprintf(buf, size, "tier %s %s %u %llu %llu %llu", a, tier_names[h->tier],
			     h->detections, (unsigned long long)h->tier_since_ms,
			     (unsigned long long)h->tier_until_ms, (unsigned long long)h->last_ms);
		break;
	}
	default:
		snprintf(err, errsize, "unknown item kind %d", (int)it->kind);
		goto out;
	}
	if (n < 0 || (size_t)n >= size || n > STATE_LINE_MAX) {
		snprintf(err, errsize, "line too long");
		n = -1;
	}
out:
	if (n < 0)
		errno = EINVAL;
	return n < 0 ? -1 : 0;
}

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
			if (strcmp(tok[2], tier_names[v]) == 0)
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

/* ---- files ---------------------------------------------------------------- */

/* Split path into its directory and base name. */
static int path_split(const char *path, char *dir, size_t dsize, const char **base)
{
	const char *sl = strrchr(path, '/');
	int n;

	if (!sl) {
		*base = path;
		n = snprintf(dir, dsize, ".");
	} else {
		*base = sl + 1;
		n = snprintf(dir, dsize, "%.*s", sl == path ? 1 : (int)(sl - path), path);
	}
	if (n < 0 || (size_t)n >= dsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Remove PATH.tmp.PID files whose writer is gone. Best effort. */
static void tmp_clean(const char *path)
{
	char dir[PATH_MAX];
	const char *base;
	struct dirent *de;
	size_t blen;
	DIR *d;

	if (path_split(path, dir, sizeof(dir), &base) < 0)
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

/* Every line in one buffer: a bad item fails before the disk is touched. */
static char *state_render(const struct state *st, size_t *len, char *err, size_t errsize)
{
	char line[STATE_LINE_MAX + 2], ierr[128];
	size_t cap = 64 + st->n * 128, n = 0, i;
	char *buf = malloc(cap), *nb;
	int l;

	if (!buf) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	n = (size_t)sprintf(buf, "%s\n", STATE_MAGIC);
	for (i = 0; i <= st->n; i++) {
		if (i == st->n) {
			snprintf(line, sizeof(line), "end %zu", st->n);
		} else if (state_format(&st->items[i], line, sizeof(line), ierr, sizeof(ierr)) < 0) {
			snprintf(err, errsize, "item %zu: %s", i + 1, ierr);
			free(buf);
			errno = EINVAL;
			return NULL;
		}
		l = (int)strlen(line);
		if (n + (size_t)l + 2 > cap) {
			cap = cap * 2 + (size_t)l + 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				snprintf(err, errsize, "out of memory");
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		memcpy(buf + n, line, (size_t)l);
		n += (size_t)l;
		buf[n++] = '\n';
	}
	*len = n;
	return buf;
}

int state_write(const char *path, const struct state *st, char *err, size_t errsize)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *base, *step = "open";
	int fd = -1, dfd = -1, e = 0, n, ret = -1;
	bool tmp_made = false;
	size_t len = 0;
	char *buf;

	if (st->n > UINT32_MAX) {
		snprintf(err, errsize, "%s: too many items", path);
		errno = EINVAL;
		return -1;
	}
	buf = state_render(st, &len, err, errsize);
	if (!buf)
		return -1;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp) || path_split(path, dir, sizeof(dir), &base) < 0) {
		e = ENAMETOOLONG;
		snprintf(err, errsize, "%s: %s", path, strerror(e));
		goto out;
	}
	fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	/* Our own pid on a leftover: a previous process with this pid died
	 * while writing (pids repeat across boots and in containers). */
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	tmp_made = true;
	step = "write";
	if (fd_write_all(fd, buf, len) < 0)
		goto fail;
	step = "fsync";
	if (fsync(fd) < 0)
		goto fail;
	step = "close";
	n = close(fd);
	fd = -1;
	if (n < 0)
		goto fail;
	step = "rename";
	if (rename(tmp, path) < 0)
		goto fail;
	tmp_made = false;
	/* The new file is in place; without this fsync a crash may bring
	 * back the old one, which the caller should hear about. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		e = errno;
		snprintf(err, errsize, "%s: fsync: %s", dir, strerror(e));
		goto out;
	}
	ret = 0;
	goto out;
fail:
	e = errno;
	snprintf(err, errsize, "%s: %s: %s", tmp, step, strerror(e));
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp_made)
		unlink(tmp);
	free(buf);
	if (ret < 0 && e)
		errno = e;
	return ret;
}

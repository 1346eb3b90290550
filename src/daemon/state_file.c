// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's state file: its format, the item list, the line encoder and the atomic writer. */
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
 * READING (state_file_read.c)
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
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "fd_write.h"
#include "state_file.h"
#include "state_file_int.h"

const char *const state_tier_names[] = { "watch", "throttle", "quarantine" };
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
		n = snprintf(buf, size, "tier %s %s %u %llu %llu %llu", a, state_tier_names[h->tier],
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

/* ---- writing -------------------------------------------------------------- */

/* Split path into its directory and base name. */
int state_path_split(const char *path, char *dir, size_t dsize, const char **base)
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
	if (n < 0 || (size_t)n >= sizeof(tmp) || state_path_split(path, dir, sizeof(dir), &base) < 0) {
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

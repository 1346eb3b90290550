// SPDX-License-Identifier: GPL-2.0-or-later
/* Offline mode: captures through the live engine, with the capture's clock. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <pcap/pcap.h>

#include "engine.h"
#include "event.h"
#include "fd_write.h"
#include "log.h"
#include "offline.h"

#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* Read buffer: many records per read(2), and always room for the largest
 * record (16-byte header and CAP_MAX_SNAP bytes). */
#define OFFLINE_READ_BUF (320u << 10)
/* libpcap's largest snapshot for the link types read directly. */
#define CAP_MAX_SNAP 262144u
#define CAP_HDR 24u
#define CAP_REC_HDR 16u
/* Largest capture kept from a pipe or a terminal (-r - and FIFOs) for the
 * second pass. It is held in memory; a larger one must be given as a file. */
#define OFFLINE_SPOOL_MAX (1024ull << 20)

_Static_assert(OFFLINE_READ_BUF >= CAP_REC_HDR + CAP_MAX_SNAP, "a record must fit the buffer");

/*
 * A capture being read. Classic pcap files (version 2.4, a link type we
 * handle) are read here, straight from a read(2) buffer: libpcap reads each
 * record with two fread() calls, which cost more than the engine's whole
 * path for a packet of a flow already judged. Anything else (pcapng, other
 * link types or versions) goes through libpcap. Both read from a copy of the
 * source's descriptor positioned at base: the capture is read twice.
 */
struct capture {
	pcap_t *pc;		/* libpcap reads it, or NULL */
	int fd;
	int dlt;
	bool swapped;		/* written in the other byte order */
	bool nsec;		/* nanosecond timestamps */
	uint32_t snaplen;
	uint8_t *buf;		/* OFFLINE_READ_BUF bytes; unread ones are [start, end) */
	size_t start, end;
	struct pcap_pkthdr h;
	char err[PCAP_ERRBUF_SIZE];
};

struct offline {
	FILE *out;
	uint64_t events;
};

static void offline_on_event(void *arg, const struct mw_event *ev)
{
	struct offline *o = arg;
	char buf[1024];

	if (event_format_json(buf, sizeof(buf), ev) < 0)
		return;
	fprintf(o->out, "%s\n", buf);
	o->events++;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Offset of the IP header behind the link header, or -1 for frames that carry no IP. */
static int offline_ip_offset(int dlt, const uint8_t *d, size_t len)
{
	size_t off;
	uint16_t type;

	switch (dlt) {
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
#ifdef DLT_RAW_ALT
	case DLT_RAW_ALT:
#endif
		return 0;
	case DLT_NULL:
	case DLT_LOOP:
		return len >= 4 ? 4 : -1;
	case DLT_LINUX_SLL:
		if (len < 16)
			return -1;
		type = rd16(d + 14);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (len < 20)
			return -1;
		type = rd16(d);
		off = 20;
		break;
	case DLT_EN10MB:
		if (len < 14)
			return -1;
		type = rd16(d + 12);
		off = 14;
		/* 802.1Q and QinQ tags, a bounded number of them. */
		for (int tags = 0; (type == 0x8100 || type == 0x88a8) && tags < 4; tags++) {
			if (len < off + 4)
				return -1;
			type = rd16(d + off + 2);
			off += 4;
		}
		break;
	default:
		return -1;
	}
	if (type != 0x0800 && type != 0x86dd)
		return -1;
	return off <= len ? (int)off : -1;
}

static uint32_t cap_u32(const struct capture *c, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return c->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t cap_u16(const struct capture *c, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return c->swapped ? __builtin_bswap16(v) : v;
}

/* Link types whose DLT value offline_ip_offset() knows, or -1. */
static int cap_dlt(uint32_t linktype)
{
	switch (linktype) {
	case 0: return DLT_NULL;
	case 1: return DLT_EN10MB;
	case 101: return DLT_RAW;	/* LINKTYPE_RAW */
	case 113: return DLT_LINUX_SLL;
	case 228: return DLT_IPV4;
	case 229: return DLT_IPV6;
	case 276: return DLT_LINUX_SLL2;
	default: return -1;
	}
}

/* 0 if the file header is one this reader takes; -1 leaves it to libpcap. */
static int cap_header(struct capture *c, const uint8_t *h)
{
	uint32_t magic;

	memcpy(&magic, h, 4);
	c->swapped = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
	magic = cap_u32(c, h);
	if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du)
		return -1;
	c->nsec = magic == 0xa1b23c4du;
	/* Version 2.4 only: older files may have caplen and len swapped. */
	if (cap_u16(c, h + 4) != 2 || cap_u16(c, h + 6) != 4)
		return -1;
	c->snaplen = cap_u32(c, h + 16);
	if (c->snaplen == 0 || c->snaplen > CAP_MAX_SNAP)
		c->snaplen = CAP_MAX_SNAP;
	/* The high bits carry FCS information: leave such files to libpcap. */
	c->dlt = cap_dlt(cap_u32(c, h + 20));
	return c->dlt < 0 ? -1 : 0;
}

/* Make at least want unread bytes available if the file has them. Returns
 * how many are available (less than want only at the end), or -1. */
static ssize_t cap_fill(struct capture *c, size_t want)
{
	ssize_t n;

	if (c->end - c->start >= want)
		return (ssize_t)want;
	memmove(c->buf, c->buf + c->start, c->end - c->start);
	c->end -= c->start;
	c->start = 0;
	while (c->end < want) {
		n = read(c->fd, c->buf + c->end, OFFLINE_READ_BUF - c->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(c->err, sizeof(c->err), "%s", strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		c->end += (size_t)n;
	}
	return (ssize_t)(c->end < want ? c->end : want);
}

/* The next record: 1, 0 at the end of the file, -1 on error (cap_error). */
static int cap_next(struct capture *c, struct pcap_pkthdr **h, const uint8_t **data)
{
	const uint8_t *r;
	uint32_t caplen, frac;
	ssize_t n;

	if (c->pc) {
		int rc = pcap_next_ex(c->pc, h, data);

		if (rc != 1)
			return rc == PCAP_ERROR_BREAK ? 0 : -1;
		/* Records with a fraction out of range are normalised, not
		 * rejected: the capture's clock stays monotonic where it was. */
		c->h = **h;
		event_timeval_normalize(&c->h.ts);
		*h = &c->h;
		return 1;
	}
	n = cap_fill(c, CAP_REC_HDR);
	if (n <= 0)
		return (int)n;
	/* The messages are libpcap's, so a damaged file reads the same either way. */
	if ((size_t)n < CAP_REC_HDR) {
		snprintf(c->err, sizeof(c->err),
			 "truncated dump file; tried to read %u header bytes, only got %zd",
			 CAP_REC_HDR, n);
		return -1;
	}
	r = c->buf + c->start;
	caplen = cap_u32(c, r + 8);
	if (caplen > CAP_MAX_SNAP) {
		snprintf(c->err, sizeof(c->err),
			 "invalid packet capture length %u, bigger than snaplen of %u",
			 caplen, CAP_MAX_SNAP);
		return -1;
	}
	n = cap_fill(c, CAP_REC_HDR + caplen);
	if (n < 0)
		return -1;
	if ((size_t)n < CAP_REC_HDR + caplen) {
		snprintf(c->err, sizeof(c->err),
			 "truncated dump file; tried to read %u captured bytes, only got %zd",
			 caplen, n - (ssize_t)CAP_REC_HDR);
		return -1;
	}
	r = c->buf + c->start;
	frac = cap_u32(c, r + 4);
	/* Signed 32-bit fields in the file, as libpcap reads them. */
	c->h.ts.tv_sec = (time_t)(int32_t)cap_u32(c, r);
	c->h.ts.tv_usec = (suseconds_t)(c->nsec ? (int32_t)frac / 1000 : (int32_t)frac);
	event_timeval_normalize(&c->h.ts);
	/* Bytes past the file's snapshot length are skipped, as libpcap does. */
	c->h.caplen = caplen > c->snaplen ? c->snaplen : caplen;
	c->h.len = cap_u32(c, r + 12);
	*h = &c->h;
	*data = r + CAP_REC_HDR;
	c->start += CAP_REC_HDR + caplen;
	return 1;
}

static const char *cap_error(struct capture *c)
{
	return c->pc ? pcap_geterr(c->pc) : c->err;
}

static void cap_close(struct capture *c)
{
	if (c->pc)
		pcap_close(c->pc);
	if (c->fd >= 0)
		close(c->fd);
	c->pc = NULL;
	c->fd = -1;
}

/* A descriptor of the whole capture that can be read twice from *base: the
 * file itself when it seeks (also "-" redirected from a file), else a copy in
 * memory of all that the pipe gives, at most OFFLINE_SPOOL_MAX bytes. buf
 * (OFFLINE_READ_BUF bytes) is scratch. The descriptor, or -1 (logged). */
static int cap_source(const char *path, uint8_t *buf, off_t *base)
{
	uint64_t total = 0;
	int fd, mfd = -1;
	off_t pos;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("%s", path);
		return -1;
	}
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos >= 0) {
		*base = pos;
		return fd;
	}
	mfd = memfd_create("minewall-capture", MFD_CLOEXEC);
	if (mfd < 0) {
		log_warn("%s: cannot keep the capture for the second pass", path);
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, buf, OFFLINE_READ_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("%s", path);
			goto fail;
		}
		if (n == 0)
			break;
		if ((uint64_t)n > OFFLINE_SPOOL_MAX - total) {
			log_warnx("%s: a capture from a pipe is kept in memory for the second pass, "
				  "at most %llu MiB; give a larger one as a file", path,
				  (unsigned long long)(OFFLINE_SPOOL_MAX >> 20));
			goto fail;
		}
		if (fd_write_all(mfd, buf, (size_t)n) < 0) {
			log_warn("%s: cannot keep the capture for the second pass", path);
			goto fail;
		}
		total += (uint64_t)n;
	}
	close(fd);
	*base = 0;
	return mfd;
fail:
	if (mfd >= 0)
		close(mfd);
	close(fd);
	return -1;
}

/* Open the capture in src (from base on; name for messages) with c->buf as
 * its buffer: directly when it is a classic pcap file we handle, through
 * libpcap (and stdio) otherwise. */
static int cap_open(struct capture *c, int src, off_t base, const char *name)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	uint8_t hdr[CAP_HDR];
	FILE *f;

	c->pc = NULL;
	c->start = c->end = 0;
	/* A copy that cap_close (or fclose) may close; it shares the offset. */
	c->fd = fcntl(src, F_DUPFD_CLOEXEC, 0);
	if (c->fd < 0) {
		log_warn("%s", name);
		return -1;
	}
	if (pread(c->fd, hdr, sizeof(hdr), base) == (ssize_t)sizeof(hdr) &&
	    cap_header(c, hdr) == 0 && lseek(c->fd, base + CAP_HDR, SEEK_SET) == base + CAP_HDR)
		return 0;
	f = lseek(c->fd, base, SEEK_SET) == base ? fdopen(c->fd, "rb") : NULL;
	if (!f) {
		log_warn("%s", name);
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->fd = -1;
	/* stdio's default 4 KiB buffer would cost a read(2) per few packets. */
	setvbuf(f, (char *)c->buf, _IOFBF, OFFLINE_READ_BUF);
	c->pc = pcap_fopen_offline(f, errbuf);
	if (!c->pc) {
		fclose(f);
		log_warnx("%s: %s", name, errbuf);
		return -1;
	}
	c->dlt = pcap_datalink(c->pc);
	return 0;
}

/* One pass of the engine over the capture. */
static int offline_pass(struct capture *cap, struct engine *e, uint64_t *packets, uint64_t *skipped,
			struct timeval *last)
{
	int dlt = cap->dlt;
	struct pcap_pkthdr *h;
	const uint8_t *data;
	int r;

	while ((r = cap_next(cap, &h, &data)) == 1) {
		struct queue_verdict v;
		int off = offline_ip_offset(dlt, data, h->caplen);
		uint64_t now_ms;

		(*packets)++;
		if (off < 0) {
			(*skipped)++;
			continue;
		}
		now_ms = (uint64_t)h->ts.tv_sec * 1000u + (uint64_t)h->ts.tv_usec / 1000u;
		*last = h->ts;
		engine_packet(e, data + off, h->caplen - (size_t)off, 0, now_ms, &h->ts, &v);
		/* Housekeeping on the capture's clock, as the daemon's timer would. */
		if (*packets % 1024 == 0)
			engine_tick(e, now_ms);
	}
	return r < 0 ? -1 : 0;
}

/* The capture is read twice. The first pass only learns which addresses the
 * capture itself reveals as pools' (DNS answers, pool SNI); the second judges
 * every flow knowing them, as an analyst reading the whole capture would: a
 * flow to a pool that started before the look-up is still attributed. A
 * capture from a pipe is kept (cap_source) so that it too can be read twice. */
int offline_run(const char *path, const struct mw_conf *c, const struct pool_lists *lists, FILE *out)
{
	struct offline o = { .out = out };
	struct engine *learn = NULL, *e = NULL;
	uint64_t packets = 0, skipped = 0, ignored = 0;
	struct timeval last = { 0, 0 };
	struct engine_stats st;
	struct flow_stats fs;
	struct capture cap = { .fd = -1, .buf = malloc(OFFLINE_READ_BUF) };
	char ts[48];
	off_t base = 0;
	int src = -1, rc = -1;

	learn = engine_new(c, lists, NULL, NULL);
	e = engine_new(c, lists, offline_on_event, &o);
	if (!learn || !e || !cap.buf) {
		log_warnx("out of memory");
		goto out;
	}
	engine_set_observe(learn, true);
	engine_set_learn_only(learn, true);
	engine_set_observe(e, true);

	src = cap_source(path, cap.buf, &base);
	if (src < 0 || cap_open(&cap, src, base, path) < 0)
		goto out;
	if (offline_pass(&cap, learn, &ignored, &ignored, &last) < 0) {
		log_warnx("%s: %s", path, cap_error(&cap));
		goto out;
	}
	cap_close(&cap);
	engine_preload_learned(e, learn);

	if (cap_open(&cap, src, base, path) < 0)
		goto out;
	if (offline_pass(&cap, e, &packets, &skipped, &last) < 0) {
		log_warnx("%s: %s", path, cap_error(&cap));
		goto out;
	}
	engine_get_stats(e, &st);
	engine_flow_stats(e, &fs);
	event_timestamp(ts, sizeof(ts), &last);
	fprintf(out, "{\"timestamp\":\"%s\",\"event_type\":\"stats\",\"stats\":{\"packets\":%llu,"
		"\"packets_not_ip\":%llu,\"malformed\":%llu,\"untracked\":%llu,\"flows\":%llu,"
		"\"flows_clean\":%llu,\"flows_blocked\":%llu,\"detections\":%llu,\"suspects\":%llu,"
		"\"learned\":%llu,\"tunnels\":%llu}}\n",
		ts, (unsigned long long)packets, (unsigned long long)skipped,
		(unsigned long long)st.malformed, (unsigned long long)st.untracked,
		(unsigned long long)fs.created, (unsigned long long)st.flows_clean,
		(unsigned long long)st.flows_blocked, (unsigned long long)st.detections,
		(unsigned long long)st.suspects, (unsigned long long)st.learned,
		(unsigned long long)st.tunnels);
	rc = 0;
out:
	cap_close(&cap);
	if (src >= 0)
		close(src);
	engine_free(learn);
	engine_free(e);
	free(cap.buf);
	return rc;
}

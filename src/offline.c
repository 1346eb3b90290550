// SPDX-License-Identifier: GPL-2.0-or-later
/* Offline mode: captures through the live engine, with the capture's clock. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "engine.h"
#include "event.h"
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

/* stdio's default 4 KiB buffer costs a read(2) per few packets. */
#define OFFLINE_READ_BUF (1u << 20)

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

/* The capture opened for reading through a large stdio buffer (buf, which
 * must outlive the handle). */
static pcap_t *offline_open(const char *path, char *buf)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc;
	FILE *f = fopen(path, "rb");

	if (!f) {
		log_warn("%s", path);
		return NULL;
	}
	setvbuf(f, buf, _IOFBF, OFFLINE_READ_BUF);
	pc = pcap_fopen_offline(f, errbuf);
	if (!pc) {
		log_warnx("%s: %s", path, errbuf);
		fclose(f);
	}
	return pc;
}

/* One pass of the engine over the capture. */
static int offline_pass(pcap_t *pc, struct engine *e, uint64_t *packets, uint64_t *skipped,
			struct timeval *last)
{
	int dlt = pcap_datalink(pc);
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;

	while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
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
	return r == -1 ? -1 : 0;
}

/* The capture is read twice. The first pass only learns which addresses the
 * capture itself reveals as pools' (DNS answers, pool SNI); the second judges
 * every flow knowing them, as an analyst reading the whole capture would: a
 * flow to a pool that started before the look-up is still attributed. */
int offline_run(const char *path, const struct mw_conf *c, const struct pool_lists *lists, FILE *out)
{
	struct offline o = { .out = out };
	struct engine *learn = NULL, *e = NULL;
	uint64_t packets = 0, skipped = 0, ignored = 0;
	struct timeval last = { 0, 0 };
	struct engine_stats st;
	struct flow_stats fs;
	pcap_t *pc = NULL;
	char ts[48], *rbuf = malloc(OFFLINE_READ_BUF);
	int rc = -1;

	learn = engine_new(c, lists, NULL, NULL);
	e = engine_new(c, lists, offline_on_event, &o);
	if (!learn || !e || !rbuf) {
		log_warnx("out of memory");
		goto out;
	}
	engine_set_observe(learn, true);
	engine_set_learn_only(learn, true);
	engine_set_observe(e, true);

	pc = offline_open(path, rbuf);
	if (!pc)
		goto out;
	if (offline_pass(pc, learn, &ignored, &ignored, &last) < 0) {
		log_warnx("%s: %s", path, pcap_geterr(pc));
		goto out;
	}
	pcap_close(pc);
	pc = NULL;
	engine_preload_learned(e, learn);

	pc = offline_open(path, rbuf);
	if (!pc)
		goto out;
	if (offline_pass(pc, e, &packets, &skipped, &last) < 0) {
		log_warnx("%s: %s", path, pcap_geterr(pc));
		goto out;
	}
	engine_get_stats(e, &st);
	engine_flow_stats(e, &fs);
	event_timestamp(ts, sizeof(ts), &last);
	fprintf(out, "{\"timestamp\":\"%s\",\"event_type\":\"stats\",\"stats\":{\"packets\":%llu,"
		"\"packets_not_ip\":%llu,\"malformed\":%llu,\"untracked\":%llu,\"flows\":%llu,"
		"\"flows_clean\":%llu,\"flows_blocked\":%llu,\"detections\":%llu,\"learned\":%llu}}\n",
		ts, (unsigned long long)packets, (unsigned long long)skipped,
		(unsigned long long)st.malformed, (unsigned long long)st.untracked,
		(unsigned long long)fs.created, (unsigned long long)st.flows_clean,
		(unsigned long long)st.flows_blocked, (unsigned long long)st.detections,
		(unsigned long long)st.learned);
	rc = 0;
out:
	if (pc)
		pcap_close(pc);
	engine_free(learn);
	engine_free(e);
	free(rbuf);
	return rc;
}

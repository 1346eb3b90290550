// SPDX-License-Identifier: GPL-2.0-or-later
/* Notification documents and the per-host memory behind them: recent detections, coalescing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf_printf.h"
#include "notify_doc.h"
#include "pkt.h"

/* A host is looked for in this many slots from its hash; a full run evicts the stalest. */
#define PROBE 8

struct notify_hosts {
	struct notify_host h[NOTIFY_HOSTS];
};

struct notify_hosts *notify_hosts_new(void)
{
	return calloc(1, sizeof(struct notify_hosts));
}

void notify_hosts_free(struct notify_hosts *t)
{
	free(t);
}

static unsigned int host_hash(uint8_t family, const uint8_t *addr)
{
	unsigned int h = 2166136261u, i, n = family == AF_INET ? 4 : 16;

	h = (h ^ family) * 16777619u;
	for (i = 0; i < n; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

static bool same(const struct notify_host *h, uint8_t family, const uint8_t *addr)
{
	return h->family == family && memcmp(h->addr, addr, family == AF_INET ? 4 : 16) == 0;
}

struct notify_host *notify_hosts_find(struct notify_hosts *t, uint8_t family, const uint8_t *addr)
{
	unsigned int i, base = host_hash(family, addr);

	for (i = 0; i < PROBE; i++) {
		struct notify_host *h = &t->h[(base + i) % NOTIFY_HOSTS];

		if (same(h, family, addr))
			return h;
	}
	return NULL;
}

static struct notify_host *claim(struct notify_hosts *t, uint8_t family, const uint8_t *addr)
{
	struct notify_host *h, *victim = NULL;
	unsigned int i, base = host_hash(family, addr);

	if ((h = notify_hosts_find(t, family, addr)))
		return h;
	for (i = 0; i < PROBE; i++) {
		h = &t->h[(base + i) % NOTIFY_HOSTS];
		if (!h->family) {
			victim = h;
			break;
		}
		if (!victim || h->seen_ms < victim->seen_ms)
			victim = h;
	}
	memset(victim, 0, sizeof(*victim));
	victim->family = family;
	memcpy(victim->addr, addr, family == AF_INET ? 4 : 16);
	return victim;
}

struct notify_host *notify_hosts_note(struct notify_hosts *t, const struct mw_event *ev,
				      uint64_t now_ms)
{
	struct notify_host *h = claim(t, ev->key->family, ev->key->addr[0]);
	struct notify_det *d;

	h->head = h->n_recent ? (h->head + 1) % NOTIFY_RECENT : 0;
	if (h->n_recent < NOTIFY_RECENT)
		h->n_recent++;
	d = &h->recent[h->head];
	memset(d, 0, sizeof(*d));
	d->ts = ev->ts;
	d->key = *ev->key;
	snprintf(d->detector, sizeof(d->detector), "%s", ev->detector ? ev->detector : "");
	snprintf(d->dialect, sizeof(d->dialect), "%s", ev->dialect ? ev->dialect : "");
	snprintf(d->detail, sizeof(d->detail), "%s", ev->detail ? ev->detail : "");
	d->action = (uint8_t)ev->action;
	d->confirmed = ev->confirmed;
	d->allowlisted = ev->allowlisted;
	h->seen_ms = now_ms;
	return h;
}

bool notify_host_due(struct notify_host *h, unsigned int slot, uint32_t window_s, uint64_t now_ms,
		     uint32_t *held)
{
	if (slot >= CONF_MAX_RECEIVERS)
		return false;
	if (window_s && h->sent_ms[slot] && now_ms >= h->sent_ms[slot] &&
	    now_ms - h->sent_ms[slot] < (uint64_t)window_s * 1000u) {
		h->held[slot]++;
		return false;
	}
	*held = h->held[slot];
	h->held[slot] = 0;
	h->sent_ms[slot] = now_ms;
	return true;
}

void notify_hosts_remap(struct notify_hosts *t, const int *old_slot, unsigned int n)
{
	unsigned int i, k;

	for (i = 0; i < NOTIFY_HOSTS; i++) {
		struct notify_host *h = &t->h[i];
		uint64_t sent[CONF_MAX_RECEIVERS] = { 0 };
		uint32_t held[CONF_MAX_RECEIVERS] = { 0 };

		if (!h->family)
			continue;
		for (k = 0; k < n && k < CONF_MAX_RECEIVERS; k++) {
			if (old_slot[k] >= 0 && old_slot[k] < CONF_MAX_RECEIVERS) {
				sent[k] = h->sent_ms[old_slot[k]];
				held[k] = h->held[old_slot[k]];
			}
		}
		memcpy(h->sent_ms, sent, sizeof(sent));
		memcpy(h->held, held, sizeof(held));
	}
}

/* ---- the document ---------------------------------------------------------- */

/* ,"key":"escaped" or ,"key":null */
static int put_str(char *buf, size_t size, size_t *pos, const char *key, const char *v)
{
	if (buf_printf(buf, size, pos, "%s\"%s\":", *pos > 1 ? "," : "", key) < 0)
		return -1;
	if (!v)
		return buf_printf(buf, size, pos, "null");
	return event_json_string(buf, size, pos, v);
}

/* A remembered detection as its EVE event. */
static int put_det(char *buf, size_t size, size_t *pos, const struct notify_det *d)
{
	struct mw_event ev = {
		.type = EVENT_MINING,
		.ts = d->ts,
		.key = &d->key,
		.detector = d->detector,
		.dialect = d->dialect,
		.detail = d->detail,
		.action = (enum conf_action)d->action,
		.confirmed = d->confirmed,
		.allowlisted = d->allowlisted,
	};
	int n;

	n = event_format_json(buf + *pos, size - *pos, &ev);
	if (n < 0)
		return -1;
	*pos += (size_t)n;
	return 0;
}

static const struct notify_det *recent_at(const struct notify_host *h, unsigned int k)
{
	return &h->recent[(h->head + NOTIFY_RECENT - k) % NOTIFY_RECENT];
}

static int build(char *buf, size_t size, const struct notify_doc_in *in, unsigned int n_recent)
{
	char ts[48], ip[64];
	size_t pos = 0;
	unsigned int k;

	event_timestamp(ts, sizeof(ts), in->ts);
	if (buf_printf(buf, size, &pos, "{") < 0 || put_str(buf, size, &pos, "id", in->id) < 0 ||
	    put_str(buf, size, &pos, "type", in->type) < 0 ||
	    put_str(buf, size, &pos, "event", in->event) < 0 ||
	    put_str(buf, size, &pos, "timestamp", ts) < 0 ||
	    put_str(buf, size, &pos, "gateway", in->gateway) < 0 ||
	    put_str(buf, size, &pos, "text", in->text) < 0)
		return -1;
	if (in->addr) {
		pkt_addr_str(in->family, in->addr, ip, sizeof(ip));
		if (buf_printf(buf, size, &pos, ",\"host\":{\"ip\":\"%s\",\"tier\":\"%s\"", ip,
			in->tier ? in->tier : "watch") < 0 ||
		    (in->previous && buf_printf(buf, size, &pos, ",\"previous\":\"%s\"", in->previous) < 0) ||
		    buf_printf(buf, size, &pos, ",\"detections\":%u,\"expires_in\":%llu}", in->detections,
			(unsigned long long)in->expires_in) < 0)
			return -1;
	} else if (buf_printf(buf, size, &pos, ",\"host\":null") < 0) {
		return -1;
	}
	if (buf_printf(buf, size, &pos, ",\"coalesced\":%u,\"eve\":%s,\"evidence\":", in->held,
		in->eve ? in->eve : "null") < 0)
		return -1;
	if (in->evidence && in->host && in->host->n_recent) {
		if (put_det(buf, size, &pos, recent_at(in->host, 0)) < 0)
			return -1;
	} else if (buf_printf(buf, size, &pos, "null") < 0) {
		return -1;
	}
	if (buf_printf(buf, size, &pos, ",\"recent\":[") < 0)
		return -1;
	for (k = 0; in->host && k < in->host->n_recent && k < n_recent; k++)
		if ((k && buf_printf(buf, size, &pos, ",") < 0) ||
		    put_det(buf, size, &pos, recent_at(in->host, k)) < 0)
			return -1;
	if (buf_printf(buf, size, &pos, "]}") < 0)
		return -1;
	return (int)pos;
}

int notify_doc_build(char *buf, size_t size, const struct notify_doc_in *in)
{
	int n, k;

	/* All recent detections, then fewer until it fits. */
	for (k = NOTIFY_RECENT; k >= 0; k--)
		if ((n = build(buf, size, in, (unsigned int)k)) >= 0)
			return n;
	return -1;
}

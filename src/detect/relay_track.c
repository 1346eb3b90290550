// SPDX-License-Identifier: GPL-2.0-or-later
/* Bounded table of hosts seen on either leg of a mining flow. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "relay_track.h"

struct relay_entry {
	uint8_t used;
	uint8_t family;
	uint8_t addr[16];
	uint64_t last_ms;		/* last time this host was seen at all */
	uint64_t served_ms;		/* accepted a mining flow at this time (0 = never) */
	uint64_t opened_ms;		/* opened a mining flow at this time */
	uint64_t reported_ms;		/* reported as a relay at this time */
	uint16_t served_port;		/* the port it accepted on */
	struct relay_host served_peer;	/* who connected to it */
	struct relay_host opened_peer;	/* where it connected to */
};

struct relay_track {
	/* Shared by the queue workers; only detections take it, never a plain packet. */
	pthread_mutex_t lock;
	struct relay_entry *e;
	unsigned int cap;
	uint64_t window_ms;
};

/* Open addressing with a short probe; a full probe replaces the stalest entry. */
#define RELAY_PROBE 8

struct relay_track *relay_track_new(unsigned int capacity, uint64_t window_ms)
{
	struct relay_track *rt = calloc(1, sizeof(*rt));

	if (!rt)
		return NULL;
	pthread_mutex_init(&rt->lock, NULL);
	rt->cap = capacity < RELAY_PROBE ? RELAY_PROBE : capacity;
	rt->window_ms = window_ms;
	rt->e = calloc(rt->cap, sizeof(*rt->e));
	if (!rt->e) {
		free(rt);
		return NULL;
	}
	return rt;
}

void relay_track_free(struct relay_track *rt)
{
	if (!rt)
		return;
	pthread_mutex_destroy(&rt->lock);
	free(rt->e);
	free(rt);
}

static uint32_t relay_hash(uint8_t family, const uint8_t addr[16])
{
	uint32_t h = 2166136261u ^ family;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

static struct relay_entry *relay_find(struct relay_track *rt, const struct relay_host *h,
				      uint64_t now_ms)
{
	uint32_t start = relay_hash(h->family, h->addr) % rt->cap;
	struct relay_entry *victim = NULL;
	unsigned int i;

	for (i = 0; i < RELAY_PROBE; i++) {
		struct relay_entry *e = &rt->e[(start + i) % rt->cap];

		if (e->used && e->family == h->family && memcmp(e->addr, h->addr, 16) == 0)
			return e;
		if (!e->used || now_ms - e->last_ms > rt->window_ms) {
			if (!victim || victim->used)
				victim = e;
		} else if (!victim || (victim->used && e->last_ms < victim->last_ms)) {
			victim = e;
		}
	}
	memset(victim, 0, sizeof(*victim));
	victim->used = 1;
	victim->family = h->family;
	memcpy(victim->addr, h->addr, 16);
	return victim;
}

static bool relay_fresh(const struct relay_track *rt, uint64_t t, uint64_t now_ms)
{
	return t && now_ms - t <= rt->window_ms;
}

static bool relay_report(struct relay_track *rt, struct relay_entry *e, uint64_t now_ms,
			 struct relay_finding *out)
{
	if (!relay_fresh(rt, e->served_ms, now_ms) || !relay_fresh(rt, e->opened_ms, now_ms))
		return false;
	if (relay_fresh(rt, e->reported_ms, now_ms))
		return false;
	/* One conversation seen from both ends (a flow picked up again in the
	 * other direction, a loopback capture) is not two legs: a relay joins
	 * two distinct peers. */
	if (e->served_peer.family == e->opened_peer.family &&
	    memcmp(e->served_peer.addr, e->opened_peer.addr, 16) == 0)
		return false;
	e->reported_ms = now_ms;
	out->relay.family = e->family;
	memcpy(out->relay.addr, e->addr, 16);
	out->relay.port = e->served_port;
	out->inbound = e->served_peer;
	out->outbound = e->opened_peer;
	return true;
}

bool relay_track_note(struct relay_track *rt, const struct relay_host *client,
		      const struct relay_host *server, uint64_t now_ms, struct relay_finding *out)
{
	struct relay_entry *c, *s;
	bool found;

	if (now_ms == 0)
		now_ms = 1;	/* 0 means "never" in the entries */
	pthread_mutex_lock(&rt->lock);
	c = relay_find(rt, client, now_ms);
	c->last_ms = now_ms;
	c->opened_ms = now_ms;
	c->opened_peer = *server;
	s = relay_find(rt, server, now_ms);
	s->last_ms = now_ms;
	s->served_ms = now_ms;
	s->served_peer = *client;
	s->served_port = server->port;
	found = relay_report(rt, c, now_ms, out) || relay_report(rt, s, now_ms, out);
	pthread_mutex_unlock(&rt->lock);
	return found;
}

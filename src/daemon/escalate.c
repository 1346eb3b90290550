// SPDX-License-Identifier: GPL-2.0-or-later
/* Escalation per internal host: count detections in a sliding window, move hosts up to throttle and quarantine, end tiers on timeout or release. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <time.h>

#include "escalate.h"

/*
 * Counting. Each host keeps the timestamps of its last L detections in a ring,
 * L = max(throttle_after, quarantine_after) (at least 1, at most
 * ESC_RING_MAX). "N detections within the window" is then exact for every N
 * up to L: a detection at t counts at now while now - t < window_s * 1000
 * (window_s 0: detections never age; they count until the next reset). The
 * count in escalate_host.detections saturates at L.
 *
 * Tiers only go up on detections; they go down only on timeout
 * (escalate_expire) or release, and both reset the count.
 *
 * Capacity. A fixed pool of hosts in a chained hash (index links, so nothing
 * is allocated after escalate_new). WATCH hosts sit on an LRU list; a new
 * host takes a free slot or forgets the least recently seen WATCH host.
 * Hosts in a tier are not on the list and are never forgotten. When every
 * slot holds a tiered host, escalate_note() returns false and counts nothing
 * for the new host, and escalate_restore() returns -1.
 */

#define ESC_RING_MAX	1024u
#define ESC_NONE	UINT32_MAX
#define ESC_CAP_MAX	(1u << 24)

struct esc_node {
	struct escalate_host h;
	uint32_t hnext;			/* hash chain, or free list */
	uint32_t lru_prev, lru_next;	/* WATCH hosts only */
	uint32_t ring_head;		/* next slot to write */
	uint32_t ring_n;		/* timestamps held, <= ring_len */
	bool used;
};

struct escalate {
	struct escalate_cfg cfg;
	struct esc_node *nodes;
	uint32_t *buckets;
	uint64_t *ring;			/* capacity * ring_len timestamps */
	uint32_t ring_len;
	uint32_t capacity, nbuckets;	/* nbuckets: power of two */
	uint32_t free_head;
	uint32_t lru_head, lru_tail;	/* head: least recently seen */
	size_t count[3];		/* hosts per tier */
	uint64_t seed;
};

static uint32_t ring_len_for(const struct escalate_cfg *cfg)
{
	uint32_t l = cfg->throttle_after > cfg->quarantine_after ? cfg->throttle_after
								  : cfg->quarantine_after;

	if (l < 1)
		l = 1;
	if (l > ESC_RING_MAX)
		l = ESC_RING_MAX;
	return l;
}

static size_t addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* splitmix64 over the key words, seeded per table so chains cannot be aimed at. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint32_t key_hash(const struct escalate *es, uint8_t family, const uint8_t a[16])
{
	uint64_t w0, w1;

	memcpy(&w0, a, 8);
	memcpy(&w1, a + 8, 8);
	return (uint32_t)mix(mix(es->seed ^ family ^ w0) ^ w1) & (es->nbuckets - 1);
}

/* Normalised key: an IPv4 host uses the first 4 bytes, the rest zero. */
static int key_make(uint8_t family, const uint8_t *addr, uint8_t key[16])
{
	if (family != AF_INET && family != AF_INET6)
		return -1;
	memset(key, 0, 16);
	memcpy(key, addr, addr_len(family));
	return 0;
}

static uint32_t lookup(const struct escalate *es, uint8_t family, const uint8_t key[16])
{
	uint32_t i = es->buckets[key_hash(es, family, key)];

	while (i != ESC_NONE) {
		const struct esc_node *n = &es->nodes[i];

		if (n->h.family == family && memcmp(n->h.addr, key, 16) == 0)
			return i;
		i = n->hnext;
	}
	return ESC_NONE;
}

static void lru_unlink(struct escalate *es, uint32_t i)
{
	struct esc_node *n = &es->nodes[i];

	if (n->lru_prev != ESC_NONE)
		es->nodes[n->lru_prev].lru_next = n->lru_next;
	else if (es->lru_head == i)
		es->lru_head = n->lru_next;
	if (n->lru_next != ESC_NONE)
		es->nodes[n->lru_next].lru_prev = n->lru_prev;
	else if (es->lru_tail == i)
		es->lru_tail = n->lru_prev;
	n->lru_prev = n->lru_next = ESC_NONE;
}

static void lru_push(struct escalate *es, uint32_t i)
{
	struct esc_node *n = &es->nodes[i];

	n->lru_prev = es->lru_tail;
	n->lru_next = ESC_NONE;
	if (es->lru_tail != ESC_NONE)
		es->nodes[es->lru_tail].lru_next = i;
	else
		es->lru_head = i;
	es->lru_tail = i;
}

static void node_remove(struct escalate *es, uint32_t i)
{
	struct esc_node *n = &es->nodes[i];
	uint32_t *pp = &es->buckets[key_hash(es, n->h.family, n->h.addr)];

	while (*pp != i)
		pp = &es->nodes[*pp].hnext;
	*pp = n->hnext;
	if (n->h.tier == ENF_WATCH)
		lru_unlink(es, i);
	es->count[n->h.tier]--;
	memset(n, 0, sizeof(*n));
	n->lru_prev = n->lru_next = ESC_NONE;
	n->hnext = es->free_head;
	es->free_head = i;
}

/* A slot for a new WATCH host: a free one, else the least recently seen
 * WATCH host is forgotten. ESC_NONE when every slot holds a tiered host. */
static uint32_t node_insert(struct escalate *es, uint8_t family, const uint8_t key[16])
{
	uint32_t i, b;
	struct esc_node *n;

	if (es->free_head == ESC_NONE) {
		if (es->lru_head == ESC_NONE)
			return ESC_NONE;
		node_remove(es, es->lru_head);
	}
	i = es->free_head;
	n = &es->nodes[i];
	es->free_head = n->hnext;
	memset(n, 0, sizeof(*n));
	n->used = true;
	n->h.family = family;
	memcpy(n->h.addr, key, 16);
	n->h.tier = ENF_WATCH;
	b = key_hash(es, family, key);
	n->hnext = es->buckets[b];
	es->buckets[b] = i;
	n->lru_prev = n->lru_next = ESC_NONE;
	lru_push(es, i);
	es->count[ENF_WATCH]++;
	return i;
}

static uint64_t *ring_of(const struct escalate *es, uint32_t i)
{
	return &es->ring[(size_t)i * es->ring_len];
}

static void ring_add(struct escalate *es, uint32_t i, uint64_t t)
{
	struct esc_node *n = &es->nodes[i];

	ring_of(es, i)[n->ring_head] = t;
	n->ring_head = (n->ring_head + 1) % es->ring_len;
	if (n->ring_n < es->ring_len)
		n->ring_n++;
}

/* Timestamps held that are still inside the window at now_ms. */
static uint32_t ring_count(const struct escalate *es, uint32_t i, uint64_t now_ms)
{
	const struct esc_node *n = &es->nodes[i];
	const uint64_t *r = ring_of(es, i);
	uint64_t win = (uint64_t)es->cfg.window_s * 1000;
	uint32_t k, c = 0;

	for (k = 0; k < n->ring_n; k++) {
		uint64_t t = r[(n->ring_head + es->ring_len - 1 - k) % es->ring_len];

		/* A clock stepped back makes t look recent: it counts. */
		if (win == 0 || t >= now_ms || now_ms - t < win)
			c++;
	}
	return c;
}

static void tier_set(struct escalate *es, uint32_t i, enum enforce_tier tier, uint64_t now_ms)
{
	struct esc_node *n = &es->nodes[i];
	uint32_t to = tier == ENF_THROTTLE ? es->cfg.throttle_timeout_s
		    : tier == ENF_QUARANTINE ? es->cfg.quarantine_timeout_s : 0;

	if (n->h.tier == ENF_WATCH && tier != ENF_WATCH)
		lru_unlink(es, i);
	else if (n->h.tier != ENF_WATCH && tier == ENF_WATCH)
		lru_push(es, i);
	es->count[n->h.tier]--;
	es->count[tier]++;
	n->h.tier = tier;
	n->h.tier_since_ms = now_ms;
	n->h.tier_until_ms = to ? now_ms + (uint64_t)to * 1000 : 0;
}

/* Back to WATCH with the count forgotten (timeout, release). */
static void reset_watch(struct escalate *es, uint32_t i, uint64_t now_ms)
{
	struct esc_node *n = &es->nodes[i];

	if (n->h.tier != ENF_WATCH)
		tier_set(es, i, ENF_WATCH, now_ms);
	n->ring_n = 0;
	n->ring_head = 0;
	n->h.detections = 0;
}

struct escalate *escalate_new(unsigned int capacity, const struct escalate_cfg *cfg)
{
	struct escalate *es = NULL;
	uint32_t i;

	if (capacity == 0 || capacity > ESC_CAP_MAX || !cfg) {
		errno = EINVAL;
		return NULL;
	}
	es = calloc(1, sizeof(*es));
	if (!es)
		goto err;
	es->cfg = *cfg;
	es->capacity = capacity;
	es->ring_len = ring_len_for(cfg);
	for (es->nbuckets = 1; es->nbuckets < capacity; es->nbuckets <<= 1)
		;
	es->nodes = calloc(capacity, sizeof(*es->nodes));
	es->buckets = malloc((size_t)es->nbuckets * sizeof(*es->buckets));
	es->ring = calloc((size_t)capacity * es->ring_len, sizeof(*es->ring));
	if (!es->nodes || !es->buckets || !es->ring)
		goto err;
	for (i = 0; i < es->nbuckets; i++)
		es->buckets[i] = ESC_NONE;
	for (i = 0; i < capacity; i++) {
		es->nodes[i].hnext = i + 1 < capacity ? i + 1 : ESC_NONE;
		es->nodes[i].lru_prev = es->nodes[i].lru_next = ESC_NONE;
	}
	es->free_head = 0;
	es->lru_head = es->lru_tail = ESC_NONE;
	if (getrandom(&es->seed, sizeof(es->seed), GRND_NONBLOCK) != sizeof(es->seed))
		es->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)es;
	return es;
err:
	escalate_free(es);
	errno = ENOMEM;
	return NULL;
}

void escalate_free(struct escalate *es)
{
	if (!es)
		return;
	free(es->nodes);
	free(es->buckets);
	free(es->ring);
	free(es);
}

/* A different ring length copies every host's newest timestamps into new
 * rings. Without memory for them the old length stays: counts then saturate
 * there until a later reload succeeds. */
void escalate_set_cfg(struct escalate *es, const struct escalate_cfg *cfg)
{
	uint32_t len = ring_len_for(cfg), i, k;
	uint64_t *ring;

	es->cfg = *cfg;
	if (len == es->ring_len)
		return;
	ring = calloc((size_t)es->capacity * len, sizeof(*ring));
	if (!ring)
		return;
	for (i = 0; i < es->capacity; i++) {
		struct esc_node *n = &es->nodes[i];
		const uint64_t *old = ring_of(es, i);
		uint32_t keep = n->ring_n < len ? n->ring_n : len;

		/* Oldest kept first, so the new ring is in order from slot 0. */
		for (k = 0; k < keep; k++)
			ring[(size_t)i * len + k] =
				old[(n->ring_head + es->ring_len - keep + k) % es->ring_len];
		n->ring_n = keep;
		n->ring_head = keep % len;
	}
	free(es->ring);
	es->ring = ring;
	es->ring_len = len;
}

bool escalate_note(struct escalate *es, uint8_t family, const uint8_t addr[16], uint64_t now_ms,
		   struct escalate_change *out)
{
	enum enforce_tier want = ENF_WATCH;
	struct esc_node *n;
	uint8_t key[16];
	uint32_t i, c;

	if (key_make(family, addr, key) < 0)
		return false;
	i = lookup(es, family, key);
	if (i == ESC_NONE) {
		i = node_insert(es, family, key);
		if (i == ESC_NONE)
			return false;
	} else if (es->nodes[i].h.tier == ENF_WATCH) {
		lru_unlink(es, i);
		lru_push(es, i);
	}
	n = &es->nodes[i];
	ring_add(es, i, now_ms);
	c = ring_count(es, i, now_ms);
	n->h.detections = c;
	n->h.last_ms = now_ms;
	if (es->cfg.quarantine_after && c >= es->cfg.quarantine_after)
		want = ENF_QUARANTINE;
	else if (es->cfg.throttle_after && c >= es->cfg.throttle_after)
		want = ENF_THROTTLE;
	if (want <= n->h.tier)
		return false;
	if (out) {
		out->from = n->h.tier;
		out->why = "detections";
	}
	tier_set(es, i, want, now_ms);
	if (out)
		out->host = n->h;
	return true;
}

bool escalate_release(struct escalate *es, uint8_t family, const uint8_t addr[16], uint64_t now_ms,
		      struct escalate_change *out)
{
	enum enforce_tier from;
	uint8_t key[16];
	uint32_t i;

	if (key_make(family, addr, key) < 0)
		return false;
	i = lookup(es, family, key);
	if (i == ESC_NONE)
		return false;
	from = es->nodes[i].h.tier;
	/* A watched host forgets its detections too, but that is no change. */
	reset_watch(es, i, now_ms);
	if (from == ENF_WATCH)
		return false;
	if (out) {
		out->host = es->nodes[i].h;
		out->from = from;
		out->why = "release";
	}
	return true;
}

size_t escalate_expire(struct escalate *es, uint64_t now_ms,
		       void (*cb)(const struct escalate_change *c, void *arg), void *arg)
{
	size_t done = 0;
	uint32_t i;

	if (es->count[ENF_THROTTLE] + es->count[ENF_QUARANTINE] == 0)
		return 0;
	for (i = 0; i < es->capacity; i++) {
		struct esc_node *n = &es->nodes[i];
		struct escalate_change c;

		if (!n->used || n->h.tier == ENF_WATCH || n->h.tier_until_ms == 0 ||
		    n->h.tier_until_ms > now_ms)
			continue;
		c.from = n->h.tier;
		c.why = "timeout";
		reset_watch(es, i, now_ms);
		c.host = n->h;
		done++;
		if (cb)
			cb(&c, arg);
	}
	return done;
}

/* The file holds a count, not timestamps: the detections are put back as if
 * they all happened at last_ms, so they age out of the window from there. */
int escalate_restore(struct escalate *es, const struct escalate_host *h, uint64_t now_ms)
{
	struct esc_node *n;
	uint8_t key[16];
	uint32_t i, k, det;

	if (!h || key_make(h->family, h->addr, key) < 0 ||
	    (unsigned int)h->tier > ENF_QUARANTINE) {
		errno = EINVAL;
		return -1;
	}
	if (h->tier != ENF_WATCH && h->tier_until_ms != 0 && h->tier_until_ms <= now_ms)
		return 0;
	i = lookup(es, h->family, key);
	if (i == ESC_NONE) {
		i = node_insert(es, h->family, key);
		if (i == ESC_NONE) {
			errno = ENOSPC;
			return -1;
		}
	}
	reset_watch(es, i, now_ms);
	n = &es->nodes[i];
	if (h->tier != ENF_WATCH)
		tier_set(es, i, h->tier, now_ms);
	else {
		lru_unlink(es, i);
		lru_push(es, i);
	}
	n->h.tier_since_ms = h->tier_since_ms;
	n->h.tier_until_ms = h->tier == ENF_WATCH ? 0 : h->tier_until_ms;
	n->h.last_ms = h->last_ms;
	det = h->detections < es->ring_len ? h->detections : es->ring_len;
	for (k = 0; k < det; k++)
		ring_add(es, i, h->last_ms);
	n->h.detections = det;
	return 0;
}

void escalate_foreach(const struct escalate *es, int (*cb)(const struct escalate_host *h, void *arg),
		      void *arg)
{
	uint32_t i;

	for (i = 0; i < es->capacity; i++)
		if (es->nodes[i].used && cb(&es->nodes[i].h, arg) != 0)
			return;
}

const struct escalate_host *escalate_find(const struct escalate *es, uint8_t family,
					  const uint8_t addr[16])
{
	uint8_t key[16];
	uint32_t i;

	if (key_make(family, addr, key) < 0)
		return NULL;
	i = lookup(es, family, key);
	return i == ESC_NONE ? NULL : &es->nodes[i].h;
}

size_t escalate_count(const struct escalate *es, enum enforce_tier tier)
{
	return (unsigned int)tier <= ENF_QUARANTINE ? es->count[tier] : 0;
}

const char *escalate_tier_name(enum enforce_tier tier)
{
	switch (tier) {
	case ENF_WATCH:
		return "watch";
	case ENF_THROTTLE:
		return "throttle";
	case ENF_QUARANTINE:
		return "quarantine";
	}
	return "?";
}

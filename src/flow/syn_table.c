// SPDX-License-Identifier: GPL-2.0-or-later
/* SYN records: bounded, expiring, keyed hash of SYNs waiting for their flow's first queued packet. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

#include "siphash.h"
#include "syn_table.h"

#define NIL UINT32_MAX
#define SYN_TABLE_MAX (1u << 26)

/*
 * Entries are linked in their hash chain (hnext) and in arrival order
 * (prev/next, oldest at head): expiry and eviction take from the head, a
 * refreshed record moves to the tail. Records normally live one handshake:
 * the flow's first queued packet takes them.
 */
struct syn_ent {
	struct syn_rec rec;
	uint64_t seen_ms;
	uint32_t hnext, prev, next;
};

struct syn_table {
	struct syn_ent *ents;
	uint32_t *buckets;
	uint32_t mask;
	uint32_t max;
	uint32_t ttl_ms;
	uint32_t free_head;		/* removed entries, linked by hnext */
	uint32_t next_unused;		/* entries from here on were never used */
	uint32_t head, tail;		/* oldest, newest */
	uint64_t k0, k1;
	struct syn_table_stats st;
};

static uint32_t syn_hash(const struct syn_table *t, uint8_t family, const uint8_t *sa, uint16_t sp,
			 const uint8_t *da, uint16_t dp)
{
	uint64_t a[2], b[2], m[5];
	unsigned int n;

	memcpy(a, sa, 16);
	memcpy(b, da, 16);
	/* The direction counts: the key is the SYN's own source and destination. */
	m[0] = (uint64_t)family | (uint64_t)sp << 16 | (uint64_t)dp << 32;
	if (family == AF_INET) {
		m[1] = (a[0] & 0xffffffffu) | b[0] << 32;
		n = 2;
	} else {
		m[1] = a[0];
		m[2] = a[1];
		m[3] = b[0];
		m[4] = b[1];
		n = 5;
	}
	return siphash13_words(t->k0, t->k1, m, n) & t->mask;
}

static bool syn_match(const struct syn_rec *r, uint8_t family, const uint8_t *sa, uint16_t sp,
		      const uint8_t *da, uint16_t dp)
{
	return r->family == family && r->sport == sp && r->dport == dp &&
	       memcmp(r->saddr, sa, 16) == 0 && memcmp(r->daddr, da, 16) == 0;
}

static uint32_t syn_find(const struct syn_table *t, uint32_t h, uint8_t family, const uint8_t *sa,
			 uint16_t sp, const uint8_t *da, uint16_t dp)
{
	uint32_t i;

	for (i = t->buckets[h]; i != NIL; i = t->ents[i].hnext)
		if (syn_match(&t->ents[i].rec, family, sa, sp, da, dp))
			return i;
	return NIL;
}

static void list_unlink(struct syn_table *t, struct syn_ent *e)
{
	if (e->prev != NIL)
		t->ents[e->prev].next = e->next;
	else
		t->head = e->next;
	if (e->next != NIL)
		t->ents[e->next].prev = e->prev;
	else
		t->tail = e->prev;
}

static void list_append(struct syn_table *t, uint32_t i)
{
	struct syn_ent *e = &t->ents[i];

	e->next = NIL;
	e->prev = t->tail;
	if (t->tail != NIL)
		t->ents[t->tail].next = i;
	else
		t->head = i;
	t->tail = i;
}

static void syn_remove(struct syn_table *t, uint32_t i)
{
	struct syn_ent *e = &t->ents[i];
	const struct syn_rec *r = &e->rec;
	uint32_t *link;

	for (link = &t->buckets[syn_hash(t, r->family, r->saddr, r->sport, r->daddr, r->dport)];
	     *link != NIL; link = &t->ents[*link].hnext) {
		if (*link == i) {
			*link = e->hnext;
			break;
		}
	}
	list_unlink(t, e);
	e->rec.family = 0;
	e->hnext = t->free_head;
	t->free_head = i;
	t->st.active--;
}

static bool syn_stale(const struct syn_table *t, const struct syn_ent *e, uint64_t now_ms)
{
	return e->seen_ms <= now_ms && now_ms - e->seen_ms > t->ttl_ms;
}

void syn_table_put(struct syn_table *t, const struct pkt *syn, uint64_t now_ms)
{
	uint32_t h, i;
	struct syn_ent *e;

	h = syn_hash(t, syn->family, syn->saddr, syn->sport, syn->daddr, syn->dport);
	i = syn_find(t, h, syn->family, syn->saddr, syn->sport, syn->daddr, syn->dport);
	if (i != NIL) {
		/* A retransmitted SYN, or a new connection on the same 5-tuple. */
		e = &t->ents[i];
		list_unlink(t, e);
	} else {
		if (t->free_head == NIL && t->next_unused == t->max) {
			syn_remove(t, t->head);
			t->st.evicted++;
		}
		if (t->free_head != NIL) {
			i = t->free_head;
			t->free_head = t->ents[i].hnext;
		} else {
			i = t->next_unused++;
		}
		e = &t->ents[i];
		memset(e, 0, sizeof(*e));
		e->rec.family = syn->family;
		e->rec.sport = syn->sport;
		e->rec.dport = syn->dport;
		memcpy(e->rec.saddr, syn->saddr, 16);
		memcpy(e->rec.daddr, syn->daddr, 16);
		e->hnext = t->buckets[h];
		t->buckets[h] = i;
		t->st.active++;
	}
	e->rec.isn = syn->seq;
	e->seen_ms = now_ms;
	list_append(t, i);
	t->st.added++;
}

int syn_table_take(struct syn_table *t, const struct pkt *p, uint64_t now_ms, struct syn_rec *rec)
{
	uint32_t i;

	/* From the opener (same way as the SYN), or from the other end. */
	i = syn_find(t, syn_hash(t, p->family, p->saddr, p->sport, p->daddr, p->dport), p->family,
		     p->saddr, p->sport, p->daddr, p->dport);
	if (i == NIL)
		i = syn_find(t, syn_hash(t, p->family, p->daddr, p->dport, p->saddr, p->sport),
			     p->family, p->daddr, p->dport, p->saddr, p->sport);
	if (i == NIL)
		return 0;
	if (syn_stale(t, &t->ents[i], now_ms)) {
		syn_remove(t, i);
		t->st.expired++;
		return 0;
	}
	*rec = t->ents[i].rec;
	syn_remove(t, i);
	t->st.taken++;
	return 1;
}

unsigned int syn_table_expire(struct syn_table *t, uint64_t now_ms)
{
	unsigned int n = 0;

	while (t->head != NIL && syn_stale(t, &t->ents[t->head], now_ms)) {
		syn_remove(t, t->head);
		n++;
	}
	t->st.expired += n;
	return n;
}

void syn_table_stats(const struct syn_table *t, struct syn_table_stats *st)
{
	*st = t->st;
}

struct syn_table *syn_table_new(uint32_t max, uint32_t ttl_ms)
{
	struct syn_table *t;
	uint64_t key[2];
	uint32_t nb;

	if (max == 0 || max > SYN_TABLE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	/* One chain per two records when full; records normally live one
	 * handshake, so the chains are mostly empty. */
	for (nb = 16; nb < max / 2; nb <<= 1)
		;
	/* calloc of large arrays maps zero pages: untouched records cost nothing. */
	t->ents = calloc(max, sizeof(*t->ents));
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	if (!t->ents || !t->buckets) {
		syn_table_free(t);
		errno = ENOMEM;
		return NULL;
	}
	memset(t->buckets, 0xff, (size_t)nb * sizeof(*t->buckets));
	t->mask = nb - 1;
	t->max = max;
	t->ttl_ms = ttl_ms;
	t->k0 = key[0];
	t->k1 = key[1];
	t->free_head = NIL;
	t->head = t->tail = NIL;
	return t;
}

void syn_table_free(struct syn_table *t)
{
	if (!t)
		return;
	free(t->ents);
	free(t->buckets);
	free(t);
}

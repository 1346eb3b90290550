// SPDX-License-Identifier: GPL-2.0-or-later
/* Flow table: preallocated entries, keyed hash, LRU expiry/eviction, stream prefixes. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/types.h>

#include "flow.h"
#include "siphash.h"

/* "No entry" in bucket heads and hnext/lprev/lnext links. */
#define NIL UINT32_MAX
#define FLOW_MAX_ENTRIES (1u << 31)
/* Chains in use at first; doubled whenever flows outnumber them. */
#define FLOW_BUCKETS_MIN 1024u

/*
 * Not thread-safe: one table belongs to one packet-path thread.
 * A stream's full flag means "no more bytes will be kept": set when the cap is
 * reached, when the flow found the buffer pool empty, or after
 * flow_release_buf(); with buf NULL it marks the flow uninspectable.
 */

/*
 * One reassembly buffer: 2 * cap bytes, the originator's direction first.
 * cap is kept here because flow_stream_data() is not given the table.
 * next_free links the pool's free list while the buffer is not in use.
 */
struct flow_buf {
	struct flow_buf *next_free;
	uint32_t cap;
	/* Not cleared when the buffer changes hands: flow_aux()'s user says
	 * in struct flow whether it wrote anything. */
	_Alignas(8) uint8_t aux[FLOW_AUX_BYTES];
	uint8_t data[];
};

struct flow_table {
	struct flow_table_cfg cfg;
	struct flow *flows;		/* max_flows entries */
	uint32_t *buckets;		/* max_mask + 1 allocated, mask + 1 in use */
	uint32_t mask;
	uint32_t max_mask;
	uint32_t free_head;		/* removed entries, linked by hnext */
	uint32_t next_unused;		/* entries from here on were never used */
	uint32_t lru_head;		/* least recently seen */
	uint32_t lru_tail;		/* most recently seen */
	uint32_t last;			/* entry of the last packet looked up */
	uint8_t *bufmem;		/* max_buffers * buf_stride bytes */
	size_t buf_stride;
	struct flow_buf *buf_free;	/* returned buffers, reused first */
	uint32_t buf_unused;		/* buffers from here on were never handed out */
	uint64_t k0, k1;		/* hash key, random per table */
	struct flow_stats st;
};

/* Two 64-bit words of a 16-byte address (memcpy: no alignment assumed). */
static void flow_addr_words(const uint8_t *a, uint64_t w[2])
{
	memcpy(w, a, 16);
}

/*
 * Both directions hash alike: the lower (address, port) endpoint goes first.
 * The words are built in registers, not in a byte array read back as words:
 * that read stalled on store forwarding and was most of the hash's cost.
 * IPv4 addresses (4 bytes, the rest zero) share one word: 2 words, not 5.
 */
static uint32_t flow_hash(const struct flow_table *ft, const struct pkt *p)
{
	uint64_t a[2], b[2], m[5], t;
	uint16_t pa = p->sport, pb = p->dport;
	unsigned int n;

	flow_addr_words(p->saddr, a);
	flow_addr_words(p->daddr, b);
	if (a[0] > b[0] || (a[0] == b[0] && (a[1] > b[1] || (a[1] == b[1] && pa > pb)))) {
		t = a[0], a[0] = b[0], b[0] = t;
		t = a[1], a[1] = b[1], b[1] = t;
		pa = p->dport;
		pb = p->sport;
	}
	m[0] = (uint64_t)p->family | (uint64_t)p->proto << 8 | (uint64_t)pa << 16 | (uint64_t)pb << 32;
	if (p->family == AF_INET) {
		m[1] = (a[0] & 0xffffffffu) | b[0] << 32;
		n = 2;
	} else {
		m[1] = a[0];
		m[2] = a[1];
		m[3] = b[0];
		m[4] = b[1];
		n = 5;
	}
	return siphash13_words(ft->k0, ft->k1, m, n);
}

static bool flow_addr_eq(const uint8_t *x, const uint8_t *y)
{
	uint64_t a[2], b[2];

	flow_addr_words(x, a);
	flow_addr_words(y, b);
	return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

static bool flow_key_match(const struct flow_key *k, const struct pkt *p, enum flow_dir *dir)
{
	if (k->family != p->family || k->proto != p->proto)
		return false;
	if (k->port[0] == p->sport && k->port[1] == p->dport &&
	    flow_addr_eq(k->addr[0], p->saddr) && flow_addr_eq(k->addr[1], p->daddr)) {
		*dir = FLOW_ORIG;
		return true;
	}
	if (k->port[0] == p->dport && k->port[1] == p->sport &&
	    flow_addr_eq(k->addr[0], p->daddr) && flow_addr_eq(k->addr[1], p->saddr)) {
		*dir = FLOW_REPLY;
		return true;
	}
	return false;
}

static bool flow_trackable(const struct pkt *p)
{
	return p && !p->fragment && (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP);
}

static struct flow *flow_find(struct flow_table *ft, uint32_t h, const struct pkt *p,
			      enum flow_dir *dir)
{
	uint32_t i;

	for (i = ft->buckets[h]; i != NIL; i = ft->flows[i].hnext)
		if (flow_key_match(&ft->flows[i].key, p, dir))
			return &ft->flows[i];
	return NULL;
}

static void lru_unlink(struct flow_table *ft, struct flow *f)
{
	if (f->lprev != NIL)
		ft->flows[f->lprev].lnext = f->lnext;
	else
		ft->lru_head = f->lnext;
	if (f->lnext != NIL)
		ft->flows[f->lnext].lprev = f->lprev;
	else
		ft->lru_tail = f->lprev;
}

static void lru_append(struct flow_table *ft, struct flow *f)
{
	uint32_t i = (uint32_t)(f - ft->flows);

	f->lnext = NIL;
	f->lprev = ft->lru_tail;
	if (ft->lru_tail != NIL)
		ft->flows[ft->lru_tail].lnext = i;
	else
		ft->lru_head = i;
	ft->lru_tail = i;
}

/* The full hash of a stored flow: the hash input rebuilt from its key. */
static uint32_t flow_key_hash(const struct flow_table *ft, const struct flow_key *k)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.family = k->family;
	p.proto = k->proto;
	p.sport = k->port[0];
	p.dport = k->port[1];
	memcpy(p.saddr, k->addr[0], 16);
	memcpy(p.daddr, k->addr[1], 16);
	return flow_hash(ft, &p);
}

/*
 * Twice the chains in use: chain i splits into i and i + n by one more bit of
 * each entry's hash. Chains grow with the flows rather than starting at
 * max_flows: a lookup then touches a dense array that stays in cache instead
 * of a random line of up to max_flows * 4 bytes. Each entry is rehashed once
 * per doubling, so the cost per inserted flow stays constant.
 */
static void flow_grow(struct flow_table *ft)
{
	uint32_t n = ft->mask + 1, i;

	for (i = 0; i < n; i++) {
		uint32_t e = ft->buckets[i], lo = NIL, hi = NIL;

		while (e != NIL) {
			struct flow *f = &ft->flows[e];
			uint32_t next = f->hnext;

			if (flow_key_hash(ft, &f->key) & n) {
				f->hnext = hi;
				hi = e;
			} else {
				f->hnext = lo;
				lo = e;
			}
			e = next;
		}
		ft->buckets[i] = lo;
		ft->buckets[i + n] = hi;
	}
	ft->mask = 2 * n - 1;
}

/* Unlink from its hash chain: walks the chain, which the keyed hash keeps short. */
static void hash_unlink(struct flow_table *ft, struct flow *f)
{
	uint32_t i = (uint32_t)(f - ft->flows);
	uint32_t *link;

	for (link = &ft->buckets[flow_key_hash(ft, &f->key) & ft->mask]; *link != NIL;
	     link = &ft->flows[*link].hnext) {
		if (*link == i) {
			*link = f->hnext;
			break;
		}
	}
}

/*
 * Once a flow was judged or found no buffer it keeps no more bytes: marking
 * both streams full stops flow_stream_add from taking a buffer again later.
 */
void flow_release_buf(struct flow_table *ft, struct flow *f)
{
	if (f->buf) {
		f->buf->next_free = ft->buf_free;
		ft->buf_free = f->buf;
		f->buf = NULL;
		ft->st.buffers_in_use--;
	}
	f->stream[0].len = f->stream[1].len = 0;
	f->stream[0].full = f->stream[1].full = 1;
}

void flow_remove(struct flow_table *ft, struct flow *f)
{
	flow_release_buf(ft, f);
	hash_unlink(ft, f);
	lru_unlink(ft, f);
	f->key.family = 0;
	f->lprev = f->lnext = NIL;
	f->hnext = ft->free_head;
	ft->free_head = (uint32_t)(f - ft->flows);
	ft->st.active--;
}

/* A SYN fixes where the stream starts, unless bytes are already held. */
static void stream_syn(struct flow_stream *s, const struct pkt *p)
{
	if (!s->seq_known || s->len == 0) {
		s->next_seq = p->seq + 1;
		s->seq_known = 1;
	}
}

static uint32_t sat_add(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

/*
 * The originator is the sender of the first packet seen, except that a
 * SYN-ACK seen first (SYN missed) names its receiver as the originator.
 * A TCP flow whose first packet is not a bare SYN is midstream.
 */
static struct flow *flow_insert(struct flow_table *ft, uint32_t h, const struct pkt *p,
				uint64_t now_ms, enum flow_dir *dir)
{
	bool swap = false;
	struct flow *f;
	uint32_t i;

	if (ft->free_head == NIL && ft->next_unused == ft->cfg.max_flows) {
		flow_remove(ft, &ft->flows[ft->lru_head]);
		ft->st.evicted++;
	}
	if (ft->free_head != NIL) {
		i = ft->free_head;
		ft->free_head = ft->flows[i].hnext;
	} else {
		i = ft->next_unused++;
	}
	f = &ft->flows[i];
	memset(f, 0, sizeof(*f));

	if (p->proto == IPPROTO_TCP) {
		uint8_t sa = p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK);

		swap = sa == (PKT_TCP_SYN | PKT_TCP_ACK);
		f->midstream = sa != PKT_TCP_SYN;
	}
	f->key.family = p->family;
	f->key.proto = p->proto;
	f->key.port[swap] = p->sport;
	f->key.port[!swap] = p->dport;
	memcpy(f->key.addr[swap], p->saddr, 16);
	memcpy(f->key.addr[!swap], p->daddr, 16);
	*dir = swap ? FLOW_REPLY : FLOW_ORIG;
	f->first_seen_ms = now_ms;

	f->hnext = ft->buckets[h];
	ft->buckets[h] = i;
	lru_append(ft, f);
	ft->st.active++;
	ft->st.created++;
	if (ft->st.active > ft->mask + 1 && ft->mask < ft->max_mask)
		flow_grow(ft);
	return f;
}

struct flow *flow_lookup_or_add(struct flow_table *ft, const struct pkt *p, uint64_t now_ms,
				enum flow_dir *dir, bool *created)
{
	enum flow_dir d = FLOW_ORIG;
	struct flow *f;
	uint32_t h = 0;

	if (created)
		*created = false;
	if (!flow_trackable(p))
		return NULL;
	/* Packets of a flow come in runs: the last packet's flow is tried
	 * first, by its key (an entry not in use has family 0, never a match). */
	f = &ft->flows[ft->last];
	if (ft->last >= ft->next_unused || !flow_key_match(&f->key, p, &d)) {
		h = flow_hash(ft, p) & ft->mask;
		f = flow_find(ft, h, p, &d);
	}
	if (f) {
		if (ft->lru_tail != (uint32_t)(f - ft->flows)) {
			lru_unlink(ft, f);
			lru_append(ft, f);
		}
	} else {
		f = flow_insert(ft, h, p, now_ms, &d);
		if (created)
			*created = true;
	}
	ft->last = (uint32_t)(f - ft->flows);
	f->last_seen_ms = now_ms;
	f->packets[d] = sat_add(f->packets[d], 1);
	f->bytes[d] = sat_add(f->bytes[d], p->payload_len);
	if (p->proto == IPPROTO_TCP && (p->tcp_flags & PKT_TCP_SYN)) {
		f->syn_seen = 1;
		stream_syn(&f->stream[d], p);
	}
	if (dir)
		*dir = d;
	return f;
}

/*
 * The SYN that opened f was seen elsewhere (the daemon's SYN log) and f was
 * just created by a later packet: start f as the SYN would have. The key's
 * ends swap when the SYN came from what the creating packet made the
 * responder; the hash is the same both ways round, so the chain holds.
 */
void flow_start_syn(struct flow *f, const uint8_t saddr[16], uint16_t sport, uint32_t isn,
		    enum flow_dir *dir)
{
	uint32_t t;

	if (f->key.port[0] != sport || !flow_addr_eq(f->key.addr[0], saddr)) {
		uint8_t a[16];
		uint16_t port = f->key.port[0];

		memcpy(a, f->key.addr[0], 16);
		memcpy(f->key.addr[0], f->key.addr[1], 16);
		memcpy(f->key.addr[1], a, 16);
		f->key.port[0] = f->key.port[1];
		f->key.port[1] = port;
		t = f->packets[0], f->packets[0] = f->packets[1], f->packets[1] = t;
		t = f->bytes[0], f->bytes[0] = f->bytes[1], f->bytes[1] = t;
		*dir = *dir == FLOW_ORIG ? FLOW_REPLY : FLOW_ORIG;
	}
	f->midstream = 0;
	f->syn_seen = 1;
	f->stream[FLOW_ORIG].next_seq = isn + 1;
	f->stream[FLOW_ORIG].seq_known = 1;
}

/* A pure lookup: last_seen, counters and the LRU order are left alone. */
struct flow *flow_lookup(struct flow_table *ft, const struct pkt *p, enum flow_dir *dir)
{
	enum flow_dir d = FLOW_ORIG;
	struct flow *f;

	if (!flow_trackable(p))
		return NULL;
	f = flow_find(ft, flow_hash(ft, p) & ft->mask, p, &d);
	if (f && dir)
		*dir = d;
	return f;
}

static bool flow_buf_get(struct flow_table *ft, struct flow *f)
{
	if (ft->buf_free) {
		f->buf = ft->buf_free;
		ft->buf_free = f->buf->next_free;
	} else if (ft->buf_unused < ft->cfg.max_buffers) {
		/* A buffer's pages are first touched here, when it is first needed. */
		f->buf = (struct flow_buf *)(ft->bufmem + (size_t)ft->buf_unused++ * ft->buf_stride);
		f->buf->cap = ft->cfg.inspect_bytes;
	} else {
		ft->st.no_buffer++;
		flow_release_buf(ft, f);
		return false;
	}
	f->buf->next_free = NULL;
	ft->st.buffers_in_use++;
	return true;
}

int flow_stream_add(struct flow_table *ft, struct flow *f, enum flow_dir dir, const struct pkt *p)
{
	struct flow_stream *s;
	const uint8_t *data;
	uint32_t n, room, cap = ft->cfg.inspect_bytes;

	if ((dir != FLOW_ORIG && dir != FLOW_REPLY) || !p)
		return 0;
	s = &f->stream[dir];
	data = p->payload;
	n = data ? p->payload_len : 0;

	if (f->key.proto == IPPROTO_TCP) {
		uint32_t seq = p->seq;
		int32_t diff;

		if (p->tcp_flags & PKT_TCP_SYN) {
			stream_syn(s, p);
			seq++;
		}
		if (n == 0 || s->full)
			return 0;
		/* Midstream, or the peer's SYN was not seen: data starts the stream. */
		if (!s->seq_known) {
			s->next_seq = seq;
			s->seq_known = 1;
		}
		/* Serial-number arithmetic: wraps at 2^32. */
		diff = (int32_t)(seq - s->next_seq);
		if (diff > 0)
			return 1;
		if (diff < 0) {
			uint32_t old = (uint32_t)-(int64_t)diff;

			if (old >= n)
				return 0;
			data += old;
			n -= old;
		}
		s->next_seq += n;
	} else if (n == 0 || s->full) {
		return 0;
	}

	if (!f->buf && !flow_buf_get(ft, f))
		return 0;
	room = cap - s->len;
	if (n > room)
		n = room;
	memcpy(f->buf->data + (size_t)dir * cap + s->len, data, n);
	s->len = (uint16_t)(s->len + n);
	if (s->len >= cap)
		s->full = 1;
	return 0;
}

const uint8_t *flow_stream_data(const struct flow *f, enum flow_dir dir, size_t *len)
{
	*len = 0;
	if (!f->buf || (dir != FLOW_ORIG && dir != FLOW_REPLY) || !f->stream[dir].len)
		return NULL;
	*len = f->stream[dir].len;
	return f->buf->data + (size_t)dir * f->buf->cap;
}

void flow_stream_drop(struct flow *f, enum flow_dir dir, size_t n)
{
	struct flow_stream *s;
	uint8_t *d;

	if (!f->buf || (dir != FLOW_ORIG && dir != FLOW_REPLY) || n == 0)
		return;
	s = &f->stream[dir];
	if (n > s->len)
		n = s->len;
	d = f->buf->data + (size_t)dir * f->buf->cap;
	memmove(d, d + n, s->len - n);
	s->len = (uint16_t)(s->len - n);
}

void *flow_aux(const struct flow *f)
{
	return f->buf ? f->buf->aux : NULL;
}

unsigned int flow_expire(struct flow_table *ft, uint64_t now_ms)
{
	unsigned int n = 0;

	while (ft->lru_head != NIL) {
		struct flow *f = &ft->flows[ft->lru_head];

		if (f->last_seen_ms > now_ms || now_ms - f->last_seen_ms <= ft->cfg.idle_timeout_ms)
			break;
		flow_remove(ft, f);
		n++;
	}
	ft->st.expired += n;
	return n;
}

void flow_foreach(struct flow_table *ft, int (*cb)(struct flow *f, void *arg), void *arg)
{
	uint32_t i = ft->lru_head;

	/* Oldest first. next is read first so that cb may remove the flow it is
	 * given (and only that one). */
	while (i != NIL) {
		uint32_t next = ft->flows[i].lnext;

		if (cb(&ft->flows[i], arg))
			break;
		i = next;
	}
}

/*
 * Large zeroed arrays come straight from mmap, with transparent huge pages
 * asked for: lookups touch random entries, and with 4k pages nearly every one
 * is a TLB miss. Untouched pages cost nothing until used.
 */
#define FLOW_HUGE (2u << 20)

/* Arrays of half a huge page or more are mapped as a whole one. */
static size_t flow_map_size(size_t size)
{
	return size >= FLOW_HUGE / 2 ? (size + FLOW_HUGE - 1) & ~((size_t)FLOW_HUGE - 1) : size;
}

static void *flow_alloc(size_t size)
{
	void *p;

	size = flow_map_size(size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (size >= FLOW_HUGE)
		(void)madvise(p, size, MADV_HUGEPAGE);
#endif
	return p;
}

static void flow_dealloc(void *p, size_t size)
{
	if (p)
		munmap(p, flow_map_size(size));
}

static size_t flow_table_memory(const struct flow_table *ft)
{
	return sizeof(*ft) + (size_t)ft->cfg.max_flows * sizeof(struct flow) +
	       ((size_t)ft->max_mask + 1) * sizeof(uint32_t) +
	       (size_t)ft->cfg.max_buffers * ft->buf_stride;
}

void flow_table_stats(const struct flow_table *ft, struct flow_stats *st)
{
	*st = ft->st;
	st->memory_bytes = flow_table_memory(ft);
}

struct flow_table *flow_table_new(const struct flow_table_cfg *cfg)
{
	struct flow_table *ft;
	uint64_t key[2];
	uint32_t nb;

	if (!cfg || cfg->max_flows == 0 || cfg->max_flows > FLOW_MAX_ENTRIES ||
	    cfg->inspect_bytes == 0 || cfg->inspect_bytes > 65535) {
		errno = EINVAL;
		return NULL;
	}
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return NULL;
	ft = calloc(1, sizeof(*ft));
	if (!ft)
		return NULL;
	ft->cfg = *cfg;
	ft->k0 = key[0];
	ft->k1 = key[1];
	for (nb = 1; nb < cfg->max_flows; nb <<= 1)
		;
	/* Room for one chain per flow; flow_grow() takes it into use as needed. */
	ft->max_mask = nb - 1;
	ft->mask = (nb < FLOW_BUCKETS_MIN ? nb : FLOW_BUCKETS_MIN) - 1;
	ft->flows = flow_alloc((size_t)cfg->max_flows * sizeof(struct flow));
	ft->buckets = flow_alloc((size_t)nb * sizeof(uint32_t));
	if (!ft->flows || !ft->buckets)
		goto err;
	memset(ft->buckets, 0xff, ((size_t)ft->mask + 1) * sizeof(uint32_t));

	/* Entries are handed out in index order, so untouched pages stay unmapped. */
	ft->free_head = NIL;
	ft->lru_head = ft->lru_tail = NIL;

	ft->buf_stride = (sizeof(struct flow_buf) + 2 * (size_t)cfg->inspect_bytes + 7) & ~(size_t)7;
	if (cfg->max_buffers) {
		if (cfg->max_buffers > SIZE_MAX / ft->buf_stride)
			goto err;
		/* Buffers are handed out in index order (flow_buf_get), like entries:
		 * linking them all here would touch, and so zero, the whole pool at
		 * start-up (128 MiB by default, in huge pages). */
		ft->bufmem = flow_alloc((size_t)cfg->max_buffers * ft->buf_stride);
		if (!ft->bufmem)
			goto err;
	}
	return ft;

err:
	flow_table_free(ft);
	errno = ENOMEM;
	return NULL;
}

void flow_table_free(struct flow_table *ft)
{
	if (!ft)
		return;
	flow_dealloc(ft->bufmem, (size_t)ft->cfg.max_buffers * ft->buf_stride);
	flow_dealloc(ft->buckets, ((size_t)ft->max_mask + 1) * sizeof(uint32_t));
	flow_dealloc(ft->flows, (size_t)ft->cfg.max_flows * sizeof(struct flow));
	free(ft);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Endpoint table: one hash keyed by (family, prefix length, masked address, port),
 * probed from the longest prefix length present down to the shortest. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ep_table.h"

#define EP_NIL UINT32_MAX

/* Per family: how many entries exist at each prefix length, with and without a port. */
struct ep_family {
	uint32_t n_any[129];	/* port 0 */
	uint32_t n_port[129];	/* a specific port */
	uint8_t plens[129];	/* prefix lengths present, longest first */
	unsigned int n_plens;
};

struct ep_table {
	struct ep_entry *ent;	/* node pool; a free node has family 0 */
	uint32_t *next;		/* hash chain, or free list for free nodes */
	uint32_t cap, used;	/* nodes allocated / high-water mark */
	uint32_t free_head;
	size_t count;
	uint32_t *bucket;	/* chain heads */
	uint32_t nbuckets;	/* power of two */
	struct ep_family fam[2];	/* [0] IPv4, [1] IPv6 */
};

static int ep_fi(uint8_t family)
{
	return family == AF_INET ? 0 : family == AF_INET6 ? 1 : -1;
}

static unsigned int ep_maxlen(uint8_t family)
{
	return family == AF_INET ? 32 : 128;
}

/* Copy addr keeping only the first plen bits. */
static void ep_mask(uint8_t out[16], const uint8_t in[16], unsigned int plen)
{
	unsigned int full = plen / 8, rem = plen % 8;

	memset(out, 0, 16);
	memcpy(out, in, full);
	if (rem)
		out[full] = in[full] & (uint8_t)(0xff << (8 - rem));
}

static uint64_t ep_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint32_t ep_hash(uint8_t family, uint8_t plen, uint16_t port, const uint8_t addr[16])
{
	uint64_t a, b;

	memcpy(&a, addr, 8);
	memcpy(&b, addr + 8, 8);
	return (uint32_t)ep_mix(a ^ ep_mix(b ^ ((uint64_t)family << 40 | (uint64_t)plen << 16 | port)));
}

struct ep_table *ep_table_new(void)
{
	struct ep_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->free_head = EP_NIL;
	t->nbuckets = 1024;
	t->bucket = malloc(t->nbuckets * sizeof(*t->bucket));
	if (!t->bucket) {
		free(t);
		return NULL;
	}
	memset(t->bucket, 0xff, t->nbuckets * sizeof(*t->bucket));
	return t;
}

void ep_table_free(struct ep_table *t)
{
	if (!t)
		return;
	free(t->ent);
	free(t->next);
	free(t->bucket);
	free(t);
}

size_t ep_table_count(const struct ep_table *t)
{
	return t ? t->count : 0;
}

size_t ep_table_memory(const struct ep_table *t)
{
	if (!t)
		return 0;
	return sizeof(*t) + (size_t)t->cap * (sizeof(struct ep_entry) + sizeof(uint32_t)) +
	       (size_t)t->nbuckets * sizeof(uint32_t);
}

static void ep_plens_update(struct ep_family *f)
{
	int p;

	f->n_plens = 0;
	for (p = 128; p >= 0; p--)
		if (f->n_any[p] || f->n_port[p])
			f->plens[f->n_plens++] = (uint8_t)p;
}

static uint32_t ep_find(const struct ep_table *t, uint8_t family, uint8_t plen, uint16_t port,
			const uint8_t masked[16])
{
	uint32_t i = t->bucket[ep_hash(family, plen, port, masked) & (t->nbuckets - 1)];

	for (; i != EP_NIL; i = t->next[i]) {
		const struct ep_entry *e = &t->ent[i];

		if (e->family == family && e->plen == plen && e->port == port &&
		    memcmp(e->addr, masked, 16) == 0)
			return i;
	}
	return EP_NIL;
}

static int ep_rehash(struct ep_table *t, uint32_t nb)
{
	uint32_t *b = malloc((size_t)nb * sizeof(*b)), i;

	if (!b)
		return -1;
	memset(b, 0xff, (size_t)nb * sizeof(*b));
	for (i = 0; i < t->used; i++) {
		const struct ep_entry *e = &t->ent[i];
		uint32_t h;

		if (!e->family)
			continue;
		h = ep_hash(e->family, e->plen, e->port, e->addr) & (nb - 1);
		t->next[i] = b[h];
		b[h] = i;
	}
	free(t->bucket);
	t->bucket = b;
	t->nbuckets = nb;
	return 0;
}

static int ep_valid(const struct ep_entry *e)
{
	return ep_fi(e->family) >= 0 && e->plen <= ep_maxlen(e->family);
}

int ep_table_add(struct ep_table *t, const struct ep_entry *e)
{
	struct ep_entry n;
	struct ep_family *f;
	uint32_t i, h;

	if (!t || !e || !ep_valid(e))
		return -1;
	n = *e;
	ep_mask(n.addr, e->addr, e->plen);
	i = ep_find(t, n.family, n.plen, n.port, n.addr);
	if (i != EP_NIL) {
		t->ent[i].expires_ms = n.expires_ms;
		t->ent[i].tag = n.tag;
		return 0;
	}
	if (t->free_head == EP_NIL && t->used == t->cap) {
		uint32_t nc = t->cap ? t->cap * 2 : 256;
		struct ep_entry *ne;
		uint32_t *nn;

		if (nc < t->cap)
			return -1;
		ne = realloc(t->ent, (size_t)nc * sizeof(*ne));
		if (!ne)
			return -1;
		t->ent = ne;
		nn = realloc(t->next, (size_t)nc * sizeof(*nn));
		if (!nn)
			return -1;
		t->next = nn;
		t->cap = nc;
	}
	/* Keep chains short: about one entry per bucket. */
	if (t->count + 1 > t->nbuckets && t->nbuckets < (1u << 31) &&
	    ep_rehash(t, t->nbuckets * 2) < 0)
		return -1;
	if (t->free_head != EP_NIL) {
		i = t->free_head;
		t->free_head = t->next[i];
	} else {
		i = t->used++;
	}
	t->ent[i] = n;
	h = ep_hash(n.family, n.plen, n.port, n.addr) & (t->nbuckets - 1);
	t->next[i] = t->bucket[h];
	t->bucket[h] = i;
	t->count++;
	f = &t->fam[ep_fi(n.family)];
	if (n.port) {
		if (f->n_port[n.plen]++ == 0 && !f->n_any[n.plen])
			ep_plens_update(f);
	} else {
		if (f->n_any[n.plen]++ == 0 && !f->n_port[n.plen])
			ep_plens_update(f);
	}
	return 0;
}

static void ep_unlink(struct ep_table *t, uint32_t i)
{
	struct ep_entry *e = &t->ent[i];
	struct ep_family *f = &t->fam[ep_fi(e->family)];
	uint32_t *pp = &t->bucket[ep_hash(e->family, e->plen, e->port, e->addr) & (t->nbuckets - 1)];

	while (*pp != i)
		pp = &t->next[*pp];
	*pp = t->next[i];
	if (e->port)
		f->n_port[e->plen]--;
	else
		f->n_any[e->plen]--;
	if (!f->n_port[e->plen] && !f->n_any[e->plen])
		ep_plens_update(f);
	e->family = 0;
	t->next[i] = t->free_head;
	t->free_head = i;
	t->count--;
}

int ep_table_del(struct ep_table *t, const struct ep_entry *e)
{
	uint8_t masked[16];
	uint32_t i;

	if (!t || !e || !ep_valid(e))
		return -1;
	ep_mask(masked, e->addr, e->plen);
	i = ep_find(t, e->family, e->plen, e->port, masked);
	if (i == EP_NIL)
		return -1;
	ep_unlink(t, i);
	return 0;
}

static int ep_live(const struct ep_entry *e, uint64_t now_ms)
{
	return now_ms == 0 || e->expires_ms == 0 || e->expires_ms > now_ms;
}

const struct ep_entry *ep_table_lookup(const struct ep_table *t, uint8_t family,
				       const uint8_t addr[16], uint16_t port, uint64_t now_ms)
{
	const struct ep_family *f;
	unsigned int k;
	int fi = ep_fi(family);

	if (!t || fi < 0 || !t->count)
		return NULL;
	f = &t->fam[fi];
	for (k = 0; k < f->n_plens; k++) {
		uint8_t plen = f->plens[k], masked[16];
		uint32_t i;

		ep_mask(masked, addr, plen);
		/* At one prefix length an ip:port entry is more specific than the bare prefix. */
		if (port && f->n_port[plen]) {
			i = ep_find(t, family, plen, port, masked);
			if (i != EP_NIL && ep_live(&t->ent[i], now_ms))
				return &t->ent[i];
		}
		if (f->n_any[plen]) {
			i = ep_find(t, family, plen, 0, masked);
			if (i != EP_NIL && ep_live(&t->ent[i], now_ms))
				return &t->ent[i];
		}
	}
	return NULL;
}

size_t ep_table_expire(struct ep_table *t, uint64_t now_ms)
{
	size_t n = 0;
	uint32_t i;

	if (!t)
		return 0;
	for (i = 0; i < t->used; i++) {
		const struct ep_entry *e = &t->ent[i];

		if (e->family && e->expires_ms && e->expires_ms <= now_ms) {
			ep_unlink(t, i);
			n++;
		}
	}
	return n;
}

void ep_table_foreach(const struct ep_table *t, int (*cb)(const struct ep_entry *e, void *arg), void *arg)
{
	uint32_t i;

	if (!t)
		return;
	for (i = 0; i < t->used; i++)
		if (t->ent[i].family && cb(&t->ent[i], arg))
			return;
}

int ep_number(const char *s, size_t len, unsigned long min, unsigned long max,
		     unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int ep_parse(const char *s, struct ep_entry *e, char *err, size_t errsize)
{
	char addr[64];
	const char *a, *rest, *slash, *colon = NULL;
	size_t alen, slen = s ? strlen(s) : 0;
	unsigned long v;
	int ret = -1;

	memset(e, 0, sizeof(*e));
	if (!s || slen == 0) {
		snprintf(err, errsize, "empty endpoint");
		goto out;
	}
	if (slen > 60) {
		snprintf(err, errsize, "endpoint too long");
		goto out;
	}
	if (s[0] == '[') {
		/* [v6]:port or [v6/len]:port */
		const char *close = strchr(s, ']');

		if (!close) {
			snprintf(err, errsize, "missing ']' in \"%s\"", s);
			goto out;
		}
		a = s + 1;
		alen = (size_t)(close - a);
		if (close[1] != ':') {
			snprintf(err, errsize, "expected ':port' after ']' in \"%s\"", s);
			goto out;
		}
		colon = close + 1;
		e->family = AF_INET6;
	} else {
		a = s;
		/* One colon in a bare form is v4:port; more make an IPv6 address. */
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':')) {
			colon = NULL;
			e->family = AF_INET6;
		} else {
			e->family = AF_INET;
		}
		alen = colon ? (size_t)(colon - s) : slen;
	}
	if (colon) {
		const char *p = colon + 1;

		if (ep_number(p, strlen(p), 1, 65535, &v) < 0) {
			snprintf(err, errsize, "invalid port \"%s\" (expected 1-65535)", p);
			goto out;
		}
		e->port = (uint16_t)v;
	}
	rest = a + alen;
	slash = memchr(a, '/', alen);
	memcpy(addr, a, slash ? (size_t)(slash - a) : alen);
	addr[slash ? (size_t)(slash - a) : alen] = '\0';
	if (inet_pton(e->family, addr, e->addr) != 1) {
		snprintf(err, errsize, "invalid %s address \"%s\"",
			 e->family == AF_INET ? "IPv4" : "IPv6", addr);
		goto out;
	}
	e->plen = (uint8_t)ep_maxlen(e->family);
	if (slash) {
		uint8_t masked[16];

		if (ep_number(slash + 1, (size_t)(rest - slash - 1), 0, ep_maxlen(e->family), &v) < 0) {
			snprintf(err, errsize, "invalid prefix length \"%.*s\" (expected 0-%u)",
				 (int)(rest - slash - 1), slash + 1, ep_maxlen(e->family));
			goto out;
		}
		e->plen = (uint8_t)v;
		ep_mask(masked, e->addr, e->plen);
		if (memcmp(masked, e->addr, 16) != 0) {
			snprintf(err, errsize, "address \"%s\" has bits set beyond /%u", addr, e->plen);
			goto out;
		}
	}
	ret = 0;
out:
	if (ret < 0)
		memset(e, 0, sizeof(*e));
	return ret;
}

const char *ep_entry_str(const struct ep_entry *e, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN], pfx[8] = "";
	bool v6 = e->family == AF_INET6;

	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, e->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (e->plen != (v6 ? 128 : 32))
		snprintf(pfx, sizeof(pfx), "/%u", e->plen);
	if (!e->port)
		snprintf(buf, size, "%s%s", a, pfx);
	else if (v6)
		snprintf(buf, size, "[%s%s]:%u", a, pfx, e->port);
	else
		snprintf(buf, size, "%s%s:%u", a, pfx, e->port);
	return buf;
}

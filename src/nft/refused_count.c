// SPDX-License-Identifier: GPL-2.0-or-later
/* Refused connections per internal host: dumps of the kernel's "refused" sets (defined in enforce_sets.c) and the deltas between two dumps. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "enforce.h"
#include "enforce_int.h"
#include "nlbatch.h"
#include "refused_count.h"

/*
 * The block chains (ruleset_sets.c) run, for the first packet of a flow
 * they refuse, "update @refusedN { ip saddr counter }": one element per
 * internal host whose counter grows with every refused connection, and
 * whose timeout restarts with each. The daemon dumps both sets every few
 * seconds; what a host's counter grew by since the last dump is what it
 * tried since. Dumps are kept sorted so the next one is compared with a
 * binary search: bounded work, O(n log n) in the hosts the sets hold.
 */

#define DUMP_BUF	(256 * 1024)

struct dump {
	struct refused_elem *v;
	size_t n, alloc;
	size_t per_family[2];
};

struct refused_count {
	struct dump prev, cur;
	bool primed;		/* prev is a real dump, not the empty start */
};

static int elem_cmp(const void *a, const void *b)
{
	const struct refused_elem *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

struct refused_count *refused_count_new(void)
{
	return calloc(1, sizeof(struct refused_count));
}

void refused_count_free(struct refused_count *rc)
{
	if (rc == NULL)
		return;
	free(rc->prev.v);
	free(rc->cur.v);
	free(rc);
}

void refused_count_reset(struct refused_count *rc)
{
	rc->prev.n = 0;
	rc->cur.n = 0;
	rc->primed = false;
}

void refused_count_begin(struct refused_count *rc)
{
	rc->cur.n = 0;
	rc->cur.per_family[0] = rc->cur.per_family[1] = 0;
}

int refused_count_add(struct refused_count *rc, const struct refused_elem *e)
{
	struct dump *d = &rc->cur;
	struct refused_elem *slot;
	int f;

	if (e->family != AF_INET && e->family != AF_INET6)
		return 0;
	f = e->family == AF_INET ? 0 : 1;
	if (d->per_family[f] >= REFUSED_SET_SIZE)
		return 0;
	if (d->n == d->alloc) {
		size_t n = d->alloc ? d->alloc * 2 : 64;
		struct refused_elem *v = realloc(d->v, n * sizeof(*v));

		if (v == NULL)
			return -1;
		d->v = v;
		d->alloc = n;
	}
	slot = &d->v[d->n++];
	memset(slot, 0, sizeof(*slot));
	slot->family = e->family;
	memcpy(slot->addr, e->addr, e->family == AF_INET ? 4 : 16);
	slot->packets = e->packets;
	d->per_family[f]++;
	return 0;
}

uint64_t refused_count_diff(struct refused_count *rc, uint32_t cap_host,
			    void (*cb)(const struct refused_elem *e, uint64_t from, uint32_t n,
				       void *arg),
			    void *arg)
{
	struct dump *cur = &rc->cur;
	struct dump tmp;
	uint64_t total = 0;
	size_t i;

	if (cur->n > 1)
		qsort(cur->v, cur->n, sizeof(cur->v[0]), elem_cmp);
	for (i = 0; rc->primed && i < cur->n; i++) {
		const struct refused_elem *e = &cur->v[i], *old;
		uint64_t delta, from;

		/* The kernel holds one element per key; a repeat is not ours. */
		if (i > 0 && elem_cmp(e, &cur->v[i - 1]) == 0)
			continue;
		old = rc->prev.n ? bsearch(e, rc->prev.v, rc->prev.n, sizeof(*e), elem_cmp) : NULL;
		/* new, or timed out and back: from zero */
		from = old == NULL || e->packets < old->packets ? 0 : old->packets;
		delta = e->packets - from;
		if (delta == 0)
			continue;
		total += delta;
		if (cb != NULL && cap_host > 0)
			cb(e, from, delta > cap_host ? cap_host : (uint32_t)delta, arg);
	}
	tmp = rc->prev;
	rc->prev = *cur;
	*cur = tmp;
	cur->n = 0;
	rc->primed = true;
	return total;
}

/* ---- kernel --------------------------------------------------------------- */

struct dump_arg {
	struct refused_count *rc;
	uint8_t family;
	int failed;
};

static int counter_cb(struct nftnl_expr *e, void *data)
{
	uint64_t *packets = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name != NULL && strcmp(name, "counter") == 0)
		*packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
	return 0;
}

static int elem_one(struct nftnl_set_elem *el, void *data)
{
	struct dump_arg *a = data;
	struct refused_elem r = { .family = a->family };
	size_t alen = a->family == AF_INET ? 4 : 16;
	uint32_t len = 0;
	const void *k = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &len);

	/* Bounded: only a key of the family's exact length is a host. */
	if (k == NULL || len != alen)
		return 0;
	memcpy(r.addr, k, alen);
	nftnl_set_elem_expr_foreach(el, counter_cb, &r.packets);
	if (refused_count_add(a->rc, &r) < 0) {
		a->failed = 1;
		return -1;
	}
	return 0;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	return nlbatch_set_elems(nlh, elem_one, data);
}

static int dump_one(struct refused_count *rc, struct mnl_socket *nl, uint32_t seq,
		    const char *set, uint8_t family, char *buf)
{
	struct dump_arg a = { rc, family, 0 };
	struct nlmsghdr *nlh;

	memset(buf, 0, DUMP_BUF);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET,
				    NLM_F_DUMP | NLM_F_ACK, seq);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, ENF_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	if (nlbatch_dump(nl, nlh, buf, DUMP_BUF, seq, elems_cb, &a) < 0)
		return errno == ENOENT ? 0 : -1;
	if (a.failed) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int refused_count_dump(struct refused_count *rc, struct mnl_socket *nl, uint32_t seq)
{
	char *buf = malloc(DUMP_BUF);
	int ret = -1;

	if (buf == NULL)
		return -1;
	refused_count_begin(rc);
	if (dump_one(rc, nl, seq, REFUSED_SET4, AF_INET, buf) < 0 ||
	    dump_one(rc, nl, seq + 1, REFUSED_SET6, AF_INET6, buf) < 0)
		goto out;
	ret = 0;
out:
	free(buf);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading minewall's block sets back from the kernel (GETSETELEM dumps), and
 * syncing a source to a wanted list by queueing only the difference. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "enforce.h"
#include "enforce_int.h"
#include "ep_table.h"
#include "nlbatch.h"

#define DUMP_BUF	(256 * 1024)

/* One element as the kernel returned it. */
struct raw {
	struct enforce_key key;
	uint64_t expires_ms;
};

struct rawvec {
	struct raw *v;
	size_t n, alloc;
	int failed;
};

static int raw_push(struct rawvec *rv, const struct raw *r)
{
	if (rv->n == rv->alloc) {
		size_t n = rv->alloc ? rv->alloc * 2 : 256;
		struct raw *v = realloc(rv->v, n * sizeof(*v));

		if (v == NULL)
			return -1;
		rv->v = v;
		rv->alloc = n;
	}
	rv->v[rv->n++] = *r;
	return 0;
}

static int elem_one(struct nftnl_set_elem *el, void *data)
{
	struct rawvec *rv = data;
	struct raw r = { 0 };
	uint32_t len = 0;
	const void *k = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &len);

	/* Bounded: a key longer than ours is not one of our sets. */
	if (k == NULL || len == 0 || len > ENF_KEY_MAX)
		return 0;
	memcpy(r.key.data, k, len);
	r.key.len = (uint8_t)len;
	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_FLAGS))
		r.key.end = (nftnl_set_elem_get_u32(el, NFTNL_SET_ELEM_FLAGS) &
			     NFT_SET_ELEM_INTERVAL_END) != 0;
	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_EXPIRATION))
		r.expires_ms = nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_EXPIRATION);
	if (raw_push(rv, &r) < 0) {
		rv->failed = 1;
		return -1;
	}
	return 0;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	return nlbatch_set_elems(nlh, elem_one, data);
}

/* Every element of set name into rv. A missing set is an error (ENOENT). */
static int dump_set(struct enforcer *e, const char *name, struct rawvec *rv)
{
	struct mnl_socket *nl = enforce_nl(e);
	uint32_t seq = enforce_next_seq(e);
	struct nlmsghdr *nlh;
	/* Zeroed: libmnl before 1.0.5 leaves attribute padding unwritten, and
	 * those bytes (after the table name) would go to the kernel as they were. */
	char *buf = calloc(1, DUMP_BUF);
	int ret = -1;

	if (buf == NULL)
		return -1;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET,
				    NLM_F_DUMP | NLM_F_ACK, seq);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, ENF_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name);
	if (nlbatch_dump(nl, nlh, buf, DUMP_BUF, seq, elems_cb, rv) == 0)
		ret = rv->failed ? -1 : 0;
	free(buf);
	return ret;
}

static int raw_cmp(const void *a, const void *b)
{
	const struct raw *x = a, *y = b;
	int c = memcmp(x->key.data, y->key.data, ENF_KEY_MAX);

	if (c != 0)
		return c;
	/* An end at the same key as a start closes the range before it. */
	return (int)y->key.end - (int)x->key.end;
}

typedef int (*entry_cb)(const struct ep_entry *ep, void *arg);

static int emit(int family, enum enforce_kind kind, const struct raw *start,
		const struct raw *end, entry_cb cb, void *arg)
{
	struct ep_entry ep;

	if (enforce_decode(family, kind, &start->key, end ? &end->key : NULL, &ep) < 0)
		return 0;	/* not ours (a range that is no prefix): skip */
	ep.expires_ms = start->expires_ms;
	ep.tag = kind;
	return cb(&ep, arg);
}

/* Walk one set's elements; intervals come back as start and end elements
 * in no promised order, so they are sorted and paired first. */
static int walk_set(struct enforcer *e, const char *name, int family,
		    enum enforce_kind kind, entry_cb cb, void *arg)
{
	struct rawvec rv = { 0 };
	const struct raw *start = NULL;
	size_t i;
	int r = 0;

	if (dump_set(e, name, &rv) < 0) {
		free(rv.v);
		return -1;
	}
	if (kind != ENF_CIDR) {
		for (i = 0; i < rv.n && r == 0; i++)
			r = emit(family, kind, &rv.v[i], NULL, cb, arg);
		goto out;
	}
	if (rv.n)
		qsort(rv.v, rv.n, sizeof(rv.v[0]), raw_cmp);
	for (i = 0; i < rv.n && r == 0; i++) {
		if (!rv.v[i].key.end) {
			start = &rv.v[i];
			continue;
		}
		if (start != NULL)
			r = emit(family, kind, start, &rv.v[i], cb, arg);
		start = NULL;
	}
	/* A start left open runs to the top of the address space. */
	if (r == 0 && start != NULL)
		r = emit(family, kind, start, NULL, cb, arg);
out:
	free(rv.v);
	return r;
}

int enforce_list(struct enforcer *e, enum enforce_source src, const char *feed,
		 int (*cb)(const struct ep_entry *ep, void *arg), void *arg)
{
	char name[ENF_SET_NAME_MAX + 1];
	int family, kind, r;

	for (family = AF_INET; ; family = AF_INET6) {
		for (kind = 0; kind < ENF_KINDS; kind++) {
			if (enforce_set_name(name, sizeof(name), src, feed,
					     (enum enforce_kind)kind, family) < 0)
				return -1;
			r = walk_set(e, name, family, (enum enforce_kind)kind, cb, arg);
			if (r != 0)
				return r;
		}
		if (family == AF_INET6)
			break;
	}
	return 0;
}

/* ---- sync ------------------------------------------------------------------ */

struct epvec {
	struct ep_entry *v;
	size_t n, alloc;
};

static int ep_push(const struct ep_entry *ep, void *arg)
{
	struct epvec *ev = arg;

	if (ev->n == ev->alloc) {
		size_t n = ev->alloc ? ev->alloc * 2 : 256;
		struct ep_entry *v = realloc(ev->v, n * sizeof(*v));

		if (v == NULL)
			return -1;
		ev->v = v;
		ev->alloc = n;
	}
	ev->v[ev->n++] = *ep;
	return 0;
}

/* Identity of a set element: family, masked address, prefix, port. The
 * order callers keep their lists in (daemon_feeds), so a list already sorted
 * needs no sort here. */
static int ep_cmp(const void *a, const void *b)
{
	const struct ep_entry *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c)
		return c;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

/* Sort v unless it already is (a million-entry feed usually is). */
static void ep_sort(struct ep_entry *v, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (ep_cmp(&v[i - 1], &v[i]) > 0)
			break;
	if (i < n)
		qsort(v, n, sizeof(*v), ep_cmp);
}

/* The entry as the kernel would give it back: host bits cleared. */
static int canonical(const struct ep_entry *entry, struct ep_entry *out)
{
	struct ep_entry copy = *entry, *in = &copy;	/* out may be entry */
	struct enforce_key k[2];
	int kind = enforce_entry_kind(in);

	if (kind < 0 || enforce_encode(in, (enum enforce_kind)kind, k) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->family = in->family;
	out->plen = in->plen;
	out->port = in->port;
	memcpy(out->addr, k[0].data, in->family == AF_INET ? 4 : 16);
	return 0;
}

/* Queue what turns have[] into wanted[]; have is read from the kernel when
 * known is NULL. */
static int sync_diff(struct enforcer *e, enum enforce_source src, const char *feed,
		     const struct ep_entry *known, size_t n_known,
		     const struct ep_entry *wanted, size_t n_wanted)
{
	struct epvec have = { 0 }, want = { 0 };
	size_t i = 0, j = 0;
	int ret = -1;

	if (!enforce_in_batch(e)) {
		errno = EINVAL;
		return -1;
	}
	if (known == NULL) {
		if (enforce_list(e, src, feed, ep_push, &have) != 0)
			goto out;
	} else {
		have.v = calloc(n_known ? n_known : 1, sizeof(*have.v));
		if (have.v == NULL)
			goto out;
		for (i = 0; i < n_known; i++) {
			if (canonical(&known[i], &have.v[have.n]) < 0) {
				errno = EINVAL;
				goto out;
			}
			have.n++;
		}
	}
	want.v = calloc(n_wanted ? n_wanted : 1, sizeof(*want.v));
	if (want.v == NULL)
		goto out;
	for (i = 0; i < n_wanted; i++) {
		if (canonical(&wanted[i], &want.v[want.n]) < 0) {
			errno = EINVAL;
			goto out;
		}
		want.n++;
	}
	if (known == NULL)
		for (i = 0; i < have.n; i++)
			canonical(&have.v[i], &have.v[i]);
	ep_sort(want.v, want.n);
	ep_sort(have.v, have.n);
	i = j = 0;
	while (i < want.n || j < have.n) {
		int c = i == want.n ? 1 : j == have.n ? -1 : ep_cmp(&want.v[i], &have.v[j]);

		if (c < 0) {
			if (enforce_block_add(e, src, feed, &want.v[i], 0) < 0)
				goto out;
			i++;
			/* Duplicates in the wanted list count once. */
			while (i < want.n && ep_cmp(&want.v[i], &want.v[i - 1]) == 0)
				i++;
		} else if (c > 0) {
			if (enforce_block_del(e, src, feed, &have.v[j]) < 0)
				goto out;
			j++;
			while (j < have.n && ep_cmp(&have.v[j], &have.v[j - 1]) == 0)
				j++;
		} else {
			i++;
			j++;
			while (i < want.n && ep_cmp(&want.v[i], &want.v[i - 1]) == 0)
				i++;
			while (j < have.n && ep_cmp(&have.v[j], &have.v[j - 1]) == 0)
				j++;
		}
	}
	ret = 0;
out:
	free(have.v);
	free(want.v);
	return ret;
}

int enforce_sync_source(struct enforcer *e, enum enforce_source src, const char *feed,
			const struct ep_entry *wanted, size_t n_wanted)
{
	return sync_diff(e, src, feed, NULL, 0, wanted, n_wanted);
}

int enforce_sync_known(struct enforcer *e, enum enforce_source src, const char *feed,
		       const struct ep_entry *have, size_t n_have,
		       const struct ep_entry *wanted, size_t n_wanted)
{
	if (have == NULL && n_have) {
		errno = EINVAL;
		return -1;
	}
	return sync_diff(e, src, feed, have ? have : wanted, n_have, wanted, n_wanted);
}

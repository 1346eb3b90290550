// SPDX-License-Identifier: GPL-2.0-or-later
/* Enforcement sets: their names, their definitions, and how an endpoint
 * becomes set element keys and back. No I/O except enforce_sets_emit(). */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "enforce.h"
#include "enforce_int.h"
#include "refused_count.h"
#include "ep_table.h"
#include "nlbatch.h"

/* nft's datatype numbers (src/datatype.h); a concatenation is
 * (first << 6) | second, as nft computes it. */
#define DT_IPV4_ADDR		7
#define DT_IPV6_ADDR		8
#define DT_INET_SERVICE		13
#define DT_CONCAT(a, b)		(((a) << 6) | (b))

/* Idle meter entries go after this long; a host's budget restarts then. */
#define METER_TIMEOUT_MS	60000
#define METER_SIZE		65535

static const char *const source_names[ENF_SOURCES] = {
	[ENF_DETECT] = "detect", [ENF_DNS] = "dns", [ENF_LIST] = "list",
	[ENF_FEED] = "feed",
};
static const char *const kind_names[ENF_KINDS] = {
	[ENF_ADDR] = "addr", [ENF_CIDR] = "cidr", [ENF_EP] = "ep",
};

const char *enforce_source_name(enum enforce_source src)
{
	return (unsigned int)src < ENF_SOURCES ? source_names[src] : "?";
}

int enforce_source_parse(const char *s)
{
	int i;

	for (i = 0; i < ENF_SOURCES; i++)
		if (strcmp(s, source_names[i]) == 0)
			return i;
	return -1;
}

bool enforce_feed_name_ok(const char *feed)
{
	size_t i, n;

	if (feed == NULL)
		return false;
	n = strlen(feed);
	if (n == 0 || n > ENF_FEED_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = feed[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int enforce_set_name(char *buf, size_t size, enum enforce_source src,
		     const char *feed, enum enforce_kind kind, int family)
{
	int n;

	if ((unsigned int)src >= ENF_SOURCES || (unsigned int)kind >= ENF_KINDS ||
	    (family != AF_INET && family != AF_INET6))
		goto inval;
	if (src == ENF_FEED) {
		/* The feed name sits between a fixed prefix and a fixed suffix,
		 * so one feed's sets can never be another feed's. */
		if (!enforce_feed_name_ok(feed))
			goto inval;
		n = snprintf(buf, size, "feed_%s_%s%d", feed, kind_names[kind],
			     family == AF_INET ? 4 : 6);
	} else {
		if (feed != NULL)
			goto inval;
		n = snprintf(buf, size, "%s_%s%d", source_names[src],
			     kind_names[kind], family == AF_INET ? 4 : 6);
	}
	if (n < 0 || (size_t)n >= size || n > ENF_SET_NAME_MAX)
		goto inval;
	return 0;
inval:
	errno = EINVAL;
	return -1;
}

static unsigned int addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

int enforce_entry_kind(const struct ep_entry *ep)
{
	unsigned int bits;

	if (ep->family != AF_INET && ep->family != AF_INET6)
		return -1;
	bits = addr_bits(ep->family);
	if (ep->plen > bits)
		return -1;
	if (ep->port != 0)
		return ep->plen == bits ? ENF_EP : -1;
	return ep->plen == bits ? ENF_ADDR : ENF_CIDR;
}

/* Clear the bits past plen. */
static void addr_mask(uint8_t *a, unsigned int alen, unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < alen; i++) {
		unsigned int lo = i * 8;

		if (plen >= lo + 8)
			continue;
		a[i] &= plen <= lo ? 0 : (uint8_t)(0xff << (8 - (plen - lo)));
	}
}

/* a += 1 << (bits - plen); false when it wraps past the top. */
static bool addr_step(uint8_t *a, unsigned int alen, unsigned int plen)
{
	unsigned int bit = alen * 8 - plen;	/* bit index from the right */
	int i = (int)alen - 1 - (int)(bit / 8);
	unsigned int carry = 1u << (bit % 8);

	for (; i >= 0 && carry; i--) {
		unsigned int v = a[i] + carry;

		a[i] = (uint8_t)v;
		carry = v >> 8;
	}
	return carry == 0;
}

int enforce_encode(const struct ep_entry *ep, enum enforce_kind kind,
		   struct enforce_key key[2])
{
	unsigned int alen, bits;

	if (enforce_entry_kind(ep) < 0)
		goto inval;
	alen = ep->family == AF_INET ? 4 : 16;
	bits = addr_bits(ep->family);
	memset(key, 0, 2 * sizeof(*key));
	switch (kind) {
	case ENF_ADDR:
		if (ep->plen != bits || ep->port != 0)
			goto inval;
		memcpy(key[0].data, ep->addr, alen);
		key[0].len = (uint8_t)alen;
		return 1;
	case ENF_EP:
		if (ep->plen != bits || ep->port == 0)
			goto inval;
		/* inet_service is 2 bytes, network order, in a 4-byte register. */
		memcpy(key[0].data, ep->addr, alen);
		key[0].data[alen] = (uint8_t)(ep->port >> 8);
		key[0].data[alen + 1] = (uint8_t)ep->port;
		key[0].len = (uint8_t)(alen + 4);
		return 1;
	case ENF_CIDR:
		/* An interval set holds single addresses too (a /32 or /128). */
		if (ep->port != 0)
			goto inval;
		memcpy(key[0].data, ep->addr, alen);
		addr_mask(key[0].data, alen, ep->plen);
		key[0].len = (uint8_t)alen;
		key[1] = key[0];
		key[1].end = true;
		if (ep->plen == 0 || !addr_step(key[1].data, alen, ep->plen))
			return 1;
		return 2;
	default:
		break;
	}
inval:
	errno = EINVAL;
	return -1;
}

/* Prefix length of [start, end): end - start must be a power of two and
 * start aligned to it; end NULL means up to the top. -1 if not a prefix. */
static int range_plen(const uint8_t *start, const uint8_t *end, unsigned int alen)
{
	unsigned int plen;
	uint8_t probe[16];

	for (plen = 0; plen <= alen * 8; plen++) {
		memcpy(probe, start, alen);
		addr_mask(probe, alen, plen);
		if (memcmp(probe, start, alen) != 0)
			continue;
		if (end == NULL) {
			if (plen == 0 || !addr_step(probe, alen, plen))
				return (int)plen;
			continue;
		}
		if (plen > 0 && addr_step(probe, alen, plen) &&
		    memcmp(probe, end, alen) == 0)
			return (int)plen;
	}
	return -1;
}

int enforce_decode(int family, enum enforce_kind kind,
		   const struct enforce_key *start, const struct enforce_key *end,
		   struct ep_entry *ep)
{
	unsigned int alen = family == AF_INET ? 4 : 16;
	int plen;

	if (family != AF_INET && family != AF_INET6)
		goto inval;
	memset(ep, 0, sizeof(*ep));
	ep->family = (uint8_t)family;
	ep->plen = (uint8_t)addr_bits(family);
	switch (kind) {
	case ENF_ADDR:
		if (start->len != alen)
			goto inval;
		memcpy(ep->addr, start->data, alen);
		return 0;
	case ENF_EP:
		if (start->len != alen + 4)
			goto inval;
		memcpy(ep->addr, start->data, alen);
		ep->port = (uint16_t)(start->data[alen] << 8 | start->data[alen + 1]);
		return ep->port != 0 ? 0 : -1;
	case ENF_CIDR:
		if (start->len != alen || (end != NULL && end->len != alen))
			goto inval;
		plen = range_plen(start->data, end ? end->data : NULL, alen);
		if (plen < 0)
			goto inval;
		memcpy(ep->addr, start->data, alen);
		ep->plen = (uint8_t)plen;
		return 0;
	default:
		break;
	}
inval:
	errno = EINVAL;
	return -1;
}

/* ---- set definitions ----------------------------------------------------- */

static const struct {
	uint32_t type, len;
} key_types[2][ENF_KINDS] = {
	{ { DT_IPV4_ADDR, 4 }, { DT_IPV4_ADDR, 4 },
	  { DT_CONCAT(DT_IPV4_ADDR, DT_INET_SERVICE), 8 } },
	{ { DT_IPV6_ADDR, 16 }, { DT_IPV6_ADDR, 16 },
	  { DT_CONCAT(DT_IPV6_ADDR, DT_INET_SERVICE), 20 } },
};

void enforce_set_def(struct enforce_set_def *d, const char *name, int family,
		     enum enforce_kind kind)
{
	int f = family == AF_INET ? 0 : 1;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->key_type = key_types[f][kind].type;
	d->key_len = key_types[f][kind].len;
	d->flags = NFT_SET_TIMEOUT;
	if (kind == ENF_CIDR)
		d->flags |= NFT_SET_INTERVAL;
}

/* The sets every ruleset has besides the block sets. */
static void fixed_defs(struct enforce_set_def *defs, size_t *n)
{
	static const char *const meters[] = { "tmeter", "cmeter", "pmeter" };
	static const char *const allows[] = { "allow", "qallow" };
	static const char *const hosts[] = { "throttle", "quarantine" };
	char name[ENF_SET_NAME_MAX + 1];
	size_t i;
	int v;

	for (v = 4; v <= 6; v += 2) {
		int family = v == 4 ? AF_INET : AF_INET6;

		for (i = 0; i < 2; i++) {
			snprintf(name, sizeof(name), "%s%d", allows[i], v);
			enforce_set_def(&defs[(*n)++], name, family, ENF_CIDR);
			defs[*n - 1].flags &= ~(uint32_t)NFT_SET_TIMEOUT;
		}
		for (i = 0; i < 2; i++) {
			snprintf(name, sizeof(name), "%s%d", hosts[i], v);
			enforce_set_def(&defs[(*n)++], name, family, ENF_ADDR);
		}
		for (i = 0; i < 3; i++) {
			snprintf(name, sizeof(name), "%s%d", meters[i], v);
			enforce_set_def(&defs[*n], name, family, ENF_ADDR);
			defs[*n].flags |= NFT_SET_EVAL;
			defs[*n].meter = true;
			defs[*n].timeout_ms = METER_TIMEOUT_MS;
			defs[*n].size = METER_SIZE;
			(*n)++;
		}
		/* Refused connections per host (refused_count.h), filled by the
		 * block chains' dynset; kept across installs, not flushed. */
		enforce_set_def(&defs[*n], v == 4 ? REFUSED_SET4 : REFUSED_SET6, family, ENF_ADDR);
		defs[*n].flags |= NFT_SET_EVAL;
		defs[*n].timeout_ms = REFUSED_TIMEOUT_MS;
		defs[*n].size = REFUSED_SET_SIZE;
		(*n)++;
	}
	memset(&defs[*n], 0, sizeof(defs[*n]));
	snprintf(defs[*n].name, sizeof(defs[*n].name), "pool_ports");
	defs[*n].key_type = DT_INET_SERVICE;
	defs[*n].key_len = 2;
	(*n)++;
}

static int emit_set(struct nlbatch *b, const struct enforce_set_def *d)
{
	/* nft records the key byte order of interval sets in the set's user
	 * data (type 0, big endian); without it nft lists prefixes oddly. */
	static const char udata_interval[] = { 0, 4, 2, 0, 0, 0 };
	static uint32_t set_id;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	char what[NLBATCH_WHAT_MAX];
	int ret = -1;

	if (s == NULL)
		return -1;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, ENF_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, d->name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
	/* The kernel insists on an id, unique within the batch. */
	nftnl_set_set_u32(s, NFTNL_SET_ID, ++set_id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, d->flags);
	if (d->flags & NFT_SET_INTERVAL)
		nftnl_set_set_data(s, NFTNL_SET_USERDATA, udata_interval,
				   sizeof(udata_interval));
	if (d->timeout_ms)
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, d->timeout_ms);
	if (d->size)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, d->size);
	nlh = nlbatch_put(b, NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK);
	if (nlh == NULL)
		goto out;
	nftnl_set_nlmsg_build_payload(nlh, s);
	snprintf(what, sizeof(what), "add set inet %s %s", ENF_TABLE, d->name);
	if (nlbatch_next(b, what) < 0)
		goto out;
	ret = 0;
out:
	nftnl_set_free(s);
	return ret;
}

/* NFT_MSG_DELSETELEM without an element list flushes the set. libnftnl
 * always adds the list, so the message is built by hand. */
int enforce_emit_flush(struct nlbatch *b, const char *set)
{
	struct nlmsghdr *nlh;
	char what[NLBATCH_WHAT_MAX];

	nlh = nlbatch_put(b, NFT_MSG_DELSETELEM, NFPROTO_INET, NLM_F_ACK);
	if (nlh == NULL)
		return -1;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, ENF_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	snprintf(what, sizeof(what), "flush set inet %s %s", ENF_TABLE, set);
	return nlbatch_next(b, what);
}

int enforce_sets_emit(struct nlbatch *b, const struct enforce_policy *p)
{
	struct enforce_set_def defs[20];
	struct enforce_set_def d;
	char name[ENF_SET_NAME_MAX + 1];
	size_t i, n = 0;
	unsigned int f, src, kind;
	int family;

	for (f = 0; f < (p ? p->n_feeds : 0); f++) {
		if (!enforce_feed_name_ok(p->feeds[f]) || f >= ENF_MAX_FEEDS) {
			errno = EINVAL;
			return -1;
		}
	}
	fixed_defs(defs, &n);
	for (i = 0; i < n; i++) {
		if (emit_set(b, &defs[i]) < 0)
			return -1;
		if (defs[i].meter && enforce_emit_flush(b, defs[i].name) < 0)
			return -1;
	}
	for (family = AF_INET; ; family = AF_INET6) {
		for (src = 0; src < ENF_SOURCES; src++) {
			unsigned int nf = src != ENF_FEED ? 1 : (p ? p->n_feeds : 0);

			for (f = 0; f < nf; f++) {
				for (kind = 0; kind < ENF_KINDS; kind++) {
					if (enforce_set_name(name, sizeof(name), src,
							     src == ENF_FEED ? p->feeds[f] : NULL,
							     kind, family) < 0)
						return -1;
					enforce_set_def(&d, name, family, kind);
					if (emit_set(b, &d) < 0)
						return -1;
				}
			}
		}
		if (family == AF_INET6)
			break;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The enforcer: queues element changes for minewall's sets and commits them
 * as one atomic netlink batch; reads sets back; syncs a source to a list.
 *
 * Elements for one set and one operation are packed into messages of up to
 * ELEMS_PER_MSG keys. The kernel reports every failing message whether or not
 * it asked for an ACK, so element messages go without NLM_F_ACK: a million
 * entries cost a thousand messages and almost no ACK traffic. An add and a
 * delete of the same set never swap order: switching operation on a set first
 * emits what is pending for the other one. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "ct_sweep.h"
#include "enforce.h"
#include "enforce_int.h"
#include "ep_table.h"
#include "nlbatch.h"
#include "ruleset.h"

/* Linux 6.3: delete an element, no error when it is absent. Not in the
 * 6.1 uapi headers Debian 12 builds with. */
#ifndef NFT_MSG_DESTROYSETELEM
#define NFT_MSG_DESTROYSETELEM	30
#endif

#define ELEMS_PER_MSG	1024
#define DUMP_BUF	(128 * 1024)
#define PROBE_TABLE	"minewall_eprobe"

/* What is queued for one set. */
struct slot {
	char name[ENF_SET_NAME_MAX + 1];
	struct nftnl_set *ops[2];	/* [0] add, [1] delete */
	size_t n[2];
};

struct enforcer {
	struct mnl_socket *nl;
	struct nlbatch *b;		/* NULL outside begin..commit */
	uint32_t seq;
	bool destroy;			/* kernel has DESTROYSETELEM */
	struct slot *slots;
	size_t n_slots, slots_alloc;
	size_t pending;
	bool flip;			/* the batch must flip the clean generation */
	struct ct_sweep *sweep;		/* run by each flip before it commits */
	int failed;			/* a queueing error: commit refuses */
	char err[NLBATCH_WHAT_MAX + 200];
};

static void set_err(struct enforcer *e, const char *what, int err)
{
	snprintf(e->err, sizeof(e->err), "%s: %s", what, strerror(err));
}

static struct slot *slot_get(struct enforcer *e, const char *name)
{
	struct slot *s;
	size_t i;

	for (i = 0; i < e->n_slots; i++)
		if (strcmp(e->slots[i].name, name) == 0)
			return &e->slots[i];
	if (e->n_slots == e->slots_alloc) {
		size_t n = e->slots_alloc ? e->slots_alloc * 2 : 16;

		s = realloc(e->slots, n * sizeof(*s));
		if (s == NULL)
			return NULL;
		e->slots = s;
		e->slots_alloc = n;
	}
	s = &e->slots[e->n_slots++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

/* Move what is queued for (slot, op) into the batch as one message. */
static int slot_emit(struct enforcer *e, struct slot *s, int op)
{
	struct nlmsghdr *nlh;
	char what[NLBATCH_WHAT_MAX];
	uint16_t type, flags = 0;
	int ret = -1;

	if (s->ops[op] == NULL || s->n[op] == 0)
		return 0;
	if (op == 0) {
		type = NFT_MSG_NEWSETELEM;
		flags = NLM_F_CREATE;
	} else {
		type = e->destroy ? NFT_MSG_DESTROYSETELEM : NFT_MSG_DELSETELEM;
	}
	nlh = nlbatch_put(e->b, type, NFPROTO_INET, flags);
	if (nlh == NULL)
		goto out;
	nftnl_set_elems_nlmsg_build_payload(nlh, s->ops[op]);
	snprintf(what, sizeof(what), "%s %zu element(s) %s set %s",
		 op == 0 ? "add" : "delete", s->n[op], op == 0 ? "to" : "from",
		 s->name);
	if (nlbatch_next(e->b, what) < 0) {
		set_err(e, what, errno);
		goto out;
	}
	ret = 0;
out:
	nftnl_set_free(s->ops[op]);	/* not NULL: n[op] > 0 */
	s->ops[op] = NULL;
	s->n[op] = 0;
	return ret;
}

/* Queue keys for set name; op 0 add (timeout_ms 0: none), 1 delete. */
static int queue_keys(struct enforcer *e, const char *name, int op,
		      const struct enforce_key *keys, int n_keys, uint64_t timeout_ms)
{
	struct slot *s;
	int i;

	if (e->b == NULL) {
		errno = EINVAL;
		return -1;
	}
	s = slot_get(e, name);
	if (s == NULL)
		goto fail;
	if (s->n[!op] > 0 && slot_emit(e, s, !op) < 0)
		goto fail;
	if (s->ops[op] == NULL) {
		s->ops[op] = nftnl_set_alloc();
		if (s->ops[op] == NULL)
			goto fail;
		nftnl_set_set_str(s->ops[op], NFTNL_SET_TABLE, ENF_TABLE);
		nftnl_set_set_str(s->ops[op], NFTNL_SET_NAME, name);
		nftnl_set_set_u32(s->ops[op], NFTNL_SET_FAMILY, NFPROTO_INET);
	}
	for (i = 0; i < n_keys; i++) {
		struct nftnl_set_elem *el = nftnl_set_elem_alloc();

		if (el == NULL)
			goto fail;
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, keys[i].data, keys[i].len);
		if (keys[i].end)
			nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS,
					       NFT_SET_ELEM_INTERVAL_END);
		if (op == 0 && timeout_ms > 0)
			nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
		nftnl_set_elem_add(s->ops[op], el);
	}
	s->n[op] += (size_t)n_keys;
	e->pending++;
	if (enforce_set_flips(name, op == 0))
		e->flip = true;
	/* Both keys of an interval stay in one message. */
	if (s->n[op] >= ELEMS_PER_MSG && slot_emit(e, s, op) < 0)
		goto fail;
	return 0;
fail:
	if (e->err[0] == '\0')
		set_err(e, "queueing elements", errno);
	e->failed = 1;
	return -1;
}

static int queue_entry(struct enforcer *e, const char *name, enum enforce_kind kind,
		       const struct ep_entry *ep, int op, uint32_t timeout_s)
{
	struct enforce_key keys[2];
	int n = enforce_encode(ep, kind, keys);

	if (n < 0)
		return -1;
	return queue_keys(e, name, op, keys, n, (uint64_t)timeout_s * 1000);
}

static int block_op(struct enforcer *e, enum enforce_source src, const char *feed,
		    const struct ep_entry *ep, int op, uint32_t timeout_s)
{
	char name[ENF_SET_NAME_MAX + 1];
	int kind = enforce_entry_kind(ep);

	if (kind < 0) {
		errno = EINVAL;
		return -1;
	}
	if (enforce_set_name(name, sizeof(name), src, feed, (enum enforce_kind)kind,
			     ep->family) < 0)
		return -1;
	return queue_entry(e, name, (enum enforce_kind)kind, ep, op, timeout_s);
}

int enforce_block_add(struct enforcer *e, enum enforce_source src, const char *feed,
		      const struct ep_entry *ep, uint32_t timeout_s)
{
	return block_op(e, src, feed, ep, 0, timeout_s);
}

int enforce_block_del(struct enforcer *e, enum enforce_source src, const char *feed,
		      const struct ep_entry *ep)
{
	return block_op(e, src, feed, ep, 1, 0);
}

static int allow_op(struct enforcer *e, enum enforce_allow which,
		    const struct ep_entry *ep, int op)
{
	char name[ENF_SET_NAME_MAX + 1];

	if (ep->port != 0 || enforce_entry_kind(ep) < 0) {
		errno = EINVAL;
		return -1;
	}
	snprintf(name, sizeof(name), "%s%d", which == ENF_QALLOW ? "qallow" : "allow",
		 ep->family == AF_INET ? 4 : 6);
	return queue_entry(e, name, ENF_CIDR, ep, op, 0);
}

int enforce_allow_add(struct enforcer *e, enum enforce_allow which, const struct ep_entry *ep)
{
	return allow_op(e, which, ep, 0);
}

int enforce_allow_del(struct enforcer *e, enum enforce_allow which, const struct ep_entry *ep)
{
	return allow_op(e, which, ep, 1);
}

int enforce_host_tier(struct enforcer *e, int family, const uint8_t *addr,
		      enum enforce_tier tier, uint32_t timeout_s)
{
	struct ep_entry ep = { .family = (uint8_t)family };
	char thr[16], qua[16];
	int v = family == AF_INET ? 4 : 6;
	int ret = 0;

	if (family != AF_INET && family != AF_INET6) {
		errno = EINVAL;
		return -1;
	}
	ep.plen = family == AF_INET ? 32 : 128;
	memcpy(ep.addr, addr, family == AF_INET ? 4 : 16);
	snprintf(thr, sizeof(thr), "throttle%d", v);
	snprintf(qua, sizeof(qua), "quarantine%d", v);
	/* One tier at a time: entering one leaves the other. */
	switch (tier) {
	case ENF_WATCH:
		ret |= queue_entry(e, thr, ENF_ADDR, &ep, 1, 0);
		ret |= queue_entry(e, qua, ENF_ADDR, &ep, 1, 0);
		break;
	case ENF_THROTTLE:
		ret |= queue_entry(e, qua, ENF_ADDR, &ep, 1, 0);
		ret |= queue_entry(e, thr, ENF_ADDR, &ep, 0, timeout_s);
		break;
	case ENF_QUARANTINE:
		ret |= queue_entry(e, thr, ENF_ADDR, &ep, 1, 0);
		ret |= queue_entry(e, qua, ENF_ADDR, &ep, 0, timeout_s);
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	return ret ? -1 : 0;
}

int enforce_pool_port(struct enforcer *e, uint16_t port, bool add)
{
	struct enforce_key k = { .len = 2 };

	if (port == 0) {
		errno = EINVAL;
		return -1;
	}
	k.data[0] = (uint8_t)(port >> 8);
	k.data[1] = (uint8_t)port;
	return queue_keys(e, "pool_ports", add ? 0 : 1, &k, 1, 0);
}

/* ---- batches --------------------------------------------------------------- */

bool enforce_set_flips(const char *set, bool add)
{
	/* What an allowlist held may be blocked or quarantined from now on. */
	if (strncmp(set, "allow", 5) == 0 || strncmp(set, "qallow", 6) == 0)
		return !add;
	/* The pool meter only counts new connections. */
	if (strcmp(set, "pool_ports") == 0)
		return false;
	/* Blocks, throttles, quarantines. */
	return add;
}

static void slots_clear(struct enforcer *e)
{
	size_t i;

	for (i = 0; i < e->n_slots; i++) {
		/* libnftnl's free functions do not take NULL. */
		if (e->slots[i].ops[0] != NULL)
			nftnl_set_free(e->slots[i].ops[0]);
		if (e->slots[i].ops[1] != NULL)
			nftnl_set_free(e->slots[i].ops[1]);
	}
	e->n_slots = 0;
	e->pending = 0;
	e->flip = false;
}

void enforce_abort(struct enforcer *e)
{
	slots_clear(e);
	nlbatch_free(e->b);
	e->b = NULL;
	e->failed = 0;
}

int enforce_begin(struct enforcer *e)
{
	enforce_abort(e);
	e->err[0] = '\0';
	e->b = nlbatch_new(NLBATCH_CHUNK_DEFAULT, e->seq);
	if (e->b == NULL) {
		set_err(e, "new batch", errno);
		return -1;
	}
	return 0;
}

size_t enforce_pending(const struct enforcer *e)
{
	return e->pending;
}

const char *enforce_error(const struct enforcer *e)
{
	return e->err;
}

int enforce_commit(struct enforcer *e)
{
	size_t i;
	int ret = -1;

	if (e->b == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (e->failed) {
		errno = EINVAL;
		goto out;
	}
	for (i = 0; i < e->n_slots; i++)
		if (slot_emit(e, &e->slots[i], 0) < 0 ||
		    slot_emit(e, &e->slots[i], 1) < 0)
			goto out;
	/* In the same batch: no moment where a new block exists and flows
	 * judged clean before it still skip it. */
	if (e->flip && ruleset_gen_flip(e->b, e->nl, enforce_next_seq(e), e->sweep) < 0) {
		set_err(e, "flipping the clean generation", errno ? errno : EIO);
		goto out;
	}
	if (nlbatch_commit(e->b, e->nl) < 0) {
		int saved = errno;

		snprintf(e->err, sizeof(e->err), "%s", nlbatch_error(e->b));
		errno = saved;
		goto out;
	}
	ret = 0;
out:
	e->seq += (uint32_t)nlbatch_count(e->b) + 2;
	slots_clear(e);
	nlbatch_free(e->b);
	e->b = NULL;
	e->failed = 0;
	return ret;
}

/* Does the kernel take DESTROYSETELEM? A throwaway table, set and destroy
 * of an absent element, then the table is deleted: net effect nothing. */
static bool probe_destroy(struct enforcer *e)
{
	struct enforce_set_def d;
	struct enforce_key k = { .len = 4, .data = { 192, 0, 2, 1 } };
	struct nlmsghdr *nlh;
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *el = nftnl_set_elem_alloc();
	bool ok = false;
	int i;

	if (t == NULL || s == NULL || el == NULL || enforce_begin(e) < 0)
		goto out;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, PROBE_TABLE);
	enforce_set_def(&d, "p", AF_INET, ENF_ADDR);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, PROBE_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, "p");
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d.key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d.key_len);
	nftnl_set_set_u32(s, NFTNL_SET_ID, 1);
	for (i = 0; i < 4; i++) {
		static const uint16_t types[] = { NFT_MSG_NEWTABLE, NFT_MSG_NEWSET,
			NFT_MSG_DESTROYSETELEM, NFT_MSG_DELTABLE };

		nlh = nlbatch_put(e->b, types[i], NFPROTO_INET,
				  NLM_F_ACK | (i < 2 ? NLM_F_CREATE : 0));
		if (nlh == NULL)
			goto out;
		if (i == 0 || i == 3) {
			nftnl_table_nlmsg_build_payload(nlh, t);
		} else if (i == 1) {
			nftnl_set_nlmsg_build_payload(nlh, s);
		} else {
			nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, k.data, k.len);
			nftnl_set_elem_add(s, el);
			el = NULL;
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
		}
		if (nlbatch_next(e->b, "probe") < 0)
			goto out;
	}
	ok = nlbatch_commit(e->b, e->nl) == 0;
out:
	enforce_abort(e);
	if (el != NULL)
		nftnl_set_elem_free(el);
	if (s != NULL)
		nftnl_set_free(s);
	if (t != NULL)
		nftnl_table_free(t);
	return ok;
}

struct enforcer *enforcer_new(void)
{
	struct enforcer *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->nl = nlbatch_open();
	e->sweep = ct_sweep_new(0);
	if (e->nl == NULL || e->sweep == NULL) {
		nlbatch_close(e->nl);
		ct_sweep_free(e->sweep);
		free(e);
		return NULL;
	}
	e->seq = (uint32_t)time(NULL);
	e->destroy = probe_destroy(e);
	return e;
}

void enforcer_free(struct enforcer *e)
{
	if (e == NULL)
		return;
	enforce_abort(e);
	free(e->slots);
	nlbatch_close(e->nl);
	ct_sweep_free(e->sweep);
	free(e);
}

void enforce_sweep_stats(const struct enforcer *e, struct ct_sweep_stats *st)
{
	ct_sweep_get_stats(e != NULL ? e->sweep : NULL, st);
}

bool enforce_quiet_delete(const struct enforcer *e)
{
	return e->destroy;
}

struct mnl_socket *enforce_nl(struct enforcer *e)
{
	return e->nl;
}

uint32_t enforce_next_seq(struct enforcer *e)
{
	return e->seq++;
}

bool enforce_in_batch(const struct enforcer *e)
{
	return e->b != NULL;
}

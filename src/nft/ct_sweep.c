// SPDX-License-Identifier: GPL-2.0-or-later
/* Conntrack sweep through raw ctnetlink: a dump filtered in the kernel on
 * the mark, and a batch of update-only CT_NEW messages for what it returns.
 *
 * The dump is read on one socket and the updates go out on another while it
 * runs, so memory stays at two fixed buffers whatever the table size. The
 * kernel applies CTA_MARK with CTA_MARK_MASK as
 * newmark = (mark & ~MASK) ^ MARK (ctnetlink_change_mark), so bits outside
 * the mask, which belong to other users of the ct mark, are kept. An update
 * is looked up by the original tuple (and zone) and never creates an entry:
 * one that ended between dump and update answers ENOENT, which is fine. A
 * conntrack dump is not a snapshot: an entry moved by a hash resize while it
 * runs can be missed. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "ct_sweep.h"
#include "log.h"
#include "nlbatch.h"

#define CT_TYPE(t)	((uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | (t)))
#define RECV_BUF	(64 * 1024)
#define SEND_BUF	(CT_SWEEP_BATCH * CT_SWEEP_MSG_MAX)
#define WAIT_MS		2000	/* the kernel answers at once; this only stops a hang */

struct ct_sweep {
	unsigned int max;
	struct ct_sweep_stats st;
	struct log_ratelimit rl;
	uint8_t *rbuf, *sbuf;
};

/* One run: sockets, the batch of updates being built, progress. */
struct run {
	struct ct_sweep *sw;
	struct mnl_socket *dump, *upd;
	uint32_t mask, from, to;
	uint32_t seq;			/* next update sequence number */
	uint32_t batch_seq;		/* sequence number of the batch's first update */
	size_t off, n;			/* bytes and messages in sbuf */
	unsigned int done;		/* updates queued so far */
	const char *what;		/* what failed */
};

struct ct_sweep *ct_sweep_new(unsigned int max)
{
	struct ct_sweep *sw = calloc(1, sizeof(*sw));

	if (sw == NULL)
		return NULL;
	sw->max = max ? max : CT_SWEEP_MAX_DEFAULT;
	sw->rbuf = malloc(RECV_BUF);
	sw->sbuf = malloc(SEND_BUF);
	if (sw->rbuf == NULL || sw->sbuf == NULL) {
		ct_sweep_free(sw);
		return NULL;
	}
	return sw;
}

void ct_sweep_free(struct ct_sweep *sw)
{
	if (sw == NULL)
		return;
	free(sw->rbuf);
	free(sw->sbuf);
	free(sw);
}

void ct_sweep_get_stats(const struct ct_sweep *sw, struct ct_sweep_stats *st)
{
	if (sw == NULL)
		memset(st, 0, sizeof(*st));
	else
		*st = sw->st;
}

/* ---- wire format --------------------------------------------------------- */

static struct nlmsghdr *put_hdr(void *buf, size_t size, uint16_t type, uint16_t flags,
				uint32_t seq, uint8_t family)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg)))
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

size_t ct_sweep_dump_req(void *buf, size_t size, uint32_t seq, uint32_t mark, uint32_t mask)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, size < CT_SWEEP_MSG_MAX ? size : CT_SWEEP_MSG_MAX);
	nlh = put_hdr(buf, size, CT_TYPE(IPCTNL_MSG_CT_GET), NLM_F_DUMP, seq, AF_UNSPEC);
	if (nlh == NULL ||
	    !mnl_attr_put_u32_check(nlh, size, CTA_MARK, htonl(mark)) ||
	    !mnl_attr_put_u32_check(nlh, size, CTA_MARK_MASK, htonl(mask)))
		return 0;
	return nlh->nlmsg_len;
}

size_t ct_sweep_update_msg(void *buf, size_t size, uint32_t seq, const struct ct_entry *e,
			   uint32_t mark, uint32_t mask)
{
	struct nlmsghdr *nlh;

	if (e->tuple_len > CT_SWEEP_TUPLE_MAX)
		return 0;
	nlh = put_hdr(buf, size, CT_TYPE(IPCTNL_MSG_CT_NEW), NLM_F_ACK, seq, e->family);
	if (nlh == NULL ||
	    !mnl_attr_put_check(nlh, size, CTA_TUPLE_ORIG | NLA_F_NESTED, e->tuple_len, e->tuple) ||
	    (e->has_zone && !mnl_attr_put_u16_check(nlh, size, CTA_ZONE, e->zone_be)) ||
	    !mnl_attr_put_u32_check(nlh, size, CTA_MARK, htonl(mark)) ||
	    !mnl_attr_put_u32_check(nlh, size, CTA_MARK_MASK, htonl(mask)))
		return 0;
	return nlh->nlmsg_len;
}

/* Attributes in [p, p + len): each whole, none past the end. Calls back with
 * the type (flags cleared), payload and payload length; 0 or -1. */
static int attrs_walk(const uint8_t *p, size_t len,
		      int (*cb)(uint16_t type, const uint8_t *v, size_t vlen, void *arg),
		      void *arg)
{
	size_t off = 0;

	while (off < len) {
		struct nlattr a;
		size_t step;

		if (len - off < sizeof(a))
			return -1;
		memcpy(&a, p + off, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > len - off)
			return -1;
		if (cb != NULL && cb(a.nla_type & NLA_TYPE_MASK, p + off + sizeof(a),
				     a.nla_len - sizeof(a), arg) < 0)
			return -1;
		step = NLA_ALIGN(a.nla_len);
		if (step > len - off)
			break;	/* the last attribute's padding may be cut */
		off += step;
	}
	return 0;
}

/* Nested tuple attributes only need to be well formed; the kernel reads them. */
static int tuple_cb(uint16_t type, const uint8_t *v, size_t vlen, void *arg)
{
	(void)arg;
	/* Tuples nest twice (CTA_TUPLE_IP, CTA_TUPLE_PROTO), both walked. */
	if (type == CTA_TUPLE_IP || type == CTA_TUPLE_PROTO)
		return attrs_walk(v, vlen, NULL, NULL);
	return 0;
}

static int entry_cb(uint16_t type, const uint8_t *v, size_t vlen, void *arg)
{
	struct ct_entry *e = arg;
	uint32_t m;

	switch (type) {
	case CTA_TUPLE_ORIG:
		if (vlen == 0 || vlen > CT_SWEEP_TUPLE_MAX || e->tuple_len != 0 ||
		    attrs_walk(v, vlen, tuple_cb, NULL) < 0)
			return -1;
		memcpy(e->tuple, v, vlen);
		e->tuple_len = (uint16_t)vlen;
		break;
	case CTA_MARK:
		if (vlen != sizeof(m))
			return -1;
		memcpy(&m, v, sizeof(m));
		e->mark = ntohl(m);
		e->mark_seen = true;
		break;
	case CTA_ZONE:
		if (vlen != sizeof(e->zone_be))
			return -1;
		memcpy(&e->zone_be, v, sizeof(e->zone_be));
		e->has_zone = true;
		break;
	default:
		break;
	}
	return 0;
}

int ct_sweep_parse(const void *msg, size_t len, struct ct_entry *e)
{
	const size_t head = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));
	struct nlmsghdr nlh;
	struct nfgenmsg nfg;

	memset(e, 0, sizeof(*e));
	if (len < sizeof(nlh))
		return -1;
	memcpy(&nlh, msg, sizeof(nlh));
	if (nlh.nlmsg_len < head || nlh.nlmsg_len > len ||
	    nlh.nlmsg_type != CT_TYPE(IPCTNL_MSG_CT_NEW))
		return -1;
	memcpy(&nfg, (const uint8_t *)msg + MNL_NLMSG_HDRLEN, sizeof(nfg));
	e->family = nfg.nfgen_family;
	if (attrs_walk((const uint8_t *)msg + head, nlh.nlmsg_len - head, entry_cb, e) < 0 ||
	    e->tuple_len == 0 || !e->mark_seen)
		return -1;
	return 0;
}

/* ---- one sweep ------------------------------------------------------------ */

/* Wait for an answer, then read it; a silent kernel is an error, not a hang. */
static ssize_t sock_recv(struct mnl_socket *nl, void *buf, size_t size)
{
	struct pollfd p = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, WAIT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	if (r <= 0)
		return -1;
	return mnl_socket_recvfrom(nl, buf, size);
}

/* Send the batch and read one answer per update. */
static int batch_flush(struct run *r)
{
	struct ct_sweep *sw = r->sw;
	unsigned int acked = 0;

	if (r->n == 0)
		return 0;
	if (mnl_socket_sendto(r->upd, sw->sbuf, r->off) < 0) {
		r->what = "sending updates";
		return -1;
	}
	while (acked < r->n) {
		ssize_t got = sock_recv(r->upd, sw->rbuf, RECV_BUF);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)sw->rbuf;
		int len = (int)got;

		if (got < 0) {
			r->what = "reading update answers";
			return -1;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_seq - r->batch_seq >= r->n)
				continue;	/* not one of ours */
			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err->error)) {
				errno = EBADMSG;
				r->what = "reading update answers";
				return -1;
			}
			acked++;
			if (err->error == 0) {
				sw->st.swept++;
			} else if (err->error == -ENOENT) {
				sw->st.vanished++;
			} else {
				errno = -err->error;
				r->what = "updating an entry";
				return -1;
			}
		}
	}
	memset(sw->sbuf, 0, r->off);
	r->off = 0;
	r->n = 0;
	r->batch_seq = r->seq;
	return 0;
}

static int entry_take(struct run *r, const struct ct_entry *e)
{
	struct ct_sweep *sw = r->sw;
	size_t len;

	/* The kernel filtered already; this guards against one that did not. */
	if ((e->mark & r->mask) != r->from)
		return 0;
	if (r->done >= sw->max) {
		sw->st.left++;
		return 0;
	}
	if (SEND_BUF - r->off < CT_SWEEP_MSG_MAX && batch_flush(r) < 0)
		return -1;
	len = ct_sweep_update_msg(sw->sbuf + r->off, SEND_BUF - r->off, r->seq, e,
				  r->to, r->mask);
	if (len == 0) {
		errno = EMSGSIZE;
		r->what = "building an update";
		return -1;
	}
	r->seq++;
	r->off += MNL_ALIGN(len);
	r->n++;
	r->done++;
	if (r->n == CT_SWEEP_BATCH)
		return batch_flush(r);
	return 0;
}

/* Read the dump to its end, queueing an update per entry. */
static int dump_read(struct run *r, uint32_t seq)
{
	struct ct_sweep *sw = r->sw;
	uint32_t portid = mnl_socket_get_portid(r->dump);
	struct ct_entry e;

	for (;;) {
		ssize_t got = sock_recv(r->dump, sw->rbuf, RECV_BUF);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)sw->rbuf;
		int len = (int)got;

		if (got < 0) {
			r->what = "reading the dump";
			return -1;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

				errno = mnl_nlmsg_get_payload_len(nlh) >= sizeof(err->error) &&
					err->error < 0 ? -err->error : EBADMSG;
				r->what = "the dump";
				return -1;
			}
			if (ct_sweep_parse(nlh, nlh->nlmsg_len, &e) < 0) {
				errno = EBADMSG;
				r->what = "parsing the dump";
				return -1;
			}
			if (entry_take(r, &e) < 0)
				return -1;
		}
	}
}

int ct_sweep_run(struct ct_sweep *sw, uint32_t mask, uint32_t from, uint32_t to)
{
	struct run r = { .sw = sw, .mask = mask, .from = from & mask, .to = to & mask };
	uint32_t seq = (uint32_t)time(NULL);
	uint8_t req[CT_SWEEP_MSG_MAX];
	size_t len;
	int ret = -1;

	sw->st.runs++;
	r.seq = r.batch_seq = seq + 1;
	memset(sw->sbuf, 0, SEND_BUF);
	r.dump = nlbatch_open();
	r.upd = nlbatch_open();
	if (r.dump == NULL || r.upd == NULL) {
		r.what = "opening a netlink socket";
		goto out;
	}
	len = ct_sweep_dump_req(req, sizeof(req), seq, r.from, mask);
	if (len == 0 || mnl_socket_sendto(r.dump, req, len) < 0) {
		r.what = "requesting the dump";
		goto out;
	}
	if (dump_read(&r, seq) < 0 || batch_flush(&r) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		int saved = errno;

		sw->st.failed++;
		log_warnx_rl(&sw->rl, "conntrack sweep of mark 0x%08x/0x%08x: %s: %s",
			     r.from, mask, r.what, strerror(saved));
		errno = saved;
	}
	nlbatch_close(r.dump);
	nlbatch_close(r.upd);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* NFQUEUE layer: receive, hand each packet to the caller, send verdicts. Runs of
 * plain accepts are coalesced into one NFQNL_MSG_VERDICT_BATCH. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "log.h"
#include "queue.h"

/* One receive buffer holds many packets; one send buffer their verdicts. */
#define QUEUE_RCVBUF (256 * 1024)
#define QUEUE_SOCKBUF (8 * 1024 * 1024)
#define QUEUE_SNDBUF (64 * 1024)
#define QUEUE_MAX_ROUNDS 64

struct queue {
	struct mnl_socket *nl;
	uint16_t num;
	uint8_t *rbuf;
	uint8_t *sbuf;
	size_t slen;
	/* Pending run of plain accepts, flushed as one batch verdict. */
	bool run_pending;
	uint32_t run_last_id;
	struct queue_stats st;
	struct log_ratelimit rl;
};

static int queue_send_config(struct queue *q, const struct queue_cfg *cfg, bool bind)
{
	/* libmnl before 1.0.5 leaves the alignment padding after an attribute
	 * (3 bytes after the 5-byte params) as it was: start from zeros. */
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint32_t flags = NFQA_CFG_F_GSO, mask = NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN;

	memset(buf, 0, sizeof(buf));

	if (bind) {
		nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
		nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
		if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
			log_warn("queue %u: bind", q->num);
			return -1;
		}
	}
	if (cfg->fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)cfg->copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, cfg->maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		log_warn("queue %u: configure", q->num);
		return -1;
	}
	return 0;
}

struct queue *queue_open(const struct queue_cfg *cfg)
{
	struct queue *q;
	int size = QUEUE_SOCKBUF;

	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->num = cfg->num;
	q->rbuf = malloc(QUEUE_RCVBUF);
	/* Zeroed once: every byte sent is then ours, whatever padding a put leaves. */
	q->sbuf = calloc(1, QUEUE_SNDBUF);
	if (!q->rbuf || !q->sbuf)
		goto err;
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!q->nl) {
		log_warn("queue %u: netlink socket", cfg->num);
		goto err;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_warn("queue %u: netlink bind", cfg->num);
		goto err;
	}
	/* A deep socket buffer absorbs bursts; ENOBUFS is still counted, not fatal.
	 * We request no ACKs on the packet path; errors still come back and are counted. */
	if (setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (queue_send_config(q, cfg, true) < 0)
		goto err;
	return q;
err:
	queue_close(q);
	return NULL;
}

int queue_configure(struct queue *q, const struct queue_cfg *cfg)
{
	return queue_send_config(q, cfg, false);
}

void queue_close(struct queue *q)
{
	if (!q)
		return;
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q->rbuf);
	free(q->sbuf);
	free(q);
}

int queue_fd(const struct queue *q) { return mnl_socket_get_fd(q->nl); }
uint16_t queue_num(const struct queue *q) { return q->num; }
void queue_get_stats(const struct queue *q, struct queue_stats *st) { *st = q->st; }

static void queue_flush_send(struct queue *q)
{
	if (!q->slen)
		return;
	if (mnl_socket_sendto(q->nl, q->sbuf, q->slen) < 0) {
		q->st.errors++;
		log_warnx_rl(&q->rl, "queue %u: sending verdicts: %s", q->num, strerror(errno));
	}
	q->slen = 0;
}

/* Room for one more verdict message, sending what is buffered if needed. */
static struct nlmsghdr *queue_msg(struct queue *q, int type)
{
	if (q->slen + MNL_SOCKET_BUFFER_SIZE > QUEUE_SNDBUF)
		queue_flush_send(q);
	q->st.verdict_msgs++;
	return nfq_nlmsg_put((char *)q->sbuf + q->slen, type, q->num);
}

static void queue_flush_run(struct queue *q)
{
	struct nlmsghdr *nlh;

	if (!q->run_pending)
		return;
	nlh = queue_msg(q, NFQNL_MSG_VERDICT_BATCH);
	nfq_nlmsg_verdict_put(nlh, (int)q->run_last_id, NF_ACCEPT);
	q->slen += NLMSG_ALIGN(nlh->nlmsg_len);
	q->run_pending = false;
}

static void queue_put_verdict(struct queue *q, uint32_t id, const struct queue_verdict *v)
{
	static const int nfv[] = { [QV_ACCEPT] = NF_ACCEPT, [QV_DROP] = NF_DROP, [QV_REPEAT] = NF_REPEAT };
	struct nlmsghdr *nlh;

	switch (v->action) {
	case QV_ACCEPT: q->st.accepted++; break;
	case QV_DROP: q->st.dropped++; break;
	case QV_REPEAT: q->st.repeated++; break;
	}
	if (v->action == QV_ACCEPT && !v->set_mark) {
		/* Packet ids rise monotonically per queue, and every earlier packet
		 * already has its verdict, so a batch up to this id covers just the run. */
		q->run_pending = true;
		q->run_last_id = id;
		return;
	}
	queue_flush_run(q);
	nlh = queue_msg(q, NFQNL_MSG_VERDICT);
	nfq_nlmsg_verdict_put(nlh, (int)id, nfv[v->action]);
	if (v->set_mark)
		nfq_nlmsg_verdict_put_mark(nlh, v->mark);
	q->slen += NLMSG_ALIGN(nlh->nlmsg_len);
}

struct queue_dispatch {
	struct queue *q;
	queue_cb cb;
	void *arg;
	int handled;
};

static void queue_on_packet(struct queue_dispatch *d, const struct nlmsghdr *nlh)
{
	struct queue *q = d->q;
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr *ph;
	struct queue_packet p = { 0 };
	struct queue_verdict v = { QV_ACCEPT, false, 0 };

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR]) {
		q->st.errors++;
		return;
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	p.id = ntohl(ph->packet_id);
	p.hw_protocol = ntohs(ph->hw_protocol);
	p.hook = ph->hook;
	if (attr[NFQA_MARK])
		p.mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	if (attr[NFQA_PAYLOAD]) {
		p.data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		p.len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	p.orig_len = attr[NFQA_CAP_LEN] ? ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) : p.len;
	q->st.packets++;
	d->cb(d->arg, &p, &v);
	queue_put_verdict(q, p.id, &v);
	d->handled++;
}

/* Walk every message of a datagram ourselves: an error answer to an earlier
 * verdict must not stop the packets behind it from getting theirs. */
static void queue_on_datagram(struct queue_dispatch *d, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int remaining = (int)len;

	while (mnl_nlmsg_ok(nlh, remaining)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (e->error) {
				d->q->st.errors++;
				log_warnx_rl(&d->q->rl, "queue %u: kernel refused a message: %s",
					     d->q->num, strerror(-e->error));
			}
		} else if ((nlh->nlmsg_type & 0xff) == NFQNL_MSG_PACKET) {
			queue_on_packet(d, nlh);
		}
		nlh = mnl_nlmsg_next(nlh, &remaining);
	}
}

int queue_process(struct queue *q, queue_cb cb, void *arg)
{
	struct queue_dispatch d = { q, cb, arg, 0 };
	int rounds;

	/* Bounded so one busy queue cannot starve timers and signals. */
	for (rounds = 0; rounds < QUEUE_MAX_ROUNDS; rounds++) {
		ssize_t n = mnl_socket_recvfrom(q->nl, q->rbuf, QUEUE_RCVBUF);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			if (errno == ENOBUFS) {
				q->st.enobufs++;
				log_warnx_rl(&q->rl, "queue %u: receive overrun (ENOBUFS): packets followed the fail mode", q->num);
				continue;
			}
			log_warn("queue %u: receive", q->num);
			queue_flush_run(q);
			queue_flush_send(q);
			return -1;
		}
		queue_on_datagram(&d, q->rbuf, (size_t)n);
		queue_flush_run(q);
	}
	queue_flush_send(q);
	return d.handled;
}

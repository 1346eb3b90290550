// SPDX-License-Identifier: GPL-2.0-or-later
/* The SYN log: NFLOG group of forwarded SYNs read into one locked table the queue workers share. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "log.h"
#include "syn_table.h"
#include "synlog.h"

/* A logged SYN carries no payload, so its IP and TCP headers fit (the rule
 * logs only SYNs whose length is exactly a v4 header without options or a
 * v6 header without extensions, plus the TCP header). */
#define SYNLOG_COPY 128
/* Records the socket may hold between two reads: about 1 KiB of buffer each. */
#define SYNLOG_SOCKBUF (16 * 1024 * 1024)
#define SYNLOG_BATCH 64		/* datagrams per recvmmsg */
#define SYNLOG_DGRAM 1024	/* one record's datagram is ~300 bytes */
/* A read stops after this many batches, so a flood cannot keep a worker in it. */
#define SYNLOG_MAX_ROUNDS 512

struct synlog {
	struct mnl_socket *nl;
	uint16_t group;
	pthread_mutex_t lock;
	struct syn_table *t;
	bool have_seq;
	uint32_t next_seq;	/* the sequence number the next record should carry */
	struct synlog_stats st;
	struct log_ratelimit rl;
	struct mmsghdr msgs[SYNLOG_BATCH];
	struct iovec iov[SYNLOG_BATCH];
	uint8_t bufs[SYNLOG_BATCH][SYNLOG_DGRAM];
};

struct synlog *synlog_new(uint32_t max, uint32_t ttl_ms)
{
	struct synlog *sl = calloc(1, sizeof(*sl));
	unsigned int i;

	if (!sl)
		return NULL;
	sl->t = syn_table_new(max, ttl_ms);
	if (!sl->t) {
		free(sl);
		return NULL;
	}
	pthread_mutex_init(&sl->lock, NULL);
	for (i = 0; i < SYNLOG_BATCH; i++) {
		sl->iov[i].iov_base = sl->bufs[i];
		sl->iov[i].iov_len = SYNLOG_DGRAM;
		sl->msgs[i].msg_hdr.msg_iov = &sl->iov[i];
		sl->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return sl;
}

void synlog_free(struct synlog *sl)
{
	if (!sl)
		return;
	if (sl->nl)
		mnl_socket_close(sl->nl);
	syn_table_free(sl->t);
	pthread_mutex_destroy(&sl->lock);
	free(sl);
}

uint16_t synlog_group(const struct synlog *sl) { return sl->group; }

/* Read the kernel's answer to a config request: 0 when it acknowledged it. */
static int synlog_ack(struct synlog *sl, uint32_t seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n = mnl_socket_recvfrom(sl->nl, buf, sizeof(buf));

	if (n < 0)
		return -1;
	return mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(sl->nl), NULL, NULL) < 0 ? -1 : 0;
}

int synlog_bind(struct synlog *sl, uint16_t group)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct nfulnl_msg_config_cmd cmd = { NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = { htonl(SYNLOG_COPY), NFULNL_COPY_PACKET, 0 };
	int size = SYNLOG_SOCKBUF;
	uint32_t seq = 1;

	sl->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!sl->nl) {
		log_warn("SYN log: netlink socket");
		return -1;
	}
	if (mnl_socket_bind(sl->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_warn("SYN log: netlink bind");
		goto err;
	}
	/* Deep enough for the SYNs of a burst between two reads; an overrun
	 * is counted, and the flows it cost are judged midstream. */
	if (setsockopt(mnl_socket_get_fd(sl->nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(sl->nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* One request, acknowledged: bind the group, copy the headers, hand
	 * over every record at once (threshold 1), number them. */
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
	mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(NFULNL_CFG_F_SEQ));
	if (mnl_socket_sendto(sl->nl, nlh, nlh->nlmsg_len) < 0 || synlog_ack(sl, seq) < 0) {
		log_warn("SYN log: binding NFLOG group %u", group);
		goto err;
	}
	sl->group = group;
	return 0;
err:
	mnl_socket_close(sl->nl);
	sl->nl = NULL;
	return -1;
}

static int synlog_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= NFULA_MAX && mnl_attr_type_valid(a, NFULA_MAX) >= 0)
		tb[type] = a;
	return MNL_CB_OK;
}

/* One NFULNL_MSG_PACKET: a SYN to record. */
static void synlog_on_msg(struct synlog *sl, const struct nlmsghdr *nlh, uint64_t now_ms)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { 0 };
	struct pkt p;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), synlog_attr, tb) < 0 ||
	    !tb[NFULA_PAYLOAD]) {
		sl->st.unreadable++;
		return;
	}
	if (tb[NFULA_SEQ] && mnl_attr_get_payload_len(tb[NFULA_SEQ]) == 4) {
		uint32_t seq = ntohl(mnl_attr_get_u32(tb[NFULA_SEQ]));

		/* The kernel numbers a record before it tries to deliver it. */
		if (sl->have_seq && seq != sl->next_seq)
			sl->st.lost += (uint32_t)(seq - sl->next_seq);
		sl->have_seq = true;
		sl->next_seq = seq + 1;
	}
	if (pkt_parse(mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
		      mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]), &p) < 0 ||
	    p.proto != IPPROTO_TCP || p.fragment ||
	    (p.tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) != PKT_TCP_SYN || p.payload_len) {
		sl->st.unreadable++;
		return;
	}
	sl->st.records++;
	syn_table_put(sl->t, &p, now_ms);
}

static void synlog_datagram(struct synlog *sl, const void *buf, size_t len, uint64_t now_ms)
{
	const struct nlmsghdr *nlh = buf;
	int remaining = (int)len;

	while (mnl_nlmsg_ok(nlh, remaining)) {
		if (nlh->nlmsg_type == ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
			synlog_on_msg(sl, nlh, now_ms);
		else if (nlh->nlmsg_type != NLMSG_ERROR && nlh->nlmsg_type != NLMSG_DONE)
			sl->st.unreadable++;
		nlh = mnl_nlmsg_next(nlh, &remaining);
	}
}

void synlog_on_datagram(struct synlog *sl, const void *buf, size_t len, uint64_t now_ms)
{
	pthread_mutex_lock(&sl->lock);
	synlog_datagram(sl, buf, len, now_ms);
	pthread_mutex_unlock(&sl->lock);
}

/* Read everything the socket holds, many datagrams per call. Lock held. */
static void synlog_drain(struct synlog *sl, uint64_t now_ms)
{
	int rounds, n, i;

	if (!sl->nl)
		return;
	sl->st.drains++;
	for (rounds = 0; rounds < SYNLOG_MAX_ROUNDS; rounds++) {
		n = recvmmsg(mnl_socket_get_fd(sl->nl), sl->msgs, SYNLOG_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == ENOBUFS) {
				sl->st.overruns++;
				log_warnx_rl(&sl->rl, "SYN log: receive overrun (ENOBUFS): flows whose "
					     "SYN record was lost are judged midstream");
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warnx_rl(&sl->rl, "SYN log: receive: %s", strerror(errno));
			return;
		}
		for (i = 0; i < n; i++) {
			if (sl->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				sl->st.unreadable++;
				continue;
			}
			synlog_datagram(sl, sl->bufs[i], sl->msgs[i].msg_len, now_ms);
		}
		if (n < SYNLOG_BATCH)
			return;
	}
}

int synlog_take(struct synlog *sl, const struct pkt *p, uint64_t now_ms, struct syn_rec *rec)
{
	int found;

	pthread_mutex_lock(&sl->lock);
	found = syn_table_take(sl->t, p, now_ms, rec);
	/* Logged before the SYN went on, so before any later packet of its
	 * flow could be queued: if it is anywhere, it is in the socket now. */
	if (!found) {
		synlog_drain(sl, now_ms);
		found = syn_table_take(sl->t, p, now_ms, rec);
	}
	pthread_mutex_unlock(&sl->lock);
	return found;
}

void synlog_tick(struct synlog *sl, uint64_t now_ms)
{
	pthread_mutex_lock(&sl->lock);
	synlog_drain(sl, now_ms);
	syn_table_expire(sl->t, now_ms);
	pthread_mutex_unlock(&sl->lock);
}

void synlog_get_stats(struct synlog *sl, struct synlog_stats *st)
{
	pthread_mutex_lock(&sl->lock);
	*st = sl->st;
	syn_table_stats(sl->t, &st->table);
	pthread_mutex_unlock(&sl->lock);
}

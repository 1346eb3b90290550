// SPDX-License-Identifier: GPL-2.0-or-later
/* nftables netlink transactions: chunked batch building, one sendmsg, ACK loop. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "nlbatch.h"

/* nft builds its batches in pages of this many socket buffers; so do we. */
#define CHUNK_PAGES		32
/* Smallest chunk that still holds a BEGIN, a small message and an END. */
#define CHUNK_MIN		256
/* How long to wait for an ACK the kernel has not queued yet. The kernel
 * processes a batch inside sendmsg(), so this only guards against surprises. */
#define ACK_TIMEOUT_MS		1000
/* Receive-buffer cost of one queued ACK: the skb truesize, not the 36 bytes of
 * payload, is what the kernel charges against SO_RCVBUF. */
#define ACK_TRUESIZE		1024
/* One read: many ACKs per datagram when the kernel batches them. */
#define RECV_SIZE		32768

struct chunk {
	char *buf;
	size_t len;
};

/* Message k (0-based) after BEGIN carries sequence number seq_begin + 1 + k. */
struct msg_rec {
	uint16_t type;
	uint16_t flags;
	bool answered;
	char what[NLBATCH_WHAT_MAX];
};

struct nlbatch {
	size_t limit;			/* bytes per chunk, and per message */
	struct chunk *chunks;
	size_t n_chunks, chunks_alloc;
	struct msg_rec *recs;
	size_t n_recs, recs_alloc;
	uint32_t seq_begin;
	uint32_t next_seq;
	bool finished;
	uint32_t failed_seq;
	int failed_errno;
	char err[NLBATCH_WHAT_MAX + 160];
};

static int chunk_add(struct nlbatch *b)
{
	struct chunk *c;

	if (b->n_chunks == b->chunks_alloc) {
		size_t n = b->chunks_alloc ? b->chunks_alloc * 2 : 4;

		c = realloc(b->chunks, n * sizeof(*c));
		if (c == NULL)
			return -1;
		b->chunks = c;
		b->chunks_alloc = n;
	}
	/* Twice the limit: a message may start anywhere up to the limit and
	 * still have limit bytes of room (the libmnl batch idea). */
	c = &b->chunks[b->n_chunks];
	c->buf = calloc(2, b->limit);
	if (c->buf == NULL)
		return -1;
	c->len = 0;
	b->n_chunks++;
	return 0;
}

static struct chunk *chunk_cur(struct nlbatch *b)
{
	return &b->chunks[b->n_chunks - 1];
}

struct nlbatch *nlbatch_new(size_t chunk_limit, uint32_t seq)
{
	struct nlbatch *b;
	struct nlmsghdr *nlh;

	if (chunk_limit == NLBATCH_CHUNK_DEFAULT)
		chunk_limit = CHUNK_PAGES * (size_t)MNL_SOCKET_BUFFER_SIZE;
	if (chunk_limit < CHUNK_MIN || chunk_limit > (size_t)INT_MAX / 2) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->limit = MNL_ALIGN(chunk_limit);
	b->seq_begin = seq;
	b->next_seq = seq + 1;
	if (chunk_add(b) < 0) {
		nlbatch_free(b);
		return NULL;
	}
	nlh = nftnl_batch_begin(chunk_cur(b)->buf, seq);
	chunk_cur(b)->len = MNL_ALIGN(nlh->nlmsg_len);
	return b;
}

void nlbatch_free(struct nlbatch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n_chunks; i++)
		free(b->chunks[i].buf);
	free(b->chunks);
	free(b->recs);
	free(b);
}

struct nlmsghdr *nlbatch_put(struct nlbatch *b, uint16_t type, uint16_t family,
			     uint16_t flags)
{
	struct chunk *c;

	if (b->finished) {
		errno = EINVAL;
		return NULL;
	}
	c = chunk_cur(b);
	return nftnl_nlmsg_build_hdr(c->buf + c->len, type, family, flags,
				     b->next_seq);
}

/* Make the message at the end of the current chunk fit; move it if needed. */
static int place(struct nlbatch *b, size_t size)
{
	struct chunk *c = chunk_cur(b);
	char *msg = c->buf + c->len;

	if (size > b->limit) {
		errno = EMSGSIZE;
		return -1;
	}
	if (c->len + size > b->limit) {
		if (chunk_add(b) < 0)
			return -1;
		memcpy(chunk_cur(b)->buf, msg, size);
		memset(msg, 0, size);
		c = chunk_cur(b);
	}
	c->len += size;
	return 0;
}

int nlbatch_next(struct nlbatch *b, const char *what)
{
	struct chunk *c;
	struct nlmsghdr *nlh;
	struct msg_rec *r;
	size_t size;

	if (b->finished) {
		errno = EINVAL;
		return -1;
	}
	if (b->n_recs == b->recs_alloc) {
		size_t n = b->recs_alloc ? b->recs_alloc * 2 : 32;

		r = realloc(b->recs, n * sizeof(*r));
		if (r == NULL)
			return -1;
		b->recs = r;
		b->recs_alloc = n;
	}
	c = chunk_cur(b);
	nlh = (struct nlmsghdr *)(c->buf + c->len);
	size = MNL_ALIGN(nlh->nlmsg_len);
	r = &b->recs[b->n_recs];
	r->type = nlh->nlmsg_type;
	r->flags = nlh->nlmsg_flags;
	r->answered = false;
	snprintf(r->what, sizeof(r->what), "%s", what ? what : "?");
	if (place(b, size) < 0)
		return -1;
	b->n_recs++;
	b->next_seq++;
	return 0;
}

int nlbatch_finish(struct nlbatch *b)
{
	struct chunk *c;
	struct nlmsghdr *nlh;

	if (b->finished)
		return 0;
	c = chunk_cur(b);
	nlh = nftnl_batch_end(c->buf + c->len, b->next_seq);
	if (place(b, MNL_ALIGN(nlh->nlmsg_len)) < 0)
		return -1;
	b->finished = true;
	return 0;
}

size_t nlbatch_count(const struct nlbatch *b) { return b->n_recs; }
size_t nlbatch_chunks(const struct nlbatch *b) { return b->n_chunks; }

const void *nlbatch_chunk(const struct nlbatch *b, size_t i, size_t *len)
{
	if (i >= b->n_chunks)
		return NULL;
	*len = b->chunks[i].len;
	return b->chunks[i].buf;
}

size_t nlbatch_size(const struct nlbatch *b)
{
	size_t i, total = 0;

	for (i = 0; i < b->n_chunks; i++)
		total += b->chunks[i].len;
	return total;
}

/* Index of the message with this sequence number, or -1 (BEGIN, END, stranger). */
static long rec_index(const struct nlbatch *b, uint32_t seq)
{
	uint32_t k = seq - (b->seq_begin + 1);

	return k < b->n_recs ? (long)k : -1;
}

const char *nlbatch_what(const struct nlbatch *b, uint32_t seq)
{
	long k = rec_index(b, seq);

	return k < 0 ? NULL : b->recs[k].what;
}

const char *nlbatch_error(const struct nlbatch *b) { return b->err; }
uint32_t nlbatch_failed_seq(const struct nlbatch *b) { return b->failed_seq; }
int nlbatch_failed_errno(const struct nlbatch *b) { return b->failed_errno; }

int nlbatch_dump(struct mnl_socket *nl, const struct nlmsghdr *nlh, void *buf, size_t size,
		 uint32_t seq, mnl_cb_t cb, void *data)
{
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int r;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, size);
		if (n < 0)
			return -1;
		r = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (r < 0)
			return -1;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

struct mnl_socket *nlbatch_open(void)
{
	struct mnl_socket *nl;
	int one = 1;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (nl == NULL)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int saved = errno;

		mnl_socket_close(nl);
		errno = saved;
		return NULL;
	}
	/* Errors need not echo our (possibly huge) message back. */
	setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	return nl;
}

void nlbatch_close(struct mnl_socket *nl)
{
	if (nl != NULL)
		mnl_socket_close(nl);
}

/* Grow a socket buffer to at least want bytes; root may exceed the sysctl cap. */
static void sockbuf_grow(int fd, int opt, int force_opt, size_t want)
{
	int cur = 0, val;
	socklen_t len = sizeof(cur);

	if (want > INT_MAX / 2)
		want = INT_MAX / 2;
	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &len) == 0 &&
	    (size_t)cur >= want)
		return;
	/* The kernel doubles what we ask for; ask for all of it anyway so the
	 * 32-byte header slack netlink_sendmsg() wants is covered. */
	val = (int)want;
	if (setsockopt(fd, SOL_SOCKET, force_opt, &val, sizeof(val)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &val, sizeof(val));
}

static void fail(struct nlbatch *b, uint32_t seq, int err)
{
	long k;

	if (b->failed_errno != 0)
		return;
	b->failed_seq = seq;
	b->failed_errno = err;
	k = rec_index(b, seq);
	if (k >= 0)
		snprintf(b->err, sizeof(b->err), "message %ld of %zu (%s): %s",
			 k + 1, b->n_recs, b->recs[k].what, strerror(err));
	else if (seq == b->seq_begin)
		snprintf(b->err, sizeof(b->err), "batch: %s", strerror(err));
	else
		snprintf(b->err, sizeof(b->err), "%s", strerror(err));
}

/* Account the answers in one datagram. Returns how many ACKs it settled. */
static size_t answers(struct nlbatch *b, const void *buf, size_t len,
		      unsigned int portid)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;
	size_t settled = 0;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nlmsgerr *e;
		long k;

		if (nlh->nlmsg_pid != portid || nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
			fail(b, nlh->nlmsg_seq, EBADMSG);
			continue;
		}
		e = mnl_nlmsg_get_payload(nlh);
		k = rec_index(b, nlh->nlmsg_seq);
		if (e->error != 0)
			fail(b, nlh->nlmsg_seq, -e->error);
		if (k >= 0 && !b->recs[k].answered &&
		    (b->recs[k].flags & NLM_F_ACK)) {
			b->recs[k].answered = true;
			settled++;
		}
	}
	return settled;
}

static int send_all(struct nlbatch *b, int fd)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msghdr msg = { 0 };
	struct iovec *iov;
	size_t i, total = 0;
	ssize_t n;

	if (b->n_chunks > IOV_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	iov = calloc(b->n_chunks, sizeof(*iov));
	if (iov == NULL)
		return -1;
	for (i = 0; i < b->n_chunks; i++) {
		iov[i].iov_base = b->chunks[i].buf;
		iov[i].iov_len = b->chunks[i].len;
		total += b->chunks[i].len;
	}
	msg.msg_name = &snl;
	msg.msg_namelen = sizeof(snl);
	msg.msg_iov = iov;
	msg.msg_iovlen = b->n_chunks;
	do {
		n = sendmsg(fd, &msg, 0);
	} while (n < 0 && errno == EINTR);
	free(iov);
	if (n < 0)
		return -1;
	if ((size_t)n != total) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int nlbatch_commit(struct nlbatch *b, struct mnl_socket *nl)
{
	char buf[RECV_SIZE];
	int fd = mnl_socket_get_fd(nl);
	unsigned int portid = mnl_socket_get_portid(nl);
	size_t i, pending = 0;
	ssize_t n;

	b->err[0] = '\0';
	b->failed_seq = 0;
	b->failed_errno = 0;
	if (nlbatch_finish(b) < 0) {
		snprintf(b->err, sizeof(b->err), "building batch: %s",
			 strerror(errno));
		return -1;
	}
	if (b->n_recs == 0)
		return 0;
	for (i = 0; i < b->n_recs; i++) {
		b->recs[i].answered = false;
		if (b->recs[i].flags & NLM_F_ACK)
			pending++;
	}
	sockbuf_grow(fd, SO_SNDBUF, SO_SNDBUFFORCE, nlbatch_size(b) + 4096);
	sockbuf_grow(fd, SO_RCVBUF, SO_RCVBUFFORCE,
		     (pending + 64) * ACK_TRUESIZE);
	if (send_all(b, fd) < 0) {
		snprintf(b->err, sizeof(b->err), "sending %zu bytes: %s",
			 nlbatch_size(b), strerror(errno));
		return -1;
	}
	/* Errors come after the ACKs, so drain the socket even once every ACK
	 * is in: an unacknowledged message may still have failed. */
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r;

		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			pending -= answers(b, buf, (size_t)n, portid);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			if (b->failed_errno == 0) {
				fail(b, 0, ENOBUFS);
				snprintf(b->err, sizeof(b->err),
					 "receive buffer overrun, acknowledgements lost: outcome unknown");
			}
			break;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			fail(b, 0, errno);
			break;
		}
		if (pending == 0 || b->failed_errno != 0)
			break;
		r = poll(&pfd, 1, ACK_TIMEOUT_MS);
		if (r == 0) {
			/* Nothing failed before (we stop waiting on failure). */
			fail(b, 0, ETIMEDOUT);
			snprintf(b->err, sizeof(b->err),
				 "%zu of %zu messages unacknowledged", pending,
				 b->n_recs);
			break;
		}
	}
	if (b->failed_errno != 0) {
		errno = b->failed_errno;
		return -1;
	}
	return 0;
}

int nlbatch_set_elems(const struct nlmsghdr *nlh,
		      int (*fn)(struct nftnl_set_elem *el, void *arg), void *arg)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it = NULL;
	struct nftnl_set_elem *el;
	int ret = MNL_CB_ERROR;

	if (s == NULL || nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
		goto out;
	it = nftnl_set_elems_iter_create(s);
	if (it == NULL)
		goto out;
	/* _next() returns the current element, then advances. */
	while ((el = nftnl_set_elems_iter_next(it)) != NULL)
		if (fn(el, arg) < 0)
			goto out;
	ret = MNL_CB_OK;
out:
	if (it != NULL)
		nftnl_set_elems_iter_destroy(it);
	if (s != NULL)
		nftnl_set_free(s);
	return ret;
}

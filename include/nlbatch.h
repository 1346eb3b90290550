/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One nftables netlink transaction: build messages in chunks, send them in one
 * sendmsg (atomic), read every ACK and name the message that failed. */
#ifndef MW_NLBATCH_H
#define MW_NLBATCH_H

#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

struct nlmsghdr;
struct mnl_socket;

/* Default chunk size: pages of MNL_SOCKET_BUFFER_SIZE, 32 of them (nft uses the same order). */
#define NLBATCH_CHUNK_DEFAULT	0

/* Longest description kept per message for error reports. */
#define NLBATCH_WHAT_MAX	64

struct nlbatch;

/* A new batch whose BATCH_BEGIN carries sequence number seq; the messages that
 * follow get seq + 1, seq + 2, ... chunk_limit bounds each chunk (and therefore
 * each message); 0 picks the default. NULL on ENOMEM or a chunk_limit too small. */
struct nlbatch *nlbatch_new(size_t chunk_limit, uint32_t seq);
void nlbatch_free(struct nlbatch *b);

/* Start the next message: writes an nftables header (NFT_MSG_* type, family,
 * flags, next sequence number) where the message goes and returns it. Build the
 * payload with nftnl_*_nlmsg_build_payload(), then call nlbatch_next(). There
 * is room for chunk_limit bytes. NULL after nlbatch_finish(). */
struct nlmsghdr *nlbatch_put(struct nlbatch *b, uint16_t type, uint16_t family,
			     uint16_t flags);

/* Accept the message just built; what (copied, truncated) names it in error
 * reports. A message that makes the chunk exceed chunk_limit moves to a fresh
 * chunk, so no message straddles two chunks. 0, or -1 with errno EMSGSIZE (the
 * message alone exceeds chunk_limit; it is dropped) or ENOMEM. */
int nlbatch_next(struct nlbatch *b, const char *what);

/* Append BATCH_END. Done by nlbatch_commit(); exposed for tests. 0 or -1. */
int nlbatch_finish(struct nlbatch *b);

/* Inspection, for tests and debug logs. */
size_t nlbatch_count(const struct nlbatch *b);		/* messages between BEGIN and END */
size_t nlbatch_chunks(const struct nlbatch *b);
const void *nlbatch_chunk(const struct nlbatch *b, size_t i, size_t *len);
size_t nlbatch_size(const struct nlbatch *b);		/* total bytes, all chunks */
const char *nlbatch_what(const struct nlbatch *b, uint32_t seq);	/* NULL if unknown */

/* A netlink socket for nftables, bound; NULL with errno set. */
struct mnl_socket *nlbatch_open(void);
void nlbatch_close(struct mnl_socket *nl);

struct nftnl_set_elem;

/* For an nlbatch_dump callback over a set element dump: parse the answer nlh
 * and call fn on each of its elements; fn returns 0, or -1 to stop.
 * MNL_CB_OK, or MNL_CB_ERROR (unparsable answer, no memory, fn stopped). */
int nlbatch_set_elems(const struct nlmsghdr *nlh,
		      int (*fn)(struct nftnl_set_elem *el, void *arg), void *arg);

/* Send the dump request nlh (built at the start of buf, sequence seq) and
 * run cb over every answer until the dump is done; buf (size bytes) is
 * reused for the answers. 0, or -1 with errno set (ENOENT: no such object). */
int nlbatch_dump(struct mnl_socket *nl, const struct nlmsghdr *nlh, void *buf, size_t size,
		 uint32_t seq, mnl_cb_t cb, void *data);

/* Finish the batch, size the socket buffers for it, send it in one sendmsg
 * (the kernel applies all of it or none of it), and read the answer: every
 * message sent with NLM_F_ACK must be acknowledged, and any error is caught.
 * 0 on success. -1 with errno set on failure; nlbatch_error() then says which
 * message failed and why. */
int nlbatch_commit(struct nlbatch *b, struct mnl_socket *nl);

/* Human-readable reason for the last failure of nlbatch_commit(), or "". */
const char *nlbatch_error(const struct nlbatch *b);

/* Sequence number and errno of the first message the kernel refused, or 0. */
uint32_t nlbatch_failed_seq(const struct nlbatch *b);
int nlbatch_failed_errno(const struct nlbatch *b);

#endif

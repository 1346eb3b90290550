/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Conntrack sweep: rewrite the mark bits of every conntrack entry that carries
 * one value under a mask to another value, through raw ctnetlink. */
#ifndef MW_CT_SWEEP_H
#define MW_CT_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries rewritten per sweep at most; matches beyond are counted in `left`. */
#define CT_SWEEP_MAX_DEFAULT	65536u
/* Longest CTA_TUPLE_ORIG payload kept (an IPv6 TCP tuple with a zone is ~80). */
#define CT_SWEEP_TUPLE_MAX	256u
/* Updates per sendmsg. */
#define CT_SWEEP_BATCH		256u
/* Largest update message: header, nfgenmsg, tuple, zone, mark, mask. */
#define CT_SWEEP_MSG_MAX	(16u + 4u + 4u + CT_SWEEP_TUPLE_MAX + 8u + 8u + 8u)

struct ct_sweep_stats {
	uint64_t runs;		/* sweeps started */
	uint64_t swept;		/* entries whose mark was rewritten */
	uint64_t vanished;	/* entries gone before their update (ENOENT) */
	uint64_t left;		/* matching entries beyond the cap, not rewritten */
	uint64_t failed;	/* sweeps that did not finish (socket, dump, update error) */
};

struct ct_sweep;

/* max: entries rewritten per sweep at most, 0 for CT_SWEEP_MAX_DEFAULT.
 * Buffers are allocated here, sockets per sweep. NULL on ENOMEM. */
struct ct_sweep *ct_sweep_new(unsigned int max);
void ct_sweep_free(struct ct_sweep *sw);

/* In the caller's network namespace, every conntrack entry (all families)
 * whose mark & mask == from gets mark = (mark & ~mask) | to: bits outside mask
 * are kept. from and to are placed inside mask. Entries that vanish meanwhile
 * are fine. 0, or -1 with errno set (counted in failed, logged rate-limited);
 * a failure part way leaves the entries already rewritten rewritten. */
int ct_sweep_run(struct ct_sweep *sw, uint32_t mask, uint32_t from, uint32_t to);

void ct_sweep_get_stats(const struct ct_sweep *sw, struct ct_sweep_stats *st);

/* ---- wire format, exposed for tests ------------------------------------- */

/* What an update needs from one entry of a dump. */
struct ct_entry {
	uint8_t family;			/* nfgen_family: AF_INET or AF_INET6 */
	bool has_zone;
	uint16_t zone_be;		/* CTA_ZONE as sent (network order) */
	bool mark_seen;
	uint32_t mark;			/* host order */
	uint16_t tuple_len;		/* payload bytes of CTA_TUPLE_ORIG */
	uint8_t tuple[CT_SWEEP_TUPLE_MAX];
};

/* IPCTNL_MSG_CT_GET dump (AF_UNSPEC) filtered in the kernel on mark & mask
 * == mark. Length written, or 0 if size is too small. */
size_t ct_sweep_dump_req(void *buf, size_t size, uint32_t seq, uint32_t mark, uint32_t mask);

/* IPCTNL_MSG_CT_NEW without NLM_F_CREATE (update only, with an ACK) that
 * sets e's mark bits under mask to mark. Length written, or 0 if size is
 * too small. buf must be zeroed (padding is not written). */
size_t ct_sweep_update_msg(void *buf, size_t size, uint32_t seq, const struct ct_entry *e,
			   uint32_t mark, uint32_t mask);

/* One message of a dump reply (len bytes at msg). 0 and *e filled; -1 when it
 * is not a conntrack entry, is truncated anywhere or lacks the tuple or mark. */
int ct_sweep_parse(const void *msg, size_t len, struct ct_entry *e);

#endif

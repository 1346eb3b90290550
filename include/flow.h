/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flow table: bounded, preallocated, keyed by 5-tuple, with idle expiry and
 * oldest-first eviction, plus the first bytes of each direction for detectors. */
#ifndef MW_FLOW_H
#define MW_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

enum flow_dir { FLOW_ORIG = 0, FLOW_REPLY = 1 };

/* Index 0 is the originator (client), 1 the responder (server). */
struct flow_key {
	uint8_t family;
	uint8_t proto;
	uint16_t port[2];
	uint8_t addr[2][16];
};

enum flow_state {
	FLOW_INSPECT = 0,	/* still being judged */
	FLOW_CLEAN,		/* judged clean: its packets may skip the queue */
	FLOW_BLOCKED,		/* a detector matched and the action blocks it */
	FLOW_ALERTED,		/* matched, alert-only: let through, not inspected further */
};

/* Reassembled prefix of one direction: in-order bytes from the stream start. */
struct flow_stream {
	uint32_t next_seq;	/* next expected TCP sequence number */
	uint16_t len;		/* bytes held in buf */
	uint8_t seq_known;	/* next_seq is valid (SYN or first data seen) */
	uint8_t full;		/* buffer reached its cap; later bytes are not kept */
};

struct flow_buf;		/* per-flow reassembly storage, from a separate bounded pool */

struct flow {
	struct flow_key key;
	uint64_t first_seen_ms;
	uint64_t last_seen_ms;
	uint32_t packets[2];
	uint32_t bytes[2];	/* payload bytes seen per direction (saturating) */
	uint32_t det_done;	/* bit i set: detector i answered "not me", skip it */
	uint32_t det_matched;	/* bit i set: detector i already reported this flow */
	uint8_t state;		/* enum flow_state */
	uint8_t midstream;	/* first packet seen was not a SYN (TCP) */
	uint8_t syn_seen;
	uint8_t action;		/* verdict action chosen when matched (enum verdict_action) */
	struct flow_stream stream[2];
	/* Proxy tunnels the flow goes through (the detect family's tunnel.c
	 * owns the meaning; 0: none), and the packets the flow had seen when
	 * its innermost tunnel opened: the inspection budget counts from there.
	 * Both sit in what was padding, so a flow is no bigger for them. */
	uint16_t tunnel_pkts;
	uint8_t tunnel;
	struct flow_buf *buf;	/* NULL until the flow carries payload, or when the buffer pool is empty */
	/* private to flow.c */
	uint32_t hnext, lprev, lnext;
};

struct flow_table;

struct flow_table_cfg {
	uint32_t max_flows;		/* hard bound on entries (preallocated) */
	uint32_t max_buffers;		/* flows that may hold reassembly buffers at once */
	uint32_t inspect_bytes;		/* bytes kept per direction (<= 65535) */
	uint32_t idle_timeout_ms;	/* flows idle longer are expired */
};

struct flow_table *flow_table_new(const struct flow_table_cfg *cfg);
void flow_table_free(struct flow_table *ft);

/* Find the flow of this packet or create it (evicting the oldest if full).
 * *dir is set to the packet's direction. Returns NULL only for packets
 * without a flow identity (non-TCP/UDP, fragments). now_ms is a monotonic clock. */
struct flow *flow_lookup_or_add(struct flow_table *ft, const struct pkt *p, uint64_t now_ms,
				enum flow_dir *dir, bool *created);
/* f was just created by a packet after its flow's SYN, which the caller saw
 * elsewhere: its source address and port and its sequence number. f starts
 * as if that SYN had come first (originator, stream start, not midstream);
 * *dir, the creating packet's direction, is updated. */
void flow_start_syn(struct flow *f, const uint8_t saddr[16], uint16_t sport, uint32_t isn,
		    enum flow_dir *dir);
/* Lookup only, no insert. */
struct flow *flow_lookup(struct flow_table *ft, const struct pkt *p, enum flow_dir *dir);

/* Append this packet's payload to the flow's stream for dir, in order, bounded
 * by inspect_bytes. Retransmitted bytes are ignored; out-of-order bytes beyond
 * the expected sequence are not kept (returns 1 for "gap"). Returns 0 otherwise. */
int flow_stream_add(struct flow_table *ft, struct flow *f, enum flow_dir dir, const struct pkt *p);
/* The bytes held for a direction (NULL/0 when none). */
const uint8_t *flow_stream_data(const struct flow *f, enum flow_dir dir, size_t *len);
/* Forget the first n bytes held for dir (at most all of them): what follows
 * moves to the front and the room they took is free for later bytes. A
 * direction already full stays full: bytes past the cap were not kept. */
void flow_stream_drop(struct flow *f, enum flow_dir dir, size_t n);

/* Scratch room that lives with the flow's reassembly buffer, for the layers
 * above (the state of proxy tunnels): FLOW_AUX_BYTES, 8-byte aligned, NULL
 * while the flow holds no buffer. Its contents are undefined until its user
 * writes them; struct flow says whether it did (tunnel). */
#define FLOW_AUX_BYTES 576
void *flow_aux(const struct flow *f);
/* Give the flow's reassembly buffer back to the pool (flow judged). */
void flow_release_buf(struct flow_table *ft, struct flow *f);

void flow_remove(struct flow_table *ft, struct flow *f);
/* Expire flows idle since before now_ms - idle_timeout; returns how many went. */
unsigned int flow_expire(struct flow_table *ft, uint64_t now_ms);

struct flow_stats {
	uint32_t active;
	uint32_t buffers_in_use;
	uint64_t created;
	uint64_t evicted;	/* removed to make room while full */
	uint64_t expired;
	uint64_t no_buffer;	/* flows that wanted a buffer while the pool was empty */
	size_t memory_bytes;	/* bytes allocated by the table */
};
void flow_table_stats(const struct flow_table *ft, struct flow_stats *st);

/* Iterate all flows (for state dumps); stop when cb returns non-zero. */
void flow_foreach(struct flow_table *ft, int (*cb)(struct flow *f, void *arg), void *arg);

#endif

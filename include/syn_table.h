/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SYN records: what a TCP flow's SYN told (who opened it, where its stream
 * starts) for the SYNs the kernel forwarded without queueing them, kept until
 * the flow's first queued packet takes its record. Bounded (oldest first out),
 * expiring, keyed by the SYN's 5-tuple. Not thread-safe: the caller locks. */
#ifndef MW_SYN_TABLE_H
#define MW_SYN_TABLE_H

#include <stdint.h>

#include "pkt.h"

struct syn_table;

/* One SYN: its source and destination as it travelled, and its sequence number. */
struct syn_rec {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint16_t sport, dport;	/* host order */
	uint8_t saddr[16];	/* IPv4 in the first 4 bytes, rest zero */
	uint8_t daddr[16];
	uint32_t isn;
};

struct syn_table_stats {
	uint32_t active;	/* records waiting for their flow */
	uint64_t added;		/* SYNs recorded (a retransmitted SYN refreshes its record) */
	uint64_t taken;		/* records a flow's first packet took */
	uint64_t expired;	/* records no packet asked for within the lifetime */
	uint64_t evicted;	/* records pushed out, oldest first, while the table was full */
};

/* max records at most, each living ttl_ms after its SYN. NULL on error (errno). */
struct syn_table *syn_table_new(uint32_t max, uint32_t ttl_ms);
void syn_table_free(struct syn_table *t);
/* Record a parsed bare SYN (a TCP packet with SYN and without ACK). A SYN of
 * a 5-tuple already recorded replaces its record; a full table drops its
 * oldest record. */
void syn_table_put(struct syn_table *t, const struct pkt *syn, uint64_t now_ms);
/* The record of the SYN that opened p's flow, p from either end: 1 with *rec
 * filled and the record removed, 0 when there is none younger than the
 * lifetime. */
int syn_table_take(struct syn_table *t, const struct pkt *p, uint64_t now_ms, struct syn_rec *rec);
/* Drop records older than the lifetime; returns how many went. */
unsigned int syn_table_expire(struct syn_table *t, uint64_t now_ms);
void syn_table_stats(const struct syn_table *t, struct syn_table_stats *st);

#endif

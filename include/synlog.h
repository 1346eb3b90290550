/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SYN log: TCP SYNs are forwarded at kernel speed and only logged to an
 * NFLOG group (the ruleset's syn_tcp chain, queue threshold 1, so the record
 * is in our socket before the SYN leaves the host). The queue workers read
 * it into one table they all consult, since the kernel's queue balancing
 * cannot be reproduced here: a flow's first queued packet takes its SYN's
 * record and starts the flow as the SYN would have. */
#ifndef MW_SYNLOG_H
#define MW_SYNLOG_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "syn_table.h"

struct synlog;

struct synlog_stats {
	struct syn_table_stats table;
	uint64_t records;	/* SYN records read from the log */
	uint64_t lost;		/* records the kernel could not deliver (gaps in their sequence numbers) */
	uint64_t overruns;	/* receive overruns (ENOBUFS) */
	uint64_t unreadable;	/* messages that were not a readable bare TCP SYN */
	uint64_t drains;	/* times the log was read */
};

/* A table of max records living ttl_ms each, with no socket (unit tests feed
 * it with synlog_on_datagram). NULL on error. */
struct synlog *synlog_new(uint32_t max, uint32_t ttl_ms);
/* Bind NFLOG group `group` (copy range enough for a SYN's headers, queue
 * threshold 1, sequence numbers on). 0, or -1 logged (the group is taken,
 * or the kernel has no nfnetlink_log). */
int synlog_bind(struct synlog *sl, uint16_t group);
void synlog_free(struct synlog *sl);
uint16_t synlog_group(const struct synlog *sl);

/* The record of the SYN that opened p's flow, from either end, taken out of
 * the table; when it is not there yet the log is read first. 1 with *rec
 * filled, 0 when the log holds no such SYN (it came before the log was
 * bound, was never logged, expired, or was lost to an overrun). Thread-safe. */
int synlog_take(struct synlog *sl, const struct pkt *p, uint64_t now_ms, struct syn_rec *rec);
/* Read what the log holds and expire old records (housekeeping). Thread-safe. */
void synlog_tick(struct synlog *sl, uint64_t now_ms);
/* Parse one datagram of NFLOG messages into the table (the caller holds no lock). */
void synlog_on_datagram(struct synlog *sl, const void *buf, size_t len, uint64_t now_ms);
void synlog_get_stats(struct synlog *sl, struct synlog_stats *st);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The packet path after the queue: parse, find the flow, ask the detectors,
 * decide. Shared by the live daemon and offline capture reading. */
#ifndef MW_ENGINE_H
#define MW_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>

#include "conf.h"
#include "event.h"
#include "flow.h"
#include "pool_lists.h"
#include "queue.h"

struct engine;

typedef void (*engine_event_cb)(void *arg, const struct mw_event *ev);

struct engine_stats {
	uint64_t packets;
	uint64_t malformed;	/* failed IP/L4 parsing: verdict by fail mode */
	uint64_t untracked;	/* no flow identity (fragments, other protocols) */
	uint64_t held;		/* out-of-order segments dropped during inspection */
	uint64_t flows_clean;
	uint64_t flows_blocked;
	uint64_t detections;
	uint64_t detections_by[32];	/* per detector index */
	uint64_t learned;	/* addresses learned from DNS answers and pool SNI */
	uint64_t relays;	/* hosts found relaying mining traffic */
	uint64_t tunnels;	/* proxy tunnels (SOCKS, HTTP CONNECT) whose bytes were judged */
	uint64_t verdict_loops;	/* packets back in the queue with our verdict mark: dropped */
	uint64_t syn_found;	/* TCP flows started from their logged SYN's record */
	uint64_t syn_missing;	/* TCP flows whose first packet found no SYN record: midstream */
	uint64_t syn_restarted;	/* judged flows started over: a new connection on their 5-tuple */
	uint64_t suspects;	/* flows the tls-suspect detector reported (not detections) */
};

/* The engine keeps pointers to c and lists; engine_reconfigure swaps them. */
struct engine *engine_new(const struct mw_conf *c, const struct pool_lists *lists,
			  engine_event_cb on_event, void *arg);
/* One of `parts` engines that together serve the queues (one per worker):
 * flows.max and flows.buffers are divided between them. */
struct engine *engine_new_part(const struct mw_conf *c, const struct pool_lists *lists,
			       unsigned int parts, engine_event_cb on_event, void *arg);
void engine_free(struct engine *e);
/* Use owner's relay tracker (hosts on either leg of mining flows), so legs
 * seen by different workers complete one picture. owner must outlive e. */
void engine_share_relays(struct engine *e, const struct engine *owner);
struct domain_set;
struct ep_table;
/* Destinations (addresses/prefixes, domains) a detection never blocks: it is
 * reported as an alert saying so. Either may be NULL. Kept by pointer. */
void engine_set_allow(struct engine *e, const struct ep_table *allow,
		      const struct domain_set *allow_names);
struct pool_domains;
/* Match pool domains in pd (the lists' and the applied feeds' domains) in
 * place of the lists' own; NULL: the lists' again. Kept by pointer. */
void engine_set_pool_domains(struct engine *e, const struct pool_domains *pd);
/* Offline observation: after a blocking match keep asking the other detectors
 * (within the flow's budget), so a capture reports every detector that fires. */
void engine_set_observe(struct engine *e, bool observe);
/* Use a new config and lists (after a reload). Flow table sizes keep their values. */
void engine_reconfigure(struct engine *e, const struct mw_conf *c, const struct pool_lists *lists);

/* Judge one IP packet. mark: its packet mark; now_ms: monotonic (live) or capture
 * clock (offline); ts: the time events carry. Always fills v. */
void engine_packet(struct engine *e, const uint8_t *data, size_t len, uint32_t mark,
		   uint64_t now_ms, const struct timeval *ts, struct queue_verdict *v);

/* Called with every address a detector teaches (DNS answers for pool names,
 * pool SNI), also on later matches of a flow already reported. */
typedef void (*engine_learn_cb)(void *arg, const struct det_learned *l, unsigned int n);
void engine_set_learn_cb(struct engine *e, engine_learn_cb cb, void *arg);
/* Learn an address another engine learned (workers share what DNS taught);
 * its lifetime counts from now_ms; not counted in stats.learned. 0 or -1. */
int engine_add_learned(struct engine *e, const struct det_learned *l, uint64_t now_ms);
struct synlog;
/* Start TCP flows whose first queued packet is not their SYN from the SYN
 * log's records (NULL: none, as offline). Kept by pointer; shared. */
void engine_set_synlog(struct engine *e, struct synlog *sl);
/* Only the detectors that teach addresses run (the look-ahead pass of -r). */
void engine_set_learn_only(struct engine *e, bool learn_only);
/* Offline look-ahead: every address `from` learned (DNS answers, pool SNI)
 * counts as learned from the start, without expiry. */
void engine_preload_learned(struct engine *e, const struct engine *from);

/* Housekeeping: expire idle flows and learned addresses. */
void engine_tick(struct engine *e, uint64_t now_ms);

void engine_get_stats(const struct engine *e, struct engine_stats *st);
void engine_flow_stats(const struct engine *e, struct flow_stats *st);

#endif

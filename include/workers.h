/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One thread per NFQUEUE. Each worker owns its queue and its engine (flow
 * table, reassembly buffers, learned addresses), so the packet path takes no
 * lock: the kernel balances flows over the queues by address hash, both
 * directions of a flow land on the same queue, and a flow never changes
 * worker. What the workers find goes to the main thread through a bounded
 * mailbox; the main thread does everything else (events, enforcement,
 * control socket, reloads). Addresses one worker learns (DNS answers, pool
 * SNI) are handed to the other workers before the packet that taught them
 * gets its verdict, so the connection that follows the answer is judged
 * with them whatever queue it lands on. */
#ifndef MW_WORKERS_H
#define MW_WORKERS_H

#include <stdint.h>

#include "engine.h"
#include "event.h"
#include "flow.h"
#include "queue.h"
#include "synlog.h"

struct workers;
struct domain_set;
struct ep_table;
struct pool_domains;

/* What the packet path reads, owned by the main thread. A new view is
 * handed over with workers_set_conf / workers_set_allow, which return only
 * once every worker uses it: the previous objects may then be freed. */
struct workers_view {
	const struct mw_conf *conf;
	const struct pool_lists *lists;
	const struct ep_table *allow;		/* may be NULL */
	const struct domain_set *allow_names;	/* may be NULL */
	const struct pool_domains *pool_domains;	/* lists + feeds; NULL: lists only */
	/* The SYN log the engines share (start only, outlives the workers);
	 * NULL: SYNs are queued. */
	struct synlog *syns;
};

/* Called on the main thread, from workers_drain, in the order each worker found them. */
struct workers_cb {
	engine_event_cb on_event;
	engine_learn_cb on_learn;
	void *arg;
};

struct workers_stats {
	struct engine_stats engine;	/* summed over the workers */
	struct flow_stats flows;
	struct queue_stats queue;
	uint64_t mailbox_lost;		/* findings dropped: the main thread's mailbox was full */
	struct synlog_stats syns;	/* the SYN log now (zero without one) */
};

/* Start one worker per queue; they own the queues from now on (closed by
 * workers_stop). NULL on error (the queues are then closed, logged). */
struct workers *workers_start(struct queue **queues, unsigned int n, const struct workers_view *v,
			      const struct workers_cb *cb);
/* Drain what every queue still holds and stop the threads. The queues are
 * closed, or with keep (room for workers_count) handed back still bound, in
 * the order workers_start got them. The workers' final counters (not the
 * gauges) are added to retired unless it is NULL. */
void workers_stop(struct workers *ws, struct queue **keep, struct workers_stats *retired);
/* Readable (eventfd) when findings wait for the main thread. */
int workers_fd(const struct workers *ws);
/* Main thread: deliver what waits, through the callbacks. */
void workers_drain(struct workers *ws);
/* New config and lists; qc (num ignored) re-applies the queue settings.
 * 0, or -1 if a worker did not take it in time (then the old objects must
 * stay alive: the caller keeps them). */
int workers_set_conf(struct workers *ws, const struct mw_conf *conf, const struct pool_lists *lists,
		     const struct queue_cfg *qc);
/* New allowlists (destinations and names never blocked). 0 or -1 as above. */
int workers_set_allow(struct workers *ws, const struct ep_table *allow,
		      const struct domain_set *allow_names);
/* New pool domains (the lists' and the applied feeds'). 0 or -1 as above. */
int workers_set_pool_domains(struct workers *ws, const struct pool_domains *pd);
/* Counters as of each worker's last batch, plus retired (NULL: none): the
 * final counts of the workers earlier queue reloads stopped, so counters
 * never go backwards. */
void workers_get_stats(struct workers *ws, const struct workers_stats *retired,
		       struct workers_stats *st);
unsigned int workers_count(const struct workers *ws);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A snapshot of the daemon's state and counters, read by minewallctl's status
 * and stats and by the Prometheus endpoint. */
#ifndef MW_MWSTATS_H
#define MW_MWSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ct_sweep.h"
#include "engine.h"
#include "flow.h"
#include "probe_net.h"
#include "queue.h"

/* Detections by (detector, dialect). Bounded: pairs beyond it count in `other`. */
#define MWSTATS_MAX_TALLY 64
#define MWSTATS_DIALECT_MAX 32

struct mwstats_tally_entry {
	char detector[24];
	char dialect[MWSTATS_DIALECT_MAX];	/* "" when the detector names none */
	uint64_t count;
};

struct mwstats_tally {
	unsigned int n;
	uint64_t other;
	struct mwstats_tally_entry e[MWSTATS_MAX_TALLY];
};

/* Count one detection; names longer than the fields are cut. */
void mwstats_tally_add(struct mwstats_tally *t, const char *detector, const char *dialect);

struct mwstats {
	time_t start_time;		/* wall clock at start */
	uint64_t uptime_s;
	const char *conf_path;
	const char *mech;		/* queue mechanism in use (ruleset_mech_name) */
	unsigned int queue_first, queue_count;
	bool fail_open;
	struct queue_stats queue;	/* summed over the queues */
	struct engine_stats engine;
	struct flow_stats flows;
	uint32_t flow_capacity;
	uint64_t mailbox_lost;		/* findings the queue workers could not hand over */
	uint64_t reloads_ok, reloads_failed;
	struct ct_sweep_stats ct_sweep;	/* the enforcer's conntrack sweeps */
	uint64_t refused_conns;		/* connections the block sets refused (enforce.count_refused) */
	const struct mwstats_tally *tally;
	uint64_t suspects;		/* suspect events handed to the prober */
	uint64_t probes[PROBE_N_OUTCOMES];	/* probes by outcome */
};

/* How the daemon fills a snapshot for its readers. */
typedef void (*mwstats_fn)(void *arg, struct mwstats *st);

#endif

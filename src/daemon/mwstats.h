/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A snapshot of the daemon's state and counters, read by minewallctl's status
 * and stats and by the Prometheus endpoint. */
#ifndef MW_MWSTATS_H
#define MW_MWSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "ct_sweep.h"
#include "engine.h"
#include "flow.h"
#include "probe_net.h"
#include "queue.h"
#include "synlog.h"

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

struct notify_counters;

/* Count one detection; names longer than the fields are cut. */
void mwstats_tally_add(struct mwstats_tally *t, const char *detector, const char *dialect);

/* One feed subscription, for /metrics. */
#define MWSTATS_MAX_FEEDS 16
struct mwstats_feed {
	char name[64];
	bool in_force;			/* the daemon applied a version */
	uint64_t serial;		/* in force; 0 none */
	int64_t issued;			/* of the serial in force; 0 none */
	time_t accepted;		/* when it was applied */
	time_t last_ok;			/* last fetch that ended applied or unchanged; 0 never */
	time_t last_error_time;		/* 0 never */
	size_t entries;			/* in force: addresses and domains */
	size_t blocked;			/* address entries in its kernel sets */
	unsigned long polls[3];		/* index polls: 304, 200, error */
	unsigned long delta_applies, snapshot_applies, fallbacks, rejected, errors;
};

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
	bool syn_log;			/* SYNs are logged, not queued (queue.syns) */
	struct synlog_stats syns;	/* the SYN log (zero when SYNs are queued) */
	uint64_t reloads_ok, reloads_failed;
	struct ct_sweep_stats ct_sweep;	/* the enforcer's conntrack sweeps */
	uint64_t refused_conns;		/* connections the block sets refused (enforce.count_refused) */
	const struct mwstats_tally *tally;
	/* Notify receivers' counters (notify.h), in config order; live while the daemon is. */
	const struct notify_counters *notify[CONF_MAX_RECEIVERS];
	unsigned int n_notify;
	time_t now;			/* wall clock of the snapshot */
	uint64_t hosts[3];		/* internal hosts by tier: watch, throttle, quarantine */
	/* Entries of the block sets as the daemon last committed them. */
	uint64_t blocks_detect, blocks_dns, blocks_list;
	unsigned int n_feeds;
	struct mwstats_feed feeds[MWSTATS_MAX_FEEDS];
	uint64_t suspects;		/* suspect events handed to the prober */
	uint64_t probes[PROBE_N_OUTCOMES];	/* probes by outcome */
};

/* How the daemon fills a snapshot for its readers. */
typedef void (*mwstats_fn)(void *arg, struct mwstats *st);

#endif

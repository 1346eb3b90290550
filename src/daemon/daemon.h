/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The running daemon's state, shared by minewalld.c and the subsystems it
 * drives (control socket, enforcement, feeds). One instance. Everything here
 * belongs to the main thread; the packet path runs in the queue workers
 * (workers.h), which see only what workers_set_conf/_allow hand them. */
#ifndef MW_DAEMON_H
#define MW_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"
#include "conf.h"
#include "uplinks.h"
#include "ruleset.h"
#include "workers.h"

struct ctl_cmds;
struct ctl_server;
struct daemon_enforce;
struct daemon_feeds;
struct daemon_notify;
struct eventlog;
struct evloop;
struct metrics;
struct pool_lists;
struct synlog;
struct prober;
struct workers;

struct daemon {
	struct mw_conf *conf;
	struct pool_lists *lists;
	struct workers *workers;	/* one thread per queue, each with its engine */
	/* Final counters of the workers queue reloads stopped (workers_stop). */
	struct workers_stats workers_retired;
	struct eventlog *events;
	struct evloop *loop;
	bool stopping;			/* rules removed: findings are logged, not enforced */
	enum queue_mech mech;
	int sigfd;
	int timerfd;
	int exit_code;
	/* Control socket, its commands and the metrics endpoint (daemon_ctl_init). */
	struct ctl_server *ctl;
	struct ctl_cmds *cmds;
	struct metrics *metrics;
	time_t start_time;
	uint64_t start_ms;
	uint64_t reloads_ok, reloads_failed;
	/* Verdict loops already warned about, and when (warn_verdict_loops). */
	uint64_t loops_seen, loops_warned_ms;
	/* The forward hook's outside when protect.interfaces is empty. */
	struct uplinks uplinks;
	/* Kernel-side enforcement: blocks, escalation, persistence (daemon_enforce*.c,
	 * daemon_escalate.c, daemon_state.c). */
	struct daemon_enforce *enf;
	/* Feed subscriptions and publishing (daemon_feeds.c). */
	struct daemon_feeds *feeds;
	/* Receivers of detections and tier changes (daemon_notify*.c). */
	struct daemon_notify *notify;
	/* The SYN log (queue.syns = "log"), opened at start; NULL: SYNs are queued. */
	struct synlog *syns;
	/* Suspect TLS servers probed off the packet path (probe.c), or NULL. */
	struct prober *probe;
	bool probe_ctl;			/* the probes command is registered */
};

#endif

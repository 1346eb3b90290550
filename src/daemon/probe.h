/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The prober: suspect TLS endpoints are probed off the packet path, on
 * threads of their own; a confirmed pool is blocked like any detection. */
#ifndef MW_PROBE_H
#define MW_PROBE_H

#include <stdint.h>

#include "daemon.h"
#include "event.h"
#include "probe_net.h"

struct probe_stats {
	uint64_t suspects;			/* suspect events handed to the prober */
	uint64_t outcomes[PROBE_N_OUTCOMES];	/* probes (and refusals to probe) by outcome */
	unsigned int cached;			/* endpoints with a result in force */
	unsigned int running;			/* probes queued or running */
};

/* Start the prober when probe.enabled (threads, the result eventfd in the
 * main loop, the `probes` control command). 0, or -1 with a log line. */
int probe_start(struct daemon *d);
/* A suspect event from the engine: probe its server unless a result is in
 * force, a probe runs, the policy forbids it or the rate is spent. */
void probe_suspect(struct daemon *d, const struct mw_event *ev);
/* Every second: start the probes that waited for probe.rate. */
void probe_tick(struct daemon *d);
/* After a reload: the new settings (probe.concurrent takes effect at the
 * next start; enabled = false stops new probes). */
void probe_reload(struct daemon *d);
/* Stop the threads (a running probe ends within a dialect's wait). */
void probe_stop(struct daemon *d);
void probe_get_stats(const struct daemon *d, struct probe_stats *st);

/* probe_ctl.c: the `probes` command over the recent results. */
struct prober;
int probe_ctl_register(struct daemon *d, struct prober *p);

/* What the recent-results ring holds for one probe. */
struct probe_record {
	uint64_t wall_ms;
	struct probe_job job;		/* the endpoint and what came of it */
	unsigned int suspects;		/* suspect flows that pointed at it */
	char reason[48];		/* skipped or limited: why */
};
/* The recent results, oldest first: calls cb until it returns non-zero. */
void probe_recent_foreach(const struct prober *p, int (*cb)(const struct probe_record *r, void *arg),
			  void *arg);

#endif

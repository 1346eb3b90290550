/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's own control commands (status, stats, events, reload) and the
 * state behind them: recent events and detections by dialect. */
#ifndef MW_CTL_CMDS_H
#define MW_CTL_CMDS_H

#include "ctl_server.h"
#include "event.h"
#include "mwstats.h"

#define CTL_EVENTS_KEPT 1000

struct ctl_cmds_host {
	mwstats_fn snapshot;
	/* Reload like SIGHUP: 0 with *report (malloc'd) the lines it logged
	 * (what changed, warnings), or -1 with *report the errors. */
	int (*reload)(void *arg, char **report);
	void *arg;
};

struct ctl_cmds;

/* server may be NULL (no control socket): events are still kept and counted. */
struct ctl_cmds *ctl_cmds_new(struct ctl_server *server, const struct ctl_cmds_host *host);
void ctl_cmds_free(struct ctl_cmds *cc);
/* Every engine event: keep it, count it, stream it to followers. */
void ctl_cmds_event(struct ctl_cmds *cc, const struct mw_event *ev);
/* A preformatted event (tier change, admin action, feed) for the ring and
 * followers; its text line starts with ts, the JSON's timestamp. */
void ctl_cmds_event_line(struct ctl_cmds *cc, const char *ts, const char *text, const char *json);
const struct mwstats_tally *ctl_cmds_tally(const struct ctl_cmds *cc);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where events go in the daemon: a JSON-lines file (reopened on SIGHUP for
 * logrotate) and one readable log line each. */
#ifndef MW_EVENTLOG_H
#define MW_EVENTLOG_H

#include "event.h"

struct eventlog;

/* path may be NULL (no file). NULL on error (logged). */
struct eventlog *eventlog_open(const char *path);
/* Reopen the file (after rotation) or switch to a new path. 0 or -1 (old file kept). */
int eventlog_reopen(struct eventlog *el, const char *path);
void eventlog_close(struct eventlog *el);
void eventlog_write(struct eventlog *el, const struct mw_event *ev);
/* An event the engine did not make (tier changes, admin actions): its JSON
 * line to the file and its text to the log at info level. */
void eventlog_write_line(struct eventlog *el, const char *json, const char *text);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What minewalld's start-up (minewalld.c) and its reload (daemon_reload.c) share:
 * loading, the forward hook's outside, the ruleset's settings, queues and workers. */
#ifndef MW_DAEMON_RUN_H
#define MW_DAEMON_RUN_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "daemon.h"
#include "enforce.h"
#include "queue.h"
#include "ruleset.h"
#include "uplinks.h"

struct notify_set;
struct pool_lists;

/* A config, the lists it names and its notify receivers (their keys read);
 * every error printed to errs. 0 or -1. */
int daemon_load_all(const char *path, struct mw_conf **c, struct pool_lists **l,
		    struct notify_set **ns, FILE *errs);
/* The forward hook's outside into u: protect.interfaces, or else the
 * interfaces of the default routes. -1 with why (a sentence naming the
 * setting) when there is none to tell who opened a forwarded flow. */
int daemon_outside_of(const struct mw_conf *c, struct uplinks *u, char *why, size_t size);
/* The ruleset's settings from c; policy and feed_names (CONF_MAX_FEEDS) are
 * storage the result points into. */
void daemon_ruleset_cfg(const struct daemon *d, const struct mw_conf *c, struct uplinks *u,
			struct ruleset_cfg *rc, struct enforce_policy *policy,
			const char **feed_names);
/* Bind c's queues, except those running (may be NULL) has bound: their slots stay NULL. */
int daemon_open_queues(const struct mw_conf *c, const struct mw_conf *running,
		       struct queue **qs, unsigned int *n);
/* One worker thread per queue; they own the queues from here on. NULL on failure. */
struct workers *daemon_start_workers(struct daemon *d, struct queue **qs, unsigned int n,
				     const struct mw_conf *c, const struct pool_lists *l);
/* keep: as workers_stop. */
void daemon_stop_workers(struct daemon *d, struct queue **keep);
/* SIGHUP and minewallctl reload: parse, validate, then swap; what it changed
 * and every warning it logged go to the log. 0, or -1 with the running state
 * kept. report (may be NULL) gets, malloc'd: on success what was logged, on
 * failure the errors. */
int daemon_reload(struct daemon *d, char **report);

#endif

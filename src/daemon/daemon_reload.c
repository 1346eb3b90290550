// SPDX-License-Identifier: GPL-2.0-or-later
/* minewalld's reload, and the queues, workers and rules it shares with start-up. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ctl_cmds.h"
#include "daemon.h"
#include "daemon_enforce.h"
#include "daemon_feeds.h"
#include "daemon_run.h"
#include "detect.h"
#include "domain_set.h"
#include "ep_table.h"
#include "eventlog.h"
#include "daemon_notify.h"
#include "evloop.h"
#include "log.h"
#include "pool_lists.h"
#include "queue.h"
#include "probe.h"
#include "ruleset.h"
#include "synlog.h"
#include "workers.h"

/* Load a config, the lists it names and its notify receivers (their keys
 * read); print every error. */
int daemon_load_all(const char *path, struct mw_conf **c, struct pool_lists **l,
		    struct notify_set **ns, FILE *errs)
{
	if (conf_load(path, c, errs) < 0)
		return -1;
	*l = pool_lists_load(*c, errs);
	*ns = daemon_notify_prepare(*c, errs);
	if (!*l || !*ns) {
		pool_lists_free(*l);
		daemon_notify_set_free(*ns);
		conf_free(*c);
		*c = NULL;
		*l = NULL;
		*ns = NULL;
		return -1;
	}
	return 0;
}

/* The forward hook's outside: protect.interfaces, or else the interfaces of
 * the default routes. Without either, who opened a forwarded flow cannot be
 * told, and judging it anyway could block a tenant as a "pool" for what an
 * outside host sent it: -1, with why (a sentence naming the setting). */
int daemon_outside_of(const struct mw_conf *c, struct uplinks *u, char *why, size_t size)
{
	memset(u, 0, sizeof(*u));
	if (!c->hook_forward || c->n_interfaces > 0)
		return 0;
	if (uplinks_discover(u) < 0) {
		snprintf(why, size, "protect.interfaces is empty and the routing table could not "
			 "be read (%s): set protect.interfaces to the interfaces that lead out",
			 strerror(errno));
		return -1;
	}
	if (u->n == 0) {
		snprintf(why, size, "protect.interfaces is empty and this host has no default "
			 "route, so the forward hook cannot tell who opened a flow from where: set "
			 "protect.interfaces to the interfaces that lead out (e.g. [ \"eth0\" ]), or "
			 "remove \"forward\" from protect.hooks");
		return -1;
	}
	return 0;
}

/* policy and feed_names (CONF_MAX_FEEDS) are storage the result points into;
 * u is the forward hook's outside when protect.interfaces is empty. */
void daemon_ruleset_cfg(const struct daemon *d, const struct mw_conf *c, struct uplinks *u,
			struct ruleset_cfg *rc, struct enforce_policy *policy,
			const char **feed_names)
{
	const char *const *fwd = c->n_interfaces ? (const char *const *)c->interfaces : u->ptr;
	unsigned int n_fwd = c->n_interfaces ? c->n_interfaces : u->n;
	unsigned int i;

	for (i = 0; i < u->n; i++)
		u->ptr[i] = u->name[i];	/* u may have been copied since it was filled */
	daemon_enforce_policy(c, policy, feed_names);
	*rc = (struct ruleset_cfg){
		.queue_num = c->queue_num,
		.queue_count = c->queue_count,
		.bypass = c->fail_open,
		.hook_output = c->hook_output,
		.hook_forward = c->hook_forward,
		.interfaces = (const char *const *)c->interfaces,
		.n_interfaces = c->n_interfaces,
		.fwd_interfaces = n_fwd ? fwd : NULL,
		.n_fwd_interfaces = n_fwd,
		.inbound = c->hook_forward && n_fwd > 0 &&
			   ruleset_mark_fits(c->mark_mask, MW_MARK_INBOUND),
		.mark_mask = c->mark_mask,
		.policy = policy,
		.probe_bypass = c->probe_enabled,
		/* The SYN log as it runs: opened at start, kept across reloads. */
		.syn_log = d->syns != NULL,
		.syn_group = d->syns ? synlog_group(d->syns) : 0,
	};
}

static void queue_cfg_from(const struct mw_conf *c, unsigned int i, struct queue_cfg *qc)
{
	*qc = (struct queue_cfg){
		.num = (uint16_t)(c->queue_num + i),
		.copy_range = c->copy_range,
		.maxlen = c->queue_maxlen,
		.fail_open = c->fail_open,
	};
}

/* Findings of the queue workers, delivered on the main thread. */
static void on_workers(struct evloop *loop, int fd, void *arg)
{
	struct daemon *d = arg;

	workers_drain(d->workers);
}

static void on_event(void *arg, const struct mw_event *ev)
{
	struct daemon *d = arg;

	/* The detection first, everywhere: what it causes (a block, a tier
	 * change) is logged after it, in the order it happened. */
	eventlog_write(d->events, ev);
	ctl_cmds_event(d->cmds, ev);
	if (!d->stopping)
		daemon_enforce_event(d, ev);
	if (!d->stopping && ev->type == EVENT_SUSPECT)
		probe_suspect(d, ev);
}

static void on_learn(void *arg, const struct det_learned *l, unsigned int n)
{
	struct daemon *d = arg;

	if (!d->stopping)
		daemon_enforce_learned(d, l, n);
}

static bool queue_in(const struct mw_conf *c, unsigned int num)
{
	return c && num >= c->queue_num && num < c->queue_num + c->queue_count;
}

/* Bind c's queues, except those `running` already has bound (their slots
 * stay NULL: a queue number has one listener, and the running one is handed
 * over in reuse_queues). */
int daemon_open_queues(const struct mw_conf *c, const struct mw_conf *running,
		       struct queue **qs, unsigned int *n)
{
	unsigned int i;

	for (i = 0; i < c->queue_count; i++) {
		struct queue_cfg qc;

		qs[i] = NULL;
		queue_cfg_from(c, i, &qc);
		if (queue_in(running, qc.num))
			continue;
		qs[i] = queue_open(&qc);
		if (!qs[i]) {
			while (i--)
				queue_close(qs[i]);
			return -1;
		}
	}
	*n = c->queue_count;
	return 0;
}

/* The old workers' queues (old, in the running config's order) that the new
 * config keeps go into their NULL slots of qs, with the new settings; the
 * others are closed (the rules no longer point at them). */
static void reuse_queues(const struct mw_conf *running, const struct mw_conf *nc,
			 struct queue **old, struct queue **qs)
{
	unsigned int i;

	for (i = 0; i < running->queue_count; i++) {
		unsigned int num = running->queue_num + i;
		struct queue_cfg qc;

		if (!queue_in(nc, num)) {
			queue_close(old[i]);
			continue;
		}
		queue_cfg_from(nc, num - nc->queue_num, &qc);
		queue_configure(old[i], &qc);
		qs[num - nc->queue_num] = old[i];
	}
}

/* One worker thread per queue; they own the queues from here on. */
struct workers *daemon_start_workers(struct daemon *d, struct queue **qs, unsigned int n,
				     const struct mw_conf *c, const struct pool_lists *l)
{
	struct workers_view v = { .conf = c, .lists = l,
				  .pool_domains = daemon_feeds_pool_domains(d), .syns = d->syns };
	struct workers_cb cb = { on_event, on_learn, d };
	struct workers *ws;

	daemon_enforce_allowlists(d, &v.allow, &v.allow_names);
	ws = workers_start(qs, n, &v, &cb);
	if (ws && evloop_add(d->loop, workers_fd(ws), on_workers, d) < 0) {
		workers_stop(ws, NULL, NULL);
		return NULL;
	}
	return ws;
}

/* keep: as workers_stop. */
void daemon_stop_workers(struct daemon *d, struct queue **keep)
{
	if (!d->workers)
		return;
	evloop_del(d->loop, workers_fd(d->workers));
	workers_stop(d->workers, keep, &d->workers_retired);
	d->workers = NULL;
}

/* One setting the reload changes: what minewallctl reload prints. One that only
 * a restart applies keeps its running value (conf_keep_restart_only), so
 * setting it back to that value says nothing. */
static void on_changed(const char *name, const char *was, const char *now, bool restart_only,
		       void *arg)
{
	if (restart_only)
		log_warnx("%s = %s takes effect at the next start (running: %s)", name, now, was);
	else
		log_info("changed %s: %s -> %s", name, was, now);
}

/* Parse, validate, then swap. Any failure keeps the running state; 0, or -1
 * with *why (malloc'd) saying why. */
static int reload_apply(struct daemon *d, char **why)
{
	struct mw_conf *nc = NULL;
	struct pool_lists *nl = NULL;
	struct notify_set *nns = NULL;
	struct queue *nq[CONF_MAX_QUEUES];
	unsigned int nn = 0, i;
	struct ruleset_cfg rc;
	struct queue_cfg qc;
	struct enforce_policy policy;
	struct uplinks nu;
	char outside_why[320];
	const char *feed_names[CONF_MAX_FEEDS];
	char *errtext = NULL;
	size_t errlen = 0;
	FILE *errs = open_memstream(&errtext, &errlen);
	bool new_queues, keep_old = false;
	const char *fail;

	log_info("reloading %s", d->conf->path);
	if (!errs || daemon_load_all(d->conf->path, &nc, &nl, &nns, errs) < 0) {
		if (errs)
			fclose(errs);
		log_warnx("reload failed, keeping the running configuration:\n%s",
			  errtext ? errtext : "out of memory");
		d->reloads_failed++;
		*why = errtext ? errtext : strdup("out of memory");
		return -1;
	}
	fclose(errs);
	free(errtext);
	if (conf_diff(d->conf, nc, on_changed, NULL) == 0)
		log_info("no setting changed");
	if (conf_keep_restart_only(nc, d->conf) < 0) {
		fail = "out of memory";
		goto fail;
	}
	if (domain_set_count(nl->domains) != domain_set_count(d->lists->domains) ||
	    ep_table_count(nl->endpoints) != ep_table_count(d->lists->endpoints))
		log_info("changed lists: %zu -> %zu pool domains, %zu -> %zu pool endpoints",
			 domain_set_count(d->lists->domains), domain_set_count(nl->domains),
			 ep_table_count(d->lists->endpoints), ep_table_count(nl->endpoints));

	new_queues = nc->queue_num != d->conf->queue_num || nc->queue_count != d->conf->queue_count;
	/* New queues listen before the rules point at them, so no packet finds no listener. */
	if (new_queues && daemon_open_queues(nc, d->conf, nq, &nn) < 0) {
		fail = "cannot open the new queues";
		goto fail;
	}
	if (daemon_outside_of(nc, &nu, outside_why, sizeof(outside_why)) < 0) {
		fail = outside_why;
		for (i = 0; i < nn; i++)
			queue_close(nq[i]);
		goto fail;
	}
	daemon_ruleset_cfg(d, nc, &nu, &rc, &policy, feed_names);
	if (ruleset_install(&rc, d->mech) < 0) {
		fail = "nftables refused the new rules";
		for (i = 0; i < nn; i++)
			queue_close(nq[i]);
		goto fail;
	}
	if (new_queues) {
		/* The old workers give what their queues still hold a verdict and
		 * stop; flows they were inspecting start over on the new queues. */
		struct queue *old[CONF_MAX_QUEUES];
		struct workers *nw;

		daemon_stop_workers(d, old);
		reuse_queues(d->conf, nc, old, nq);
		nw = daemon_start_workers(d, nq, nn, nc, nl);
		if (!nw)
			fatalx("reload: cannot start the workers of the new queues");
		d->workers = nw;
		/* The allowlists follow in daemon_enforce_reload. */
		log_warnx("queues changed to %u..%u: flows under inspection start over",
			  nc->queue_num, nc->queue_num + nc->queue_count - 1);
	} else {
		queue_cfg_from(nc, 0, &qc);
		/* A worker that did not take the new ones may still read the old. */
		keep_old = workers_set_conf(d->workers, nc, nl, &qc) < 0;
	}
	if (eventlog_reopen(d->events, nc->event_log) < 0)
		log_warnx("keeping the previous event log");
	log_set_level(nc->log_level);
	/* The rules are in; sets follow the new lists and allowlists. A failure
	 * here leaves the old elements in place, which is logged. */
	daemon_enforce_reload(d, nc, nl);
	daemon_feeds_reload(d, nc, nl);
	daemon_notify_reload(d, nns);
	if (!keep_old) {
		conf_free(d->conf);
		pool_lists_free(d->lists);
	}
	d->conf = nc;
	d->lists = nl;
	d->uplinks = nu;
	probe_reload(d);
	log_info("reloaded: %zu pool domains, %zu pool endpoints", domain_set_count(nl->domains),
		 ep_table_count(nl->endpoints));
	d->reloads_ok++;
	return 0;
fail:
	log_warnx("reload failed: %s; keeping the running configuration", fail);
	d->reloads_failed++;
	*why = strdup(fail);
	daemon_notify_set_free(nns);
	conf_free(nc);
	pool_lists_free(nl);
	return -1;
}

int daemon_reload(struct daemon *d, char **report)
{
	char *text = NULL, *why = NULL;
	size_t len = 0;
	FILE *copy = report ? open_memstream(&text, &len) : NULL;
	int rc;

	/* Everything this thread logs meanwhile is also the answer. */
	log_capture(copy);
	rc = reload_apply(d, &why);
	log_capture(NULL);
	if (copy)
		fclose(copy);
	if (!report) {
		free(why);
		free(text);
	} else if (rc < 0) {
		*report = why;
		free(text);
	} else {
		*report = text ? text : strdup("");
		free(why);
	}
	return rc;
}

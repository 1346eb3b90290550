// SPDX-License-Identifier: GPL-2.0-or-later
/* minewalld: the inline verdict daemon. Start-up, the event loop, reload, exit. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "conf.h"
#include "daemon.h"
#include "daemon_enforce.h"
#include "daemon_feeds.h"
#include "ctl_cmds.h"
#include "ctl_server.h"
#include "detect.h"
#include "domain_set.h"
#include "ep_table.h"
#include "engine.h"
#include "eventlog.h"
#include "probe.h"
#include "evloop.h"
#include "log.h"
#include "metrics.h"
#include "mwstats.h"
#include "offline.h"
#include "pool_lists.h"
#include "privs.h"
#include "queue.h"
#include "ruleset.h"
#include "workers.h"

#define DEFAULT_CONF SYSCONFDIR "/minewall/minewall.conf"
#define TICK_MS 1000



static void usage(void)
{
	fprintf(stderr,
		"usage: minewalld [-c FILE] [-f] [-t] [-v] [-r CAPTURE]\n"
		"  -c FILE     configuration file (default %s)\n"
		"  -f          stay in the foreground, log to stderr\n"
		"  -t          check the configuration and the files it names, then exit\n"
		"  -v          verbose: debug logging\n"
		"  -r CAPTURE  run the detectors on a pcap/pcapng file, print events, exit\n",
		DEFAULT_CONF);
	exit(2);
}

/* Load a config and the lists it names; print every error. */
static int load_all(const char *path, struct mw_conf **c, struct pool_lists **l, FILE *errs)
{
	if (conf_load(path, c, errs) < 0)
		return -1;
	*l = pool_lists_load(*c, errs);
	if (!*l) {
		conf_free(*c);
		*c = NULL;
		return -1;
	}
	return 0;
}

/* The forward hook's outside: protect.interfaces, or else the interfaces of
 * the default routes. Without either, who opened a forwarded flow cannot be
 * told, and judging it anyway could block a tenant as a "pool" for what an
 * outside host sent it: -1, with why (a sentence naming the setting). */
static int outside_of(const struct mw_conf *c, struct uplinks *u, char *why, size_t size)
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
static void ruleset_cfg_from(const struct mw_conf *c, struct uplinks *u,
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
		.probe_bypass = c->probe_enabled,
		.mark_mask = c->mark_mask,
		.policy = policy,
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

	eventlog_write(d->events, ev);
	if (!d->stopping)
		daemon_enforce_event(d, ev);
	if (!d->stopping && ev->type == EVENT_SUSPECT)
		probe_suspect(d, ev);
	ctl_cmds_event(d->cmds, ev);
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
static int open_queues(const struct mw_conf *c, const struct mw_conf *running,
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
static struct workers *start_workers(struct daemon *d, struct queue **qs, unsigned int n,
				     const struct mw_conf *c, const struct pool_lists *l)
{
	struct workers_view v = { .conf = c, .lists = l,
				  .pool_domains = daemon_feeds_pool_domains(d) };
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
static void stop_workers(struct daemon *d, struct queue **keep)
{
	if (!d->workers)
		return;
	evloop_del(d->loop, workers_fd(d->workers));
	workers_stop(d->workers, keep, &d->workers_retired);
	d->workers = NULL;
}

/* What minewallctl status/stats and /metrics report. */
static void daemon_snapshot(void *arg, struct mwstats *st)
{
	struct daemon *d = arg;
	struct workers_stats ws;

	st->start_time = d->start_time;
	st->uptime_s = (now_monotonic_ms() - d->start_ms) / 1000u;
	st->conf_path = d->conf->path;
	st->mech = ruleset_mech_name(d->mech);
	st->queue_first = d->conf->queue_num;
	st->queue_count = d->conf->queue_count;
	st->fail_open = d->conf->fail_open;
	workers_get_stats(d->workers, &d->workers_retired, &ws);
	st->queue = ws.queue;
	st->engine = ws.engine;
	st->flows = ws.flows;
	st->mailbox_lost = ws.mailbox_lost;
	st->flow_capacity = d->conf->max_flows;
	st->reloads_ok = d->reloads_ok;
	st->reloads_failed = d->reloads_failed;
	enforce_sweep_stats(daemon_enforcer(d), &st->ct_sweep);
	st->refused_conns = daemon_enforce_refused(d);
	st->tally = ctl_cmds_tally(d->cmds);
	{
		struct probe_stats ps;

		probe_get_stats(d, &ps);
		st->suspects = ps.suspects;
		memcpy(st->probes, ps.outcomes, sizeof(st->probes));
	}
}

static int reload(struct daemon *d, char **why);

static int daemon_reload_cb(void *arg, char **why)
{
	return reload(arg, why);
}

/* The control socket, its commands and the metrics endpoint. Start-up only. */
static void daemon_ctl_init(struct daemon *d)
{
	struct ctl_server_cfg cc = {
		.path = d->conf->ctl_socket,
		.mode = (mode_t)d->conf->ctl_mode,
		.group = d->conf->ctl_group,
	};
	struct ctl_cmds_host host = { daemon_snapshot, daemon_reload_cb, d };

	d->start_time = time(NULL);
	d->start_ms = now_monotonic_ms();
	d->ctl = ctl_server_open(d->loop, &cc);
	if (!d->ctl)
		fatalx("cannot create the control socket %s", cc.path);
	d->cmds = ctl_cmds_new(d->ctl, &host);
	if (!d->cmds)
		fatalx("control commands: out of memory");
	if (d->conf->metrics_listen) {
		d->metrics = metrics_open(d->loop, d->conf->metrics_listen, daemon_snapshot, d);
		if (!d->metrics)
			fatalx("cannot listen for metrics on %s", d->conf->metrics_listen);
	}
}

static bool str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

static void daemon_ctl_reloaded(const struct daemon *d, const struct mw_conf *nc)
{
	if (str_differs(nc->ctl_socket, d->conf->ctl_socket) || nc->ctl_mode != d->conf->ctl_mode ||
	    str_differs(nc->ctl_group, d->conf->ctl_group) ||
	    str_differs(nc->metrics_listen, d->conf->metrics_listen))
		log_warnx("control { } and metrics { } take effect at the next start");
}

static void daemon_ctl_fini(struct daemon *d)
{
	metrics_close(d->metrics);
	ctl_server_close(d->ctl);
	ctl_cmds_free(d->cmds);
}

/* SIGHUP and `minewallctl reload`: parse, validate, then swap. Any failure keeps
 * the running state; 0, or -1 with *why (malloc'd, when why is not NULL) saying why. */
static int reload(struct daemon *d, char **why)
{
	struct mw_conf *nc = NULL;
	struct pool_lists *nl = NULL;
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
	if (!errs || load_all(d->conf->path, &nc, &nl, errs) < 0) {
		if (errs)
			fclose(errs);
		log_warnx("reload failed, keeping the running configuration:\n%s",
			  errtext ? errtext : "out of memory");
		d->reloads_failed++;
		if (why)
			*why = errtext ? errtext : strdup("out of memory");
		else
			free(errtext);
		return -1;
	}
	fclose(errs);
	free(errtext);

	new_queues = nc->queue_num != d->conf->queue_num || nc->queue_count != d->conf->queue_count;
	/* New queues listen before the rules point at them, so no packet finds no listener. */
	if (new_queues && open_queues(nc, d->conf, nq, &nn) < 0) {
		fail = "cannot open the new queues";
		goto fail;
	}
	if (outside_of(nc, &nu, outside_why, sizeof(outside_why)) < 0) {
		fail = outside_why;
		for (i = 0; i < nn; i++)
			queue_close(nq[i]);
		goto fail;
	}
	ruleset_cfg_from(nc, &nu, &rc, &policy, feed_names);
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

		stop_workers(d, old);
		reuse_queues(d->conf, nc, old, nq);
		nw = start_workers(d, nq, nn, nc, nl);
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
	if (nc->max_flows != d->conf->max_flows || nc->max_buffers != d->conf->max_buffers ||
	    nc->inspect_bytes != d->conf->inspect_bytes)
		log_warnx("flows.max, flows.buffers and flows.inspect_bytes take effect at the next start");
	daemon_ctl_reloaded(d, nc);
	if (eventlog_reopen(d->events, nc->event_log) < 0)
		log_warnx("keeping the previous event log");
	log_set_level(nc->log_level);
	/* The rules are in; sets follow the new lists and allowlists. A failure
	 * here leaves the old elements in place, which is logged. */
	daemon_enforce_reload(d, nc, nl);
	daemon_feeds_reload(d, nc, nl);
	if (!keep_old) {
		conf_free(d->conf);
		pool_lists_free(d->lists);
	}
	d->conf = nc;
	d->lists = nl;
	d->uplinks = nu;
	probe_reload(d);
	log_info("reloaded: %zu pool domains, %zu pool endpoints", domain_set_count(nl->domains), ep_table_count(nl->endpoints));
	d->reloads_ok++;
	return 0;
fail:
	log_warnx("reload failed: %s; keeping the running configuration", fail);
	d->reloads_failed++;
	if (why)
		*why = strdup(fail);
	conf_free(nc);
	pool_lists_free(nl);
	return -1;
}

static void on_signal(struct evloop *loop, int fd, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_info("signal %d: shutting down", (int)si.ssi_signo);
			evloop_stop(loop);
			break;
		case SIGHUP:
			reload(d, NULL);
			break;
		}
	}
}

/* A verdict loop (a packet back in the queue with our own verdict mark) is
 * dropped by the worker and counted; say so here, at most every 10 s. */
static void warn_verdict_loops(struct daemon *d)
{
	struct workers_stats ws;
	uint64_t now = now_monotonic_ms();

	if (!d->workers || now - d->loops_warned_ms < 10000)
		return;
	workers_get_stats(d->workers, &d->workers_retired, &ws);
	if (ws.engine.verdict_loops <= d->loops_seen)
		return;
	log_warnx("verdict loop: %" PRIu64 " packets came back to the queue carrying "
		  "minewall's drop or reject mark (dropped, %" PRIu64 " in all); the ruleset "
		  "did not act on them: check other rules that rewrite the packet mark",
		  ws.engine.verdict_loops - d->loops_seen, ws.engine.verdict_loops);
	d->loops_seen = ws.engine.verdict_loops;
	d->loops_warned_ms = now;
}

static void on_tick(struct evloop *loop, int fd, void *arg)
{
	struct daemon *d = arg;
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) < 0)
		return;
	warn_verdict_loops(d);
	daemon_enforce_tick(d);
	probe_tick(d);
	daemon_feeds_tick(d);
}

static int setup_fds(struct daemon *d)
{
	struct itimerspec its = { { TICK_MS / 1000, 0 }, { TICK_MS / 1000, 0 } };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->sigfd < 0 || d->timerfd < 0 || timerfd_settime(d->timerfd, 0, &its, NULL) < 0)
		return -1;
	if (evloop_add(d->loop, d->sigfd, on_signal, d) < 0 ||
	    evloop_add(d->loop, d->timerfd, on_tick, d) < 0)
		return -1;
	return 0;
}

/* Start-up is done (rules in, sockets made, control socket chowned): keep only what the
 * packet path, reloads and the exit need. A capability that cannot be lowered is fatal. */
static void daemon_drop_privs(void)
{
	struct privs_sets s;
	const char *step;
	char kept[64], left[512];

	if (privs_drop(privs_daemon_keep(), &step) < 0)
		fatal("dropping capabilities: %s", step);
	if (privs_read(&s) < 0) {
		log_warn("capabilities dropped, but /proc/self/status is unreadable");
		return;
	}
	privs_names(s.eff, kept, sizeof(kept));
	log_info("capabilities: kept %s; no_new_privs set", kept);
	if (s.bnd & ~privs_daemon_keep()) {
		privs_names(s.bnd & ~privs_daemon_keep(), left, sizeof(left));
		log_warnx("no CAP_SETPCAP: the bounding set still holds %s (no_new_privs keeps "
			  "an exec from gaining them)", left);
	}
}

static int run_daemon(struct daemon *d)
{
	struct ruleset_cfg rc;
	struct enforce_policy policy;
	const char *feed_names[CONF_MAX_FEEDS];
	struct queue *qs[CONF_MAX_QUEUES];
	unsigned int nq = 0;
	char why[320];

	if (outside_of(d->conf, &d->uplinks, why, sizeof(why)) < 0)
		fatalx("%s", why);
	if (detect_init() < 0)
		fatalx("detector initialisation failed");
	d->events = eventlog_open(d->conf->event_log);
	d->loop = evloop_new();
	if (!d->events || !d->loop)
		fatalx("start-up failed: out of memory or event log unwritable");
	if (setup_fds(d) < 0)
		fatal("signals and timers");
	daemon_ctl_init(d);
	if (ruleset_probe(&d->mech) < 0)
		fatalx("nftables is not usable (is this root with CAP_NET_ADMIN, and nf_tables loaded?)");
	log_info("queue mechanism: %s", ruleset_mech_name(d->mech));
	/* Listen first, then point the rules at the queues. */
	if (open_queues(d->conf, NULL, qs, &nq) < 0)
		fatalx("cannot bind NFQUEUE %u..%u (is another program bound to it?)",
		       d->conf->queue_num, d->conf->queue_num + d->conf->queue_count - 1);
	d->workers = start_workers(d, qs, nq, d->conf, d->lists);
	if (!d->workers)
		fatalx("cannot start the queue workers");
	ruleset_cfg_from(d->conf, &d->uplinks, &rc, &policy, feed_names);
	if (d->uplinks.n) {
		char names[UPLINKS_MAX * (IF_NAMESIZE + 1)] = "";
		unsigned int i;

		for (i = 0; i < d->uplinks.n; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i ? " " : "", d->uplinks.name[i]);
		log_info("forward hook: the outside is %s (the default routes' interfaces)", names);
	}
	if (ruleset_install(&rc, d->mech) < 0) {
		stop_workers(d, NULL);
		fatalx("cannot install the nftables rules");
	}
	if (daemon_enforce_init(d) < 0) {
		ruleset_remove();
		stop_workers(d, NULL);
		fatalx("cannot fill minewall's enforcement sets");
	}
	/* Feeds after enforcement: their sets exist and the allowlist is in. */
	if (daemon_feeds_init(d) < 0)
		log_warnx("feeds not running; detection and enforcement go on without them");
	daemon_drop_privs();
	/* After the drop: the probe threads start with what the daemon keeps. */
	if (probe_start(d) < 0)
		log_warnx("probe: not running; suspects are reported, not probed");
	log_info("minewall %s running: queues %u..%u, %s, hooks:%s%s, %zu pool domains, %zu pool endpoints",
		 PACKAGE_VERSION, d->conf->queue_num, d->conf->queue_num + d->conf->queue_count - 1,
		 d->conf->fail_open ? "fail-open" : "fail-closed",
		 d->conf->hook_output ? " output" : "", d->conf->hook_forward ? " forward" : "",
		 domain_set_count(d->lists->domains), ep_table_count(d->lists->endpoints));

	if (evloop_run(d->loop) < 0)
		d->exit_code = 1;

	/* Rules first, so no packet is queued to a socket about to close; then
	 * the workers give what is queued its verdict; then state is saved. */
	daemon_feeds_fini(d);
	if (ruleset_remove() < 0) {
		log_warnx("could not remove minewall's nftables tables");
		d->exit_code = 1;
	}
	d->stopping = true;
	stop_workers(d, NULL);
	probe_stop(d);
	daemon_enforce_fini(d);
	daemon_ctl_fini(d);
	eventlog_close(d->events);
	evloop_free(d->loop);
	close(d->sigfd);
	close(d->timerfd);
	detect_fini();
	return d->exit_code;
}

int main(int argc, char **argv)
{
	const char *conf_path = DEFAULT_CONF, *capture = NULL;
	bool foreground = false, test_only = false, verbose = false;
	struct daemon d = { .sigfd = -1, .timerfd = -1 };
	int ch, rc;

	while ((ch = getopt(argc, argv, "c:ftvr:h")) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'f': foreground = true; break;
		case 't': test_only = true; break;
		case 'v': verbose = true; break;
		case 'r': capture = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();

	log_init("minewalld", 1, verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if (load_all(conf_path, &d.conf, &d.lists, stderr) < 0) {
		if (test_only)
			fprintf(stderr, "configuration %s: test failed\n", conf_path);
		return 1;
	}
	if (test_only) {
		char why[320];
		struct uplinks u;

		if (outside_of(d.conf, &u, why, sizeof(why)) < 0) {
			fprintf(stderr, "%s: %s\nconfiguration %s: test failed\n", conf_path, why,
				conf_path);
			rc = 1;
			goto out;
		}
		printf("configuration OK\n");
		rc = 0;
		goto out;
	}
	if (capture) {
		rc = offline_run(capture, d.conf, d.lists, stdout) < 0 ? 1 : 0;
		goto out;
	}
	if (!verbose)
		log_set_level(d.conf->log_level);
	if (!foreground) {
		if (daemon(0, 0) < 0)
			fatal("daemon");
		log_init("minewalld", 0, verbose ? LOG_LVL_DEBUG : d.conf->log_level);
	} else if (d.conf->log_syslog) {
		log_init("minewalld", 0, verbose ? LOG_LVL_DEBUG : d.conf->log_level);
	}
	rc = run_daemon(&d);
out:
	pool_lists_free(d.lists);
	conf_free(d.conf);
	return rc;
}

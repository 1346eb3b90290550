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
#include "daemon_notify.h"
#include "daemon_run.h"
#include "ctl_cmds.h"
#include "ctl_server.h"
#include "detect.h"
#include "domain_set.h"
#include "ep_table.h"
#include "engine.h"
#include "eventlog.h"
#include "evloop.h"
#include "log.h"
#include "metrics.h"
#include "mwstats.h"
#include "offline.h"
#include "pool_lists.h"
#include "privs.h"
#include "probe.h"
#include "queue.h"
#include "ruleset.h"
#include "synlog.h"
#include "workers.h"

#define DEFAULT_CONF SYSCONFDIR "/minewall/minewall.conf"
#define TICK_MS 1000



/* To stdout with status 0 when asked for (-h, --help), else to stderr with status 2. */
static void usage_to(FILE *out, int code) __attribute__((noreturn));
static void usage_to(FILE *out, int code)
{
	fprintf(out,
		"usage: minewalld [-c FILE] [-f] [-t] [-v] [-r CAPTURE]\n"
		"       minewalld -h | --help | --version\n"
		"  -c FILE     configuration file (default %s)\n"
		"  -f          stay in the foreground, log to stderr\n"
		"  -t          check the configuration and the files it names, then exit\n"
		"  -v          verbose: debug logging\n"
		"  -r CAPTURE  run the detectors on a pcap/pcapng file (- for stdin), print\n"
		"              events, exit; without -c and without the default file, on the\n"
		"              built-in defaults and the installed lists\n"
		"Defaults: state file %s, feed state %s, control socket %s.\n"
		"See minewalld(8), minewall.conf(5).\n",
		DEFAULT_CONF, MW_STATEDIR "/state", MW_STATEDIR "/feeds", CONF_DEFAULT_CONTROL_SOCKET);
	exit(code);
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
	st->now = time(NULL);
	st->syn_log = d->syns != NULL;
	st->syns = ws.syns;
	daemon_enforce_stats(d, st);
	daemon_feeds_stats(d, st);
	daemon_notify_stats(d, st);
	{
		struct probe_stats ps;

		probe_get_stats(d, &ps);
		st->suspects = ps.suspects;
		memcpy(st->probes, ps.outcomes, sizeof(st->probes));
	}
}

static int daemon_reload_cb(void *arg, char **report)
{
	return daemon_reload(arg, report);
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

static void daemon_ctl_fini(struct daemon *d)
{
	metrics_close(d->metrics);
	ctl_server_close(d->ctl);
	ctl_cmds_free(d->cmds);
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
			daemon_reload(d, NULL);
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
	daemon_feeds_tick(d);
	probe_tick(d);
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

/* queue.syns = "log": bind the SYN log's group before the rules name it.
 * Without nft_log or nfnetlink_log, or with the group taken, SYNs are
 * queued as before: one more trip per new TCP flow, nothing unjudged. */
static void syns_open(struct daemon *d)
{
	const struct mw_conf *c = d->conf;

	if (!c->syn_log)
		return;
	if (ruleset_probe_log(c->syn_group) == 1) {
		d->syns = synlog_new(c->max_flows, c->idle_timeout * 1000u);
		if (d->syns && synlog_bind(d->syns, c->syn_group) == 0) {
			log_info("SYN log: NFLOG group %u; SYNs are forwarded in the kernel",
				 c->syn_group);
			return;
		}
		synlog_free(d->syns);
		d->syns = NULL;
	}
	log_warnx("SYN log unavailable: SYNs are queued (two trips per new TCP flow)");
}

static int run_daemon(struct daemon *d, struct notify_set *ns)
{
	struct ruleset_cfg rc;
	struct enforce_policy policy;
	const char *feed_names[CONF_MAX_FEEDS];
	struct queue *qs[CONF_MAX_QUEUES];
	unsigned int nq = 0;
	char why[320];

	if (daemon_outside_of(d->conf, &d->uplinks, why, sizeof(why)) < 0)
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
	syns_open(d);
	/* Listen first, then point the rules at the queues. */
	if (daemon_open_queues(d->conf, NULL, qs, &nq) < 0)
		fatalx("cannot bind NFQUEUE %u..%u (is another program bound to it?)",
		       d->conf->queue_num, d->conf->queue_num + d->conf->queue_count - 1);
	d->workers = daemon_start_workers(d, qs, nq, d->conf, d->lists);
	if (!d->workers)
		fatalx("cannot start the queue workers");
	daemon_ruleset_cfg(d, d->conf, &d->uplinks, &rc, &policy, feed_names);
	if (d->uplinks.n) {
		char names[UPLINKS_MAX * (IF_NAMESIZE + 1)] = "";
		unsigned int i;

		for (i = 0; i < d->uplinks.n; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i ? " " : "", d->uplinks.name[i]);
		log_info("forward hook: the outside is %s (the default routes' interfaces)", names);
	}
	if (ruleset_install(&rc, d->mech) < 0) {
		daemon_stop_workers(d, NULL);
		fatalx("cannot install the nftables rules");
	}
	if (daemon_enforce_init(d) < 0) {
		ruleset_remove();
		daemon_stop_workers(d, NULL);
		fatalx("cannot fill minewall's enforcement sets");
	}
	/* Feeds after enforcement: their sets exist and the allowlist is in. */
	if (daemon_feeds_init(d) < 0)
		log_warnx("feeds not running; detection and enforcement go on without them");
	daemon_drop_privs();
	/* After the drop: the delivery thread and the commands it runs inherit it. */
	if (daemon_notify_init(d, ns) < 0)
		log_warnx("notify receivers not running; detection and enforcement go on without them");
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
	daemon_stop_workers(d, NULL);
	synlog_free(d->syns);
	probe_stop(d);
	daemon_notify_fini(d);
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
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf_path = DEFAULT_CONF, *capture = NULL;
	bool foreground = false, test_only = false, verbose = false, conf_given = false;
	struct daemon d = { .sigfd = -1, .timerfd = -1 };
	struct notify_set *ns = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:ftvr:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; conf_given = true; break;
		case 'f': foreground = true; break;
		case 't': test_only = true; break;
		case 'v': verbose = true; break;
		case 'r': capture = optarg; break;
		case 'h': usage_to(stdout, 0);
		case 'V':
			printf("minewalld %s\n", PACKAGE_VERSION);
			return 0;
		default: usage_to(stderr, 2);
		}
	}
	if (optind != argc)
		usage_to(stderr, 2);

	log_init("minewalld", 1, verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	/* Reading a capture needs no configuration of this host: without one,
	 * the built-in defaults, which name the installed lists. */
	if (capture && !test_only && !conf_given && access(conf_path, F_OK) < 0 && errno == ENOENT) {
		fprintf(stderr, "minewalld: no %s: built-in defaults\n", conf_path);
		if (conf_load_string("", conf_path, &d.conf, stderr) < 0 ||
		    !(d.lists = pool_lists_load(d.conf, stderr)))
			goto out_fail;
	} else if (daemon_load_all(conf_path, &d.conf, &d.lists, &ns, stderr) < 0) {
		if (test_only)
			fprintf(stderr, "configuration %s: test failed\n", conf_path);
		return 1;
	}
	if (test_only) {
		char why[320];
		struct uplinks u;

		if (daemon_outside_of(d.conf, &u, why, sizeof(why)) < 0) {
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
	rc = run_daemon(&d, ns);
	ns = NULL;
out:
	daemon_notify_set_free(ns);
	pool_lists_free(d.lists);
	conf_free(d.conf);
	return rc;
out_fail:
	conf_free(d.conf);
	return 1;
}

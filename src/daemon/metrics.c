// SPDX-License-Identifier: GPL-2.0-or-later
/* Prometheus /metrics over a bounded, non-blocking HTTP/1.x server in the event loop. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "addr_port.h"
#include "detect.h"
#include "http_req.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"

struct metrics_client {
	int fd;
	uint64_t deadline_ms;
	size_t in_len;
	uint8_t in[METRICS_MAX_REQUEST];
	char *out;		/* the whole response once the request is judged */
	size_t out_len, out_off;
	bool draining;		/* answered: reading what is left until the peer closes */
};

struct metrics {
	struct evloop *loop;
	struct listener *lst;
	mwstats_fn fn;
	void *arg;
};

int metrics_http_check(const uint8_t *buf, size_t len)
{
	struct http_req req;
	const uint8_t *q;
	size_t path_len;

	switch (http_req_parse(buf, len, &req)) {
	case HTTP_INCOMPLETE:
		return len >= METRICS_MAX_REQUEST ? 400 : 0;
	case HTTP_INVALID:
		return 400;
	case HTTP_OK:
		break;
	}
	q = memchr(req.target, '?', req.target_len);
	path_len = q ? (size_t)(q - req.target) : req.target_len;
	if (path_len != 8 || memcmp(req.target, "/metrics", 8) != 0)
		return 404;
	if (req.method_len != 3 || memcmp(req.method, "GET", 3) != 0)
		return 405;
	return 200;
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values: escape backslash, quote and line feed. */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void feed_sample(FILE *f, const char *family_name, const char *feed, const char *label,
			const char *value, const char *num)
{
	fprintf(f, "%s{feed=\"", family_name);
	label_value(f, feed);
	if (label)
		fprintf(f, "\",%s=\"%s", label, value);
	fprintf(f, "\"} %s\n", num);
}

enum feed_value {
	FV_SERIAL, FV_LAG, FV_AGE, FV_ENTRIES, FV_LAST_OK, FV_LAST_ERROR, FV_FALLBACKS
};

/* One feed's value of a per-feed metric into num; false: it has none (no sample). */
static bool feed_value(const struct mwstats *st, const struct mwstats_feed *m,
		       enum feed_value what, char *num, size_t size)
{
	switch (what) {
	case FV_SERIAL:
		snprintf(num, size, "%" PRIu64, m->serial);
		return true;
	case FV_LAG:
		snprintf(num, size, "%lld", (long long)(st->now - m->issued));
		return m->issued != 0;
	case FV_AGE:
		snprintf(num, size, "%lld", m->in_force ? (long long)(st->now - m->accepted) : -1);
		return true;
	case FV_ENTRIES:
		snprintf(num, size, "%zu", m->entries);
		return true;
	case FV_LAST_OK:
		snprintf(num, size, "%lld", (long long)m->last_ok);
		return true;
	case FV_LAST_ERROR:
		snprintf(num, size, "%lld", (long long)m->last_error_time);
		return true;
	case FV_FALLBACKS:
		snprintf(num, size, "%lu", m->fallbacks);
		return true;
	}
	return false;
}

/* A family with one unlabelled sample per feed that has the value. */
static void feed_family(FILE *f, const struct mwstats *st, const char *name, const char *type,
			const char *help, enum feed_value what)
{
	unsigned int i;
	char num[32];

	family(f, name, type, help);
	for (i = 0; i < st->n_feeds; i++)
		if (feed_value(st, &st->feeds[i], what, num, sizeof(num)))
			feed_sample(f, name, st->feeds[i].name, NULL, NULL, num);
}

/* Per feed subscription: what is in force, how fresh, how it got there. */
static void render_feeds(FILE *f, const struct mwstats *st)
{
	static const char *const polls[] = { "304", "200", "error" };
	unsigned int i, k;
	char num[32];

	feed_family(f, st, "minewall_feed_serial", "gauge", "Serial of the feed in force (0: none).",
		    FV_SERIAL);
	feed_family(f, st, "minewall_feed_lag_seconds", "gauge",
		    "Now minus the issue time of the serial in force (only feeds with one).", FV_LAG);
	feed_family(f, st, "minewall_feed_age_seconds", "gauge",
		    "Seconds since the feed in force was applied (-1: none applied).", FV_AGE);
	feed_family(f, st, "minewall_feed_entries", "gauge",
		    "Entries (addresses and domains) of the feed in force.", FV_ENTRIES);
	feed_family(f, st, "minewall_feed_last_success_timestamp_seconds", "gauge",
		    "Last fetch that ended applied or unchanged, since the epoch (0: never).",
		    FV_LAST_OK);
	feed_family(f, st, "minewall_feed_last_error_timestamp_seconds", "gauge",
		    "Last fetch refused or failed, since the epoch (0: never); the reason is in "
		    "minewallctl feeds list.", FV_LAST_ERROR);
	family(f, "minewall_feed_polls_total", "counter",
	       "Polls of a feed's index, by result (304 not modified, 200 changed, error).");
	for (i = 0; i < st->n_feeds; i++)
		for (k = 0; k < 3; k++) {
			snprintf(num, sizeof(num), "%lu", st->feeds[i].polls[k]);
			feed_sample(f, "minewall_feed_polls_total", st->feeds[i].name, "result",
				    polls[k], num);
		}
	family(f, "minewall_feed_applies_total", "counter",
	       "New versions of a feed applied, by path (delta chain or snapshot).");
	for (i = 0; i < st->n_feeds; i++) {
		snprintf(num, sizeof(num), "%lu", st->feeds[i].delta_applies);
		feed_sample(f, "minewall_feed_applies_total", st->feeds[i].name, "via", "delta", num);
		snprintf(num, sizeof(num), "%lu", st->feeds[i].snapshot_applies);
		feed_sample(f, "minewall_feed_applies_total", st->feeds[i].name, "via", "snapshot",
			    num);
	}
	feed_family(f, st, "minewall_feed_fallbacks_total", "counter",
		    "Times a missing or bad delta made a feed take its snapshot instead.",
		    FV_FALLBACKS);
	family(f, "minewall_feed_failures_total", "counter",
	       "Fetches that did not give a feed in force, by feed and kind (rejected: "
	       "signature, format or policy; error: fetch, disk or apply).");
	for (i = 0; i < st->n_feeds; i++) {
		snprintf(num, sizeof(num), "%lu", st->feeds[i].rejected);
		feed_sample(f, "minewall_feed_failures_total", st->feeds[i].name, "kind", "rejected",
			    num);
		snprintf(num, sizeof(num), "%lu", st->feeds[i].errors);
		feed_sample(f, "minewall_feed_failures_total", st->feeds[i].name, "kind", "error", num);
	}
}

void metrics_render(FILE *f, const struct mwstats *st)
{
	static const char *const actions[] = { "accept", "drop", "repeat" };
	static const char *const tiers[] = { "watch", "throttle", "quarantine" };
	uint64_t v[3] = { st->queue.accepted, st->queue.dropped, st->queue.repeated };
	unsigned int i;

	family(f, "minewall_up", "gauge", "1 while minewalld is running.");
	fprintf(f, "minewall_up 1\n");
	family(f, "minewall_start_time_seconds", "gauge", "Start time of minewalld since the epoch.");
	fprintf(f, "minewall_start_time_seconds %lld\n", (long long)st->start_time);
	family(f, "minewall_packets_queued_total", "counter", "Packets received from NFQUEUE.");
	fprintf(f, "minewall_packets_queued_total %" PRIu64 "\n", st->queue.packets);
	family(f, "minewall_verdicts_total", "counter", "Verdicts given, by action.");
	for (i = 0; i < 3; i++)
		fprintf(f, "minewall_verdicts_total{action=\"%s\"} %" PRIu64 "\n", actions[i], v[i]);
	family(f, "minewall_detections_total", "counter", "Flows a detector matched, by detector and dialect.");
	/* Every detector appears, so a rate() over a fresh series is never
	 * missing; "probe" is the prober's confirmations. */
	for (i = 0; i <= n_detectors && i < 32; i++) {
		const char *name = i < n_detectors ? detectors[i]->name : "probe";
		unsigned int k;
		bool listed = false;

		for (k = 0; k < st->tally->n; k++) {
			const struct mwstats_tally_entry *e = &st->tally->e[k];

			if (strcmp(e->detector, name) != 0)
				continue;
			fprintf(f, "minewall_detections_total{detector=\"");
			label_value(f, e->detector);
			fprintf(f, "\",dialect=\"");
			label_value(f, e->dialect);
			fprintf(f, "\"} %" PRIu64 "\n", e->count);
			listed = true;
		}
		if (!listed)
			fprintf(f, "minewall_detections_total{detector=\"%s\",dialect=\"\"} 0\n",
				name);
	}
	family(f, "minewall_probes_total", "counter",
	       "Suspect TLS servers probed (or not: skipped, limited), by outcome.");
	for (i = 0; i < PROBE_N_OUTCOMES; i++)
		fprintf(f, "minewall_probes_total{outcome=\"%s\"} %" PRIu64 "\n",
			probe_outcome_name((enum probe_outcome)i), st->probes[i]);
	family(f, "minewall_queue_enobufs_total", "counter",
	       "Times the kernel could not deliver to minewalld (packets followed the fail mode).");
	fprintf(f, "minewall_queue_enobufs_total %" PRIu64 "\n", st->queue.enobufs);
	family(f, "minewall_syn_records_total", "counter",
	       "SYNs the kernel forwarded and logged to minewalld (queue.syns = \"log\").");
	fprintf(f, "minewall_syn_records_total %" PRIu64 "\n", st->syns.records);
	family(f, "minewall_syn_records_lost_total", "counter",
	       "SYN records the kernel could not deliver (log overrun): their flows are judged midstream.");
	fprintf(f, "minewall_syn_records_lost_total %" PRIu64 "\n", st->syns.lost);
	family(f, "minewall_tcp_flows_started_total", "counter",
	       "TCP flows whose first queued packet was not their SYN, by whether the SYN log had its record.");
	fprintf(f, "minewall_tcp_flows_started_total{syn=\"logged\"} %" PRIu64 "\n", st->engine.syn_found);
	fprintf(f, "minewall_tcp_flows_started_total{syn=\"missing\"} %" PRIu64 "\n",
		st->engine.syn_missing);
	family(f, "minewall_queue_errors_total", "counter", "Malformed queue messages and failed sends.");
	fprintf(f, "minewall_queue_errors_total %" PRIu64 "\n", st->queue.errors);
	family(f, "minewall_flows", "gauge", "Flows in the flow table.");
	fprintf(f, "minewall_flows %u\n", st->flows.active);
	family(f, "minewall_flows_created_total", "counter", "Flows created.");
	fprintf(f, "minewall_flows_created_total %" PRIu64 "\n", st->flows.created);
	family(f, "minewall_flows_evicted_total", "counter", "Flows evicted to make room.");
	fprintf(f, "minewall_flows_evicted_total %" PRIu64 "\n", st->flows.evicted);
	family(f, "minewall_flow_table_capacity", "gauge", "Flows the table holds at most.");
	fprintf(f, "minewall_flow_table_capacity %u\n", st->flow_capacity);
	family(f, "minewall_learned_addresses_total", "counter", "Pool addresses learned from DNS answers.");
	fprintf(f, "minewall_learned_addresses_total %" PRIu64 "\n", st->engine.learned);
	family(f, "minewall_tunnels_total", "counter",
	       "Proxy tunnels (SOCKS, HTTP CONNECT) whose bytes the detectors judged.");
	fprintf(f, "minewall_tunnels_total %" PRIu64 "\n", st->engine.tunnels);
	family(f, "minewall_findings_lost_total", "counter",
	       "Findings the queue workers could not hand to the main thread (mailbox full).");
	fprintf(f, "minewall_findings_lost_total %" PRIu64 "\n", st->mailbox_lost);
	family(f, "minewall_verdict_loops_total", "counter",
	       "Packets that came back to the queue carrying minewall's drop or reject verdict (dropped).");
	fprintf(f, "minewall_verdict_loops_total %" PRIu64 "\n", st->engine.verdict_loops);
	family(f, "minewall_malformed_packets_total", "counter", "Packets whose headers failed to parse.");
	fprintf(f, "minewall_malformed_packets_total %" PRIu64 "\n", st->engine.malformed);
	family(f, "minewall_ct_sweeps_total", "counter",
	       "Conntrack sweeps before clean-generation flips, by result.");
	fprintf(f, "minewall_ct_sweeps_total{result=\"ok\"} %" PRIu64 "\n",
		st->ct_sweep.runs - st->ct_sweep.failed);
	fprintf(f, "minewall_ct_sweeps_total{result=\"failed\"} %" PRIu64 "\n", st->ct_sweep.failed);
	family(f, "minewall_ct_swept_entries_total", "counter",
	       "Conntrack entries moved off the next clean generation, by outcome.");
	fprintf(f, "minewall_ct_swept_entries_total{outcome=\"rewritten\"} %" PRIu64 "\n",
		st->ct_sweep.swept);
	fprintf(f, "minewall_ct_swept_entries_total{outcome=\"vanished\"} %" PRIu64 "\n",
		st->ct_sweep.vanished);
	fprintf(f, "minewall_ct_swept_entries_total{outcome=\"left\"} %" PRIu64 "\n",
		st->ct_sweep.left);
	family(f, "minewall_refused_connections_total", "counter",
	       "Connections the block sets refused in the kernel, counted against their hosts.");
	fprintf(f, "minewall_refused_connections_total %" PRIu64 "\n", st->refused_conns);
	family(f, "minewall_notify_deliveries_total", "counter",
	       "Notifications by receiver and outcome: delivered, rejected, timeout and error count "
	       "attempts; gave_up, dropped and coalesced count notices.");
	for (i = 0; i < st->n_notify; i++) {
		unsigned int k;

		for (k = 0; k < NOTIFY_OUTCOMES; k++) {
			fprintf(f, "minewall_notify_deliveries_total{receiver=\"");
			label_value(f, st->notify[i]->name);
			fprintf(f, "\",outcome=\"%s\"} %" PRIu64 "\n",
				notify_outcome_name((enum notify_outcome)k),
				(uint64_t)atomic_load(&st->notify[i]->n[k]));
		}
	}
	family(f, "minewall_notify_queued", "gauge",
	       "Notifications waiting or in flight, by receiver.");
	for (i = 0; i < st->n_notify; i++) {
		fprintf(f, "minewall_notify_queued{receiver=\"");
		label_value(f, st->notify[i]->name);
		fprintf(f, "\"} %u\n", atomic_load(&st->notify[i]->queued));
	}
	family(f, "minewall_hosts", "gauge", "Internal hosts escalation tracks, by tier.");
	for (i = 0; i < 3; i++)
		fprintf(f, "minewall_hosts{tier=\"%s\"} %" PRIu64 "\n", tiers[i], st->hosts[i]);
	family(f, "minewall_block_set_entries", "gauge",
	       "Entries of the block sets as last committed, by source (feed: by feed).");
	fprintf(f, "minewall_block_set_entries{source=\"detect\",feed=\"\"} %" PRIu64 "\n",
		st->blocks_detect);
	fprintf(f, "minewall_block_set_entries{source=\"dns\",feed=\"\"} %" PRIu64 "\n", st->blocks_dns);
	fprintf(f, "minewall_block_set_entries{source=\"list\",feed=\"\"} %" PRIu64 "\n",
		st->blocks_list);
	for (i = 0; i < st->n_feeds; i++) {
		fprintf(f, "minewall_block_set_entries{source=\"feed\",feed=\"");
		label_value(f, st->feeds[i].name);
		fprintf(f, "\"} %zu\n", st->feeds[i].blocked);
	}
	family(f, "minewall_reloads_total", "counter", "Configuration reloads, by result.");
	fprintf(f, "minewall_reloads_total{result=\"ok\"} %" PRIu64 "\n", st->reloads_ok);
	fprintf(f, "minewall_reloads_total{result=\"failed\"} %" PRIu64 "\n", st->reloads_failed);
	render_feeds(f, st);
}

static void client_free(void *client)
{
	struct metrics_client *c = client;

	free(c->out);
	free(c);
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	default: return "Bad Request";
	}
}

/* Build the whole response; the client is closed once it is written. */
static int client_respond(struct metrics *m, struct metrics_client *c, int status)
{
	char *body = NULL, *head = NULL;
	size_t body_len = 0;
	FILE *f = open_memstream(&body, &body_len);
	int hl;

	if (!f)
		return -1;
	if (status == 200) {
		struct mwstats st = { 0 };

		m->fn(m->arg, &st);
		metrics_render(f, &st);
	} else {
		fprintf(f, "%d %s\n", status, status_text(status));
	}
	if (fclose(f) != 0) {
		free(body);
		return -1;
	}
	hl = asprintf(&head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		      "%sConnection: close\r\n\r\n", status, status_text(status),
		      status == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain",
		      body_len, status == 405 ? "Allow: GET\r\n" : "");
	if (hl < 0 || !(c->out = malloc((size_t)hl + body_len))) {
		free(body);
		free(head);
		return -1;
	}
	memcpy(c->out, head, (size_t)hl);
	memcpy(c->out + hl, body, body_len);
	c->out_len = (size_t)hl + body_len;
	free(head);
	free(body);
	evloop_mod(m->loop, c->fd, true, true);
	return 0;
}

static void client_io(void *owner, void *client, unsigned int slot)
{
	struct metrics *m = owner;
	struct metrics_client *c = client;
	int fd = c->fd;

	if (c->draining) {
		unsigned int k;

		/* Bounded per call: the idle deadline ends a peer that never stops. */
		for (k = 0; k < 16; k++) {
			ssize_t n = read(fd, c->in, sizeof(c->in));

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n <= 0)
				break;
		}
		if (k == 16)
			return;
		listener_drop(m->lst, slot);
		return;
	}
	while (!c->out && c->in_len < sizeof(c->in)) {
		ssize_t n = read(fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
		int status;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			listener_drop(m->lst, slot);
			return;
		}
		c->in_len += (size_t)n;
		status = metrics_http_check(c->in, c->in_len);
		if (status && client_respond(m, c, status) < 0) {
			listener_drop(m->lst, slot);
			return;
		}
	}
	while (c->out && c->out_off < c->out_len) {
		ssize_t n = send(fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			listener_drop(m->lst, slot);
			return;
		}
		c->out_off += (size_t)n;
	}
	/* Closing with unread input would reset the connection and could destroy
	 * the answer in flight: half-close, then read until the peer closes. */
	if (c->out) {
		shutdown(fd, SHUT_WR);
		evloop_mod(m->loop, fd, true, false);
		c->draining = true;
		c->deadline_ms = listener_now_ms() + 2000;
		client_io(owner, client, slot);
	}
}

static void *client_new(void *owner, int fd)
{
	struct metrics_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->deadline_ms = listener_now_ms() + METRICS_IDLE_MS;
	return c;
}

static bool client_expired(void *owner, void *client, uint64_t now)
{
	return now > ((const struct metrics_client *)client)->deadline_ms;
}

/* No refusal lines: a client past the limit is simply closed. */
static const struct listener_ops metrics_listener_ops = {
	.name = "metrics",
	.client_new = client_new,
	.client_free = client_free,
	.client_io = client_io,
	.client_expired = client_expired,
};

struct metrics *metrics_open(struct evloop *loop, const char *listen_on, mwstats_fn fn, void *arg)
{
	struct sockaddr_storage ss;
	struct metrics *m;
	socklen_t len;
	int fd, one = 1;

	if (addr_port_parse(listen_on, &ss, &len) < 0) {
		log_warnx("metrics.listen \"%s\": not addr:port", listen_on);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->loop = loop;
	m->fn = fn;
	m->arg = arg;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		close(fd);
		goto err;
	}
	m->lst = listener_open(loop, fd, METRICS_MAX_CLIENTS, &metrics_listener_ops, m);
	if (!m->lst) {
		free(m);
		return NULL;
	}
	log_info("metrics on http://%s/metrics", listen_on);
	return m;
err:
	log_warn("metrics.listen %s", listen_on);
	free(m);
	return NULL;
}

void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	listener_close(m->lst);
	free(m);
}

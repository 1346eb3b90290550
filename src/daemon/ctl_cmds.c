// SPDX-License-Identifier: GPL-2.0-or-later
/* status, stats, events and reload for minewallctl: human tables or JSON. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_cmds.h"
#include "detect.h"
#include "evring.h"

struct ctl_cmds {
	struct ctl_server *server;
	struct ctl_cmds_host host;
	struct evring *ring;
	struct mwstats_tally tally;
};

static const char *verdict_names[] = { "accept", "drop", "repeat" };

static void verdicts(const struct mwstats *st, uint64_t v[3])
{
	v[0] = st->queue.accepted;
	v[1] = st->queue.dropped;
	v[2] = st->queue.repeated;
}

static int cmd_status(void *arg, const struct ctl_req *req, struct ctl_resp *r)
{
	struct ctl_cmds *cc = arg;
	struct mwstats st = { 0 };
	uint64_t v[3];
	unsigned int i;

	if (req->argc != 1)
		return ctl_resp_error(r, "usage", "usage: status");
	cc->host.snapshot(cc->host.arg, &st);
	verdicts(&st, v);
	if (r->json) {
		ctl_resp_printf(r, "{\"version\":\"%s\",\"uptime_seconds\":%" PRIu64
				",\"start_time\":%lld,\"config\":", PACKAGE_VERSION, st.uptime_s,
				(long long)st.start_time);
		ctl_resp_json_str(r, st.conf_path);
		ctl_resp_printf(r, ",\"queue_mechanism\":");
		ctl_resp_json_str(r, st.mech);
		ctl_resp_printf(r, ",\"queues\":{\"first\":%u,\"count\":%u},\"fail_mode\":\"%s\","
				"\"flows\":{\"active\":%u,\"capacity\":%u},\"verdicts\":{",
				st.queue_first, st.queue_count, st.fail_open ? "open" : "closed",
				st.flows.active, st.flow_capacity);
		for (i = 0; i < 3; i++)
			ctl_resp_printf(r, "%s\"%s\":%" PRIu64, i ? "," : "", verdict_names[i], v[i]);
		ctl_resp_printf(r, "},\"packets\":%" PRIu64 ",\"detections\":%" PRIu64 "}\n",
				st.queue.packets, st.engine.detections);
		return 0;
	}
	ctl_resp_printf(r, "minewalld %s, up %" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 "\n",
			PACKAGE_VERSION, st.uptime_s / 86400, st.uptime_s / 3600 % 24,
			st.uptime_s / 60 % 60, st.uptime_s % 60);
	ctl_resp_printf(r, "%-18s %s\n", "config", st.conf_path);
	ctl_resp_printf(r, "%-18s %s\n", "queue mechanism", st.mech);
	ctl_resp_printf(r, "%-18s %u..%u\n", "queues", st.queue_first,
			st.queue_first + st.queue_count - 1);
	ctl_resp_printf(r, "%-18s %s\n", "fail mode", st.fail_open ? "open" : "closed");
	ctl_resp_printf(r, "%-18s %u active of %u\n", "flows", st.flows.active, st.flow_capacity);
	ctl_resp_printf(r, "%-18s %" PRIu64 "\n", "packets", st.queue.packets);
	ctl_resp_printf(r, "%-18s accept %" PRIu64 ", drop %" PRIu64 ", repeat %" PRIu64 "\n",
			"verdicts", v[0], v[1], v[2]);
	ctl_resp_printf(r, "%-18s %" PRIu64 "\n", "detections", st.engine.detections);
	return 0;
}

struct counter {
	const char *name;
	uint64_t v;
};

static int cmd_stats(void *arg, const struct ctl_req *req, struct ctl_resp *r)
{
	struct ctl_cmds *cc = arg;
	struct mwstats st = { 0 };
	unsigned int i;

	if (req->argc != 1)
		return ctl_resp_error(r, "usage", "usage: stats");
	cc->host.snapshot(cc->host.arg, &st);
	const struct counter cs[] = {
		{ "queue.packets", st.queue.packets },
		{ "queue.accepted", st.queue.accepted },
		{ "queue.dropped", st.queue.dropped },
		{ "queue.repeated", st.queue.repeated },
		{ "queue.verdict_msgs", st.queue.verdict_msgs },
		{ "queue.enobufs", st.queue.enobufs },
		{ "queue.errors", st.queue.errors },
		{ "engine.packets", st.engine.packets },
		{ "engine.malformed", st.engine.malformed },
		{ "engine.untracked", st.engine.untracked },
		{ "engine.held", st.engine.held },
		{ "engine.flows_clean", st.engine.flows_clean },
		{ "engine.flows_blocked", st.engine.flows_blocked },
		{ "engine.detections", st.engine.detections },
		{ "engine.learned", st.engine.learned },
		{ "engine.tunnels", st.engine.tunnels },
		{ "engine.findings_lost", st.mailbox_lost },
		{ "engine.verdict_loops", st.engine.verdict_loops },
		{ "engine.syn_found", st.engine.syn_found },
		{ "engine.syn_missing", st.engine.syn_missing },
		{ "engine.syn_restarted", st.engine.syn_restarted },
		{ "synlog.records", st.syns.records },
		{ "synlog.pending", st.syns.table.active },
		{ "synlog.taken", st.syns.table.taken },
		{ "synlog.expired", st.syns.table.expired },
		{ "synlog.evicted", st.syns.table.evicted },
		{ "synlog.lost", st.syns.lost },
		{ "synlog.overruns", st.syns.overruns },
		{ "synlog.unreadable", st.syns.unreadable },
		{ "flows.active", st.flows.active },
		{ "flows.capacity", st.flow_capacity },
		{ "flows.buffers_in_use", st.flows.buffers_in_use },
		{ "flows.created", st.flows.created },
		{ "flows.evicted", st.flows.evicted },
		{ "flows.expired", st.flows.expired },
		{ "flows.no_buffer", st.flows.no_buffer },
		{ "flows.memory_bytes", st.flows.memory_bytes },
		{ "enforce.ct_sweeps", st.ct_sweep.runs },
		{ "enforce.ct_swept", st.ct_sweep.swept },
		{ "enforce.ct_sweep_vanished", st.ct_sweep.vanished },
		{ "enforce.ct_sweep_left", st.ct_sweep.left },
		{ "enforce.ct_sweep_failed", st.ct_sweep.failed },
		{ "enforce.refused_connections", st.refused_conns },
		{ "reloads.ok", st.reloads_ok },
		{ "reloads.failed", st.reloads_failed },
		{ "uptime_seconds", st.uptime_s },
	};

	if (r->json)
		ctl_resp_printf(r, "{");
	for (i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		if (r->json)
			ctl_resp_printf(r, "%s\"%s\":%" PRIu64, i ? "," : "", cs[i].name, cs[i].v);
		else
			ctl_resp_printf(r, "%-28s %" PRIu64 "\n", cs[i].name, cs[i].v);
	}
	if (r->json)
		ctl_resp_printf(r, ",\"detections_by_detector\":{");
	for (i = 0; i < n_detectors && i < 32; i++) {
		if (r->json)
			ctl_resp_printf(r, "%s\"%s\":%" PRIu64, i ? "," : "", detectors[i]->name,
					st.engine.detections_by[i]);
		else
			ctl_resp_printf(r, "detections.%-17s %" PRIu64 "\n", detectors[i]->name,
					st.engine.detections_by[i]);
	}
	if (r->json)
		ctl_resp_printf(r, "},\"detections_by_dialect\":[");
	for (i = 0; i < st.tally->n; i++) {
		const struct mwstats_tally_entry *e = &st.tally->e[i];

		if (r->json) {
			ctl_resp_printf(r, "%s{\"detector\":", i ? "," : "");
			ctl_resp_json_str(r, e->detector);
			ctl_resp_printf(r, ",\"dialect\":");
			ctl_resp_json_str(r, e->dialect);
			ctl_resp_printf(r, ",\"count\":%" PRIu64 "}", e->count);
		} else {
			ctl_resp_printf(r, "detections.%s/%-*s %" PRIu64 "\n", e->detector,
					(int)(16 - strlen(e->detector) > 16 ? 0 : 16 - strlen(e->detector)),
					e->dialect[0] ? e->dialect : "-", e->count);
		}
	}
	if (r->json)
		ctl_resp_printf(r, "]}\n");
	return 0;
}

/* events [-f] [N]: the last N kept events (default 20, at most all kept), then
 * with -f every new one until the client leaves. */
static int cmd_events(void *arg, const struct ctl_req *req, struct ctl_resp *r)
{
	struct ctl_cmds *cc = arg;
	unsigned int i, n = 20, have = evring_count(cc->ring);
	bool follow = false, got_n = false;

	for (i = 1; i < req->argc; i++) {
		const char *a = req->argv[i];
		char *end;
		unsigned long v;

		if (strcmp(a, "-f") == 0 && !follow) {
			follow = true;
			continue;
		}
		v = strtoul(a, &end, 10);
		if (got_n || a[0] < '0' || a[0] > '9' || *end || v > CTL_EVENTS_KEPT)
			return ctl_resp_error(r, "usage", "usage: events [-f] [N], N in 0..%u",
					      CTL_EVENTS_KEPT);
		n = (unsigned int)v;
		got_n = true;
	}
	if (n > have)
		n = have;
	for (i = have - n; i < have; i++)
		ctl_resp_printf(r, "%s\n", r->json ? evring_json(cc->ring, i) : evring_text(cc->ring, i));
	if (follow)
		ctl_resp_follow(r, "events");
	return 0;
}

/* The lines of text as a JSON array of strings. */
static void json_lines(struct ctl_resp *r, const char *text)
{
	const char *p = text;
	bool first = true;

	ctl_resp_printf(r, "[");
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, n);

		if (line) {
			ctl_resp_printf(r, "%s", first ? "" : ",");
			ctl_resp_json_str(r, line);
			first = false;
			free(line);
		}
		p = nl ? nl + 1 : p + n;
	}
	ctl_resp_printf(r, "]");
}

/* reload: what changed and every warning logged on the way, or the errors. */
static int cmd_reload(void *arg, const struct ctl_req *req, struct ctl_resp *r)
{
	struct ctl_cmds *cc = arg;
	char *report = NULL;
	int rc;

	if (req->argc != 1)
		return ctl_resp_error(r, "usage", "usage: reload");
	if (cc->host.reload(cc->host.arg, &report) == 0) {
		if (r->json) {
			ctl_resp_printf(r, "{\"reloaded\":true,\"messages\":");
			json_lines(r, report);
			ctl_resp_printf(r, "}\n");
		} else if (report) {
			ctl_resp_printf(r, "%s", report);
		}
		free(report);
		return 0;
	}
	/* The config errors are data lines; the status line says it failed. */
	if (report && r->json) {
		ctl_resp_printf(r, "{\"reloaded\":false,\"errors\":");
		ctl_resp_json_str(r, report);
		ctl_resp_printf(r, "}\n");
	} else if (report) {
		ctl_resp_printf(r, "%s", report);
	}
	rc = ctl_resp_error(r, "failed", "reload failed, keeping the running configuration");
	free(report);
	return rc;
}

static const struct ctl_command ctl_cmds_table[] = {
	{ "status", cmd_status, "status: uptime, config, queues, flows, verdicts, detections" },
	{ "stats", cmd_stats, "stats: every counter" },
	{ "events", cmd_events, "events [-f] [N]: the last N events (default 20); -f: follow" },
	{ "reload", cmd_reload, "reload: reread the configuration like SIGHUP; prints what changed and every warning" },
	{ NULL, NULL, NULL }
};

struct ctl_cmds *ctl_cmds_new(struct ctl_server *server, const struct ctl_cmds_host *host)
{
	struct ctl_cmds *cc = calloc(1, sizeof(*cc));

	if (!cc)
		return NULL;
	cc->server = server;
	cc->host = *host;
	cc->ring = evring_new(CTL_EVENTS_KEPT);
	if (!cc->ring || (server && ctl_server_register(server, ctl_cmds_table, cc) < 0)) {
		ctl_cmds_free(cc);
		return NULL;
	}
	return cc;
}

void ctl_cmds_free(struct ctl_cmds *cc)
{
	if (!cc)
		return;
	evring_free(cc->ring);
	free(cc);
}

void ctl_cmds_event(struct ctl_cmds *cc, const struct mw_event *ev)
{
	char json[1024], text[1024], line[1100], ts[64];
	size_t i;

	if (!cc)
		return;
	if (ev->type != EVENT_DECISION)
		mwstats_tally_add(&cc->tally, ev->detector, ev->dialect);
	if (event_format_json(json, sizeof(json), ev) < 0 ||
	    event_format_text(text, sizeof(text), ev) < 0)
		return;
	event_timestamp(ts, sizeof(ts), &ev->ts);
	snprintf(line, sizeof(line), "%s %s", ts, text);
	/* Details come from the wire: a control byte must not break a line of the protocol. */
	for (i = 0; line[i]; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	/* Out of memory only loses the event from the ring; the log still has it. */
	evring_push(cc->ring, line, json);
	ctl_server_publish(cc->server, "events", line, json);
}

void ctl_cmds_event_line(struct ctl_cmds *cc, const char *ts, const char *text, const char *json)
{
	char line[1100];
	size_t i;

	if (!cc)
		return;
	snprintf(line, sizeof(line), "%s %s", ts, text);
	for (i = 0; line[i]; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	evring_push(cc->ring, line, json);
	ctl_server_publish(cc->server, "events", line, json);
}

const struct mwstats_tally *ctl_cmds_tally(const struct ctl_cmds *cc)
{
	return &cc->tally;
}

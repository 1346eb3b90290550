// SPDX-License-Identifier: GPL-2.0-or-later
/* minewallctl's blocks, allow and hosts commands: dynamic blocks, run-time allowlist, host tiers. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_server.h"
#include "daemon_enforce_int.h"
#include "daemon_feeds.h"
#include "escalate.h"
#include "event.h"
#include "pkt.h"

static void admin_event(struct daemon *d, const char *what, const char *target)
{
	char ts[48], json[512], text[512], safe[128];
	struct timeval tv;
	size_t i;

	snprintf(safe, sizeof(safe), "%s", target);
	for (i = 0; safe[i]; i++)
		if ((unsigned char)safe[i] < 0x20 || safe[i] == '"' || safe[i] == '\\' ||
		    (unsigned char)safe[i] >= 0x7f)
			safe[i] = '?';
	gettimeofday(&tv, NULL);
	event_timestamp(ts, sizeof(ts), &tv);
	snprintf(json, sizeof(json),
		 "{\"timestamp\":\"%s\",\"event_type\":\"admin\",\"action\":\"%s\",\"target\":\"%s\"}",
		 ts, what, safe);
	snprintf(text, sizeof(text), "admin: %s %s", what, safe);
	daemon_enforce_emit(d, ts, json, text);
}

struct list_arg {
	struct ctl_resp *r;
	const char *source;
	int width;		/* of the SOURCE column */
	bool first;
};

static int list_block_cb(const struct ep_entry *e, void *arg)
{
	struct list_arg *a = arg;
	unsigned long long left = e->expires_ms / 1000u;
	char buf[80], when[32];

	ep_entry_str(e, buf, sizeof(buf));
	if (a->r->json) {
		ctl_resp_printf(a->r, "%s{\"source\":\"%s\",\"entry\":\"%s\",\"expires_in\":%llu}",
				a->first ? "" : ",", a->source, buf, left);
	} else {
		if (e->expires_ms)
			snprintf(when, sizeof(when), "%llus", left);
		else
			snprintf(when, sizeof(when), "no expiry");
		ctl_resp_printf(a->r, "%-*s %-44s %s\n", a->width, a->source, buf, when);
	}
	a->first = false;
	return 0;
}

static int parse_ep_arg(struct ctl_resp *r, const char *s, struct ep_entry *e, bool port_ok)
{
	char err[96];

	if (ep_parse(s, e, err, sizeof(err)) < 0)
		return ctl_resp_error(r, "usage", "%s: %s", s, err);
	if (!port_ok && e->port)
		return ctl_resp_error(r, "usage", "%s: no port here", s);
	return 0;
}

/* blocks list [SOURCE]: every source's sets, the feeds' one per subscribed
 * feed (feed:NAME), read back from the kernel. */
static int blocks_list(struct daemon *d, const char *want, struct ctl_resp *r)
{
	static const enum enforce_source srcs[] = { ENF_DETECT, ENF_DNS, ENF_LIST };
	struct daemon_enforce *de = d->enf;
	struct list_arg a = { .r = r, .first = true, .width = 8 };
	const struct mw_conf *c = d->conf;
	char label[80];
	bool feeds = !want || strcmp(want, "feed") == 0, known = feeds;
	unsigned int i;

	for (i = 0; want && !known && i < sizeof(srcs) / sizeof(srcs[0]); i++)
		known = strcmp(want, enforce_source_name(srcs[i])) == 0;
	for (i = 0; want && !known && i < c->n_feeds; i++)
		known = strncmp(want, "feed:", 5) == 0 && strcmp(want + 5, c->feeds[i].name) == 0;
	if (!known)
		return ctl_resp_error(r, "usage", "blocks list: no source %.64s (detect, dns, list, "
				      "feed, or feed:NAME of a subscribed feed)", want);
	for (i = 0; i < c->n_feeds; i++)
		if ((int)strlen(c->feeds[i].name) + 5 > a.width)
			a.width = (int)strlen(c->feeds[i].name) + 5;
	if (r->json)
		ctl_resp_printf(r, "[");
	else
		ctl_resp_printf(r, "%-*s %-44s %s\n", a.width, "SOURCE", "ENTRY", "EXPIRES IN");
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		a.source = enforce_source_name(srcs[i]);
		if (want && strcmp(want, a.source) != 0)
			continue;
		if (enforce_list(de->enf, srcs[i], NULL, list_block_cb, &a) < 0)
			return ctl_resp_error(r, "failed", "reading the %s sets: %s", a.source,
					      enforce_error(de->enf));
	}
	for (i = 0; i < c->n_feeds; i++) {
		snprintf(label, sizeof(label), "feed:%s", c->feeds[i].name);
		if ((!feeds && strcmp(want, label) != 0) || !enforce_feed_name_ok(c->feeds[i].name))
			continue;
		a.source = label;
		if (enforce_list(de->enf, ENF_FEED, c->feeds[i].name, list_block_cb, &a) < 0)
			return ctl_resp_error(r, "failed", "reading the sets of %s: %s", label,
					      enforce_error(de->enf));
	}
	if (r->json)
		ctl_resp_printf(r, "]\n");
	return 0;
}

static int cmd_blocks(void *arg, const struct ctl_req *q, struct ctl_resp *r)
{
	struct daemon *d = arg;
	struct daemon_enforce *de = d->enf;
	const char *sub = q->argc > 1 ? q->argv[1] : "list";
	struct ep_entry e;

	if (strcmp(sub, "list") == 0 && q->argc <= 3)
		return blocks_list(d, q->argc == 3 ? q->argv[2] : NULL, r);
	if (strcmp(sub, "add") == 0 && (q->argc == 3 || q->argc == 4)) {
		char *end = NULL;
		unsigned long t = d->conf->block_timeout;

		if (parse_ep_arg(r, q->argv[2], &e, true) < 0)
			return -1;
		if (q->argc == 4 && ((t = strtoul(q->argv[3], &end, 10)), !end || *end || t > 31536000))
			return ctl_resp_error(r, "usage", "timeout: seconds, 0..31536000");
		if (daemon_enforce_allowlisted(de, e.family, e.addr))
			return ctl_resp_error(r, "failed", "%s is allowlisted", q->argv[2]);
		if (enforce_begin(de->enf) < 0)
			return ctl_resp_error(r, "failed", "enforcer busy");
		daemon_enforce_block(de, DYN_DETECT, &e, (uint32_t)t);
		if (enforce_commit(de->enf) < 0) {
			ep_table_del(de->dyn[DYN_DETECT], &e);
			enforce_abort(de->enf);
			return ctl_resp_error(r, "failed", "%s", enforce_error(de->enf));
		}
		admin_event(d, "block", q->argv[2]);
		daemon_feeds_detected(d);
		return r->json ? ctl_resp_printf(r, "{\"blocked\":\"%s\",\"timeout\":%lu}\n", q->argv[2], t) :
				 ctl_resp_printf(r, "blocked %s for %lus\n", q->argv[2], t);
	}
	if (strcmp(sub, "del") == 0 && q->argc == 3) {
		int dyn, found = 0;

		if (parse_ep_arg(r, q->argv[2], &e, true) < 0)
			return -1;
		if (enforce_begin(de->enf) < 0)
			return ctl_resp_error(r, "failed", "enforcer busy");
		for (dyn = 0; dyn < DYN_N; dyn++) {
			if (daemon_enforce_ep_has(de->dyn[dyn], &e)) {
				enforce_block_del(de->enf, daemon_enforce_dyn_source[dyn], NULL, &e);
				ep_table_del(de->dyn[dyn], &e);
				found++;
			}
		}
		if (!found) {
			enforce_abort(de->enf);
			return ctl_resp_error(r, "failed", "%s is not a dynamic block (lists and feeds "
					      "change through their files)", q->argv[2]);
		}
		if (enforce_commit(de->enf) < 0) {
			enforce_abort(de->enf);
			return ctl_resp_error(r, "failed", "%s", enforce_error(de->enf));
		}
		de->dirty = true;
		admin_event(d, "unblock", q->argv[2]);
		daemon_feeds_detected(d);
		return r->json ? ctl_resp_printf(r, "{\"unblocked\":\"%s\"}\n", q->argv[2]) :
				 ctl_resp_printf(r, "unblocked %s\n", q->argv[2]);
	}
	return ctl_resp_error(r, "usage", "blocks list [detect|dns|list|feed|feed:NAME] | add ENTRY "
			      "[SECONDS] | del ENTRY");
}

static int list_allow_cb(const struct ep_entry *e, void *arg)
{
	struct list_arg *a = arg;
	char buf[80];

	ep_entry_str(e, buf, sizeof(buf));
	if (a->r->json)
		ctl_resp_printf(a->r, "%s{\"entry\":\"%s\",\"origin\":\"%s\"}", a->first ? "" : ",",
				buf, a->source);
	else
		ctl_resp_printf(a->r, "%-44s %s\n", buf, a->source);
	a->first = false;
	return 0;
}

static int cmd_allow(void *arg, const struct ctl_req *q, struct ctl_resp *r)
{
	struct daemon *d = arg;
	struct daemon_enforce *de = d->enf;
	const char *sub = q->argc > 1 ? q->argv[1] : "list";
	struct ep_entry e;

	if (strcmp(sub, "list") == 0) {
		struct list_arg a = { .r = r, .first = true, .source = "config" };
		unsigned int i;

		ctl_resp_printf(r, r->json ? "[" : "%-44s %s\n", "ENTRY", "ORIGIN");
		ep_table_foreach(de->allow_static, list_allow_cb, &a);
		/* Names: their addresses (as resolved) are above; the names
		 * themselves match TLS server names, DNS questions and CONNECT hosts. */
		for (i = 0; i < d->conf->n_allow; i++) {
			char err[96];

			if (ep_parse(d->conf->allow[i], &e, err, sizeof(err)) == 0)
				continue;
			if (r->json)
				ctl_resp_printf(r, "%s{\"entry\":\"%s\",\"origin\":\"config\","
						"\"kind\":\"domain\"}", a.first ? "" : ",",
						d->conf->allow[i]);
			else
				ctl_resp_printf(r, "%-44s %s\n", d->conf->allow[i], "config (domain)");
			a.first = false;
		}
		a.source = "minewallctl";
		ep_table_foreach(de->allow_dyn, list_allow_cb, &a);
		if (r->json)
			ctl_resp_printf(r, "]\n");
		return 0;
	}
	if ((strcmp(sub, "add") == 0 || strcmp(sub, "del") == 0) && q->argc == 3) {
		bool add = sub[0] == 'a';
		int dyn;

		if (parse_ep_arg(r, q->argv[2], &e, false) < 0)
			return -1;
		if (!add && !daemon_enforce_ep_has(de->allow_dyn, &e))
			return ctl_resp_error(r, "failed", "%s was not added with minewallctl", q->argv[2]);
		if (enforce_begin(de->enf) < 0)
			return ctl_resp_error(r, "failed", "enforcer busy");
		if (add) {
			ep_table_add(de->allow_dyn, &e);
			/* Allowlisted now: what the daemon blocked there goes. */
			for (dyn = 0; dyn < DYN_N; dyn++) {
				const struct ep_entry *b = ep_table_lookup(de->dyn[dyn], e.family, e.addr, 0, 0);

				if (b && b->plen >= e.plen) {
					struct ep_entry gone = *b;

					enforce_block_del(de->enf, daemon_enforce_dyn_source[dyn], NULL, &gone);
					ep_table_del(de->dyn[dyn], &gone);
				}
			}
		} else {
			ep_table_del(de->allow_dyn, &e);
		}
		if (daemon_enforce_allow_refresh(d, NULL) < 0 || enforce_commit(de->enf) < 0) {
			enforce_abort(de->enf);
			return ctl_resp_error(r, "failed", "%s", enforce_error(de->enf));
		}
		de->dirty = true;
		admin_event(d, add ? "allow" : "disallow", q->argv[2]);
		/* Protected from the feeds like the config's entries, at once. */
		daemon_feeds_protect_changed(d);
		return r->json ? ctl_resp_printf(r, "{\"%s\":\"%s\"}\n", add ? "allowed" : "removed", q->argv[2]) :
				 ctl_resp_printf(r, "%s %s\n", add ? "allowed" : "removed", q->argv[2]);
	}
	return ctl_resp_error(r, "usage", "allow list | add ADDRESS[/LEN] | del ADDRESS[/LEN]");
}

struct hosts_arg {
	struct ctl_resp *r;
	bool first;
	uint64_t now;
};

static int list_host_cb(const struct escalate_host *h, void *arg)
{
	struct hosts_arg *a = arg;
	char addr[INET6_ADDRSTRLEN];
	unsigned long long left = h->tier_until_ms > a->now ? (h->tier_until_ms - a->now) / 1000u : 0;

	pkt_addr_str(h->family, h->addr, addr, sizeof(addr));
	if (a->r->json)
		ctl_resp_printf(a->r, "%s{\"host\":\"%s\",\"tier\":\"%s\",\"detections\":%u,"
				"\"expires_in\":%llu}", a->first ? "" : ",", addr,
				escalate_tier_name(h->tier), h->detections, left);
	else
		ctl_resp_printf(a->r, "%-40s %-10s %10u %10llu\n", addr, escalate_tier_name(h->tier),
				h->detections, left);
	a->first = false;
	return 0;
}

static int cmd_hosts(void *arg, const struct ctl_req *q, struct ctl_resp *r)
{
	struct daemon *d = arg;
	struct daemon_enforce *de = d->enf;
	const char *sub = q->argc > 1 ? q->argv[1] : "list";

	if (strcmp(sub, "list") == 0) {
		struct hosts_arg a = { r, true, now_wall_ms() };

		if (r->json)
			ctl_resp_printf(r, "[");
		else
			ctl_resp_printf(r, "%-40s %-10s %10s %10s\n", "HOST", "TIER", "DETECTIONS",
					"EXPIRES IN");
		escalate_foreach(de->esc, list_host_cb, &a);
		if (r->json)
			ctl_resp_printf(r, "]\n");
		return 0;
	}
	if (strcmp(sub, "release") == 0 && q->argc == 3) {
		struct escalate_change ch;
		struct ep_entry e;

		if (parse_ep_arg(r, q->argv[2], &e, false) < 0)
			return -1;
		if (!escalate_release(de->esc, e.family, e.addr, now_wall_ms(), &ch))
			return ctl_resp_error(r, "failed", "%s is not throttled or quarantined", q->argv[2]);
		daemon_escalate_apply(d, &ch);
		admin_event(d, "release", q->argv[2]);
		return r->json ? ctl_resp_printf(r, "{\"released\":\"%s\"}\n", q->argv[2]) :
				 ctl_resp_printf(r, "released %s\n", q->argv[2]);
	}
	return ctl_resp_error(r, "usage", "hosts list | release ADDRESS");
}

const struct ctl_command daemon_enforce_cmds[] = {
	{ "blocks", cmd_blocks, "blocks list [detect|dns|list|feed|feed:NAME] | add ENTRY [SECONDS] | "
	  "del ENTRY: kernel blocks" },
	{ "allow", cmd_allow, "allow list | add ADDRESS[/LEN] | del ADDRESS[/LEN]: destinations never blocked" },
	{ "hosts", cmd_hosts, "hosts list | release ADDRESS: internal hosts' escalation tiers" },
	{ NULL, NULL, NULL },
};

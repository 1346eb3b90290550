// SPDX-License-Identifier: GPL-2.0-or-later
/* minewallctl probes: the prober's recent results, newest last. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "ctl_server.h"
#include "probe.h"

struct list_arg {
	struct ctl_resp *r;
	bool first;
};

static void endpoint_str(const struct probe_job *j, char *buf, size_t size)
{
	char a[64];

	if (!inet_ntop(j->family, j->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, size, j->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, j->port);
}

static int list_cb(const struct probe_record *rec, void *arg)
{
	struct list_arg *a = arg;
	const struct probe_job *j = &rec->job;
	bool probed = j->outcome != PROBE_SKIPPED && j->outcome != PROBE_LIMITED;
	const char *dialect = j->answered ? probe_dialect_name(j->dialect) : "-";
	const char *transport = !j->answered ? "-" : j->tls ? "tls" : "plain";
	char ep[80], when[32];
	time_t t = (time_t)(rec->wall_ms / 1000u);
	struct tm tm;

	endpoint_str(j, ep, sizeof(ep));
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "?");
	if (a->r->json) {
		ctl_resp_printf(a->r, "%s{\"time\":\"%s\",\"endpoint\":\"%s\",\"outcome\":\"%s\","
				"\"dialect\":\"%s\",\"transport\":\"%s\",\"ms\":%u,\"connections\":%u,"
				"\"suspects\":%u,\"got\":", a->first ? "" : ",", when, ep,
				probe_outcome_name(j->outcome), dialect, transport, j->elapsed_ms,
				j->connections, rec->suspects);
		ctl_resp_json_str(a->r, probed ? j->got : rec->reason);
		ctl_resp_printf(a->r, "}");
	} else {
		ctl_resp_printf(a->r, "%-20s %-40s %-11s %-15s %-5s %5u %s\n", when, ep,
				probe_outcome_name(j->outcome), dialect, transport, j->elapsed_ms,
				probed ? j->got : rec->reason);
	}
	a->first = false;
	return 0;
}

static int cmd_probes(void *arg, const struct ctl_req *q, struct ctl_resp *r)
{
	struct daemon *d = arg;
	struct list_arg a = { .r = r, .first = true };

	if (q->argc > 1 && strcmp(q->argv[1], "list") != 0)
		return ctl_resp_error(r, "usage", "probes [list]");
	if (!d->probe)
		return ctl_resp_error(r, "failed", "probing is off (probe.enabled = false)");
	if (r->json)
		ctl_resp_printf(r, "[");
	else
		ctl_resp_printf(r, "%-20s %-40s %-11s %-15s %-5s %5s %s\n", "TIME", "ENDPOINT",
				"OUTCOME", "DIALECT", "TLS", "MS", "ANSWER");
	probe_recent_foreach(d->probe, list_cb, &a);
	if (r->json)
		ctl_resp_printf(r, "]\n");
	return 0;
}

static const struct ctl_command probe_cmds[] = {
	{ "probes", cmd_probes, "probes [list]: recent probes of suspect TLS servers and their outcome" },
	{ NULL, NULL, NULL },
};

int probe_ctl_register(struct daemon *d, struct prober *p)
{
	if (!d->ctl || d->probe_ctl)
		return 0;
	if (ctl_server_register(d->ctl, probe_cmds, d) < 0)
		return -1;
	d->probe_ctl = true;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* minewall.conf's schema: every setting's type, range and default in one table, and the names. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "conf.h"
#include "conf_int.h"
#include "log.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define BLOCKLIST_DIR SYSCONFDIR "/minewall/blocklists/"
#ifndef MW_STATEDIR
#define MW_STATEDIR "/var/lib/minewall"
#endif

#define FIELD(f) .off = offsetof(struct mw_conf, f), .size = sizeof(((struct mw_conf *)0)->f)
#define UINT(n, f, lo, hi, d, ...) \
	{ .name = n, .type = IT_UINT, .min = lo, .max = hi, .dflt = d, FIELD(f), __VA_ARGS__ }
#define BOOL(n, f, d) { .name = n, .type = IT_BOOL, .dflt = d, FIELD(f) }
#define ENUM(n, f, list, d) { .name = n, .type = IT_ENUM, .names = list, .dflt = d, FIELD(f) }
#define LIST(n, f, k, lo, d, ...) { .name = n, .type = IT_LIST, .kind = k, .min = lo, \
	.max = CONF_MAX_LIST, .dflt_str = d, FIELD(f), .count_off = offsetof(struct mw_conf, n_##f), \
	__VA_ARGS__ }
#define PATH(n, f, ...) { .name = n, .type = IT_PATH, FIELD(f), __VA_ARGS__ }
#define STRING(n, f, chk, d) { .name = n, .type = IT_STRING, .str_check = chk, .dflt_str = d, FIELD(f) }
/* Members of a group list record: offsets into struct conf_feed, not struct mw_conf. */
#define FFIELD(f) .off = offsetof(struct conf_feed, f), .size = sizeof(((struct conf_feed *)0)->f)
#define FUINT(n, f, lo, hi, d) { .name = n, .type = IT_UINT, .min = lo, .max = hi, .dflt = d, FFIELD(f) }
#define FSTRING(n, f, k, req) { .name = n, .type = IT_STRING, .kind = k, .min = req, FFIELD(f) }
#define GROUP(n, c, ...) { .name = n, .type = IT_GROUP, .children = c, __VA_ARGS__ }
#define ACTION(n, det, d) ENUM(n, action[det], action_names, d)

static const char *const action_names[] = { "alert", "drop", "reject", NULL };
static const char *const level_names[] = { "error", "warning", "info", "debug", NULL };
static const char *const target_names[] = { "stderr", "syslog", NULL };
static const char *const hook_names[] = { "output", "forward", NULL };
static const char *const syns_names[] = { "queue", "log", NULL };
static const size_t hook_off[] = {
	offsetof(struct mw_conf, hook_output), offsetof(struct mw_conf, hook_forward),
};

_Static_assert(ACT_ALERT == 0 && ACT_DROP == 1 && ACT_REJECT == 2, "action_names order");
_Static_assert(LOG_LVL_ERR == 0 && LOG_LVL_WARN == 1 && LOG_LVL_INFO == 2 && LOG_LVL_DEBUG == 3,
	       "level_names order");

static const struct item queue_items[] = {
	UINT("num", queue_num, 0, 65535, 0),
	UINT("count", queue_count, 1, CONF_MAX_QUEUES, 1),
	UINT("copy_range", copy_range, 64, 65535, 4096),
	UINT("max_len", queue_maxlen, 1, 1048576, 8192),
	BOOL("fail_open", fail_open, true),
	{ .name = "syns", .type = IT_ENUM, .names = syns_names, .dflt = 1, FIELD(syn_log),
	  .restart = true },
	UINT("syn_group", syn_group, 0, 65535, 100, .restart = true),
	{ 0 }
};

static const struct item protect_items[] = {
	{ .name = "hooks", .type = IT_FLAGS, .names = hook_names, .flag_off = hook_off,
	  .min = 1, .max = CONF_MAX_LIST, .dflt = 3 },
	LIST("interfaces", interfaces, LK_IFNAME, 0, NULL),
	UINT("mark_mask", mark_mask, 0, 0xffffffffLL, 0x0f000000, .check = conf_check_mark_mask,
	     .hex = true),
	{ 0 }
};

static const struct item flows_items[] = {
	/* The flow table is allocated at start. */
	UINT("max", max_flows, 1024, 16777216, 262144, .restart = true),
	UINT("buffers", max_buffers, 16, 1048576, 16384, .restart = true),
	UINT("inspect_bytes", inspect_bytes, 256, 65535, 4096, .restart = true),
	UINT("inspect_packets", inspect_packets, 1, 1000, 16),
	UINT("idle_timeout", idle_timeout, 5, 86400, 120),
	BOOL("mark_clean", mark_clean, true),
	{ 0 }
};

static const struct item actions_items[] = {
	ACTION("stratum", CONF_DET_STRATUM, ACT_REJECT),
	ACTION("getwork", CONF_DET_GETWORK, ACT_REJECT),
	ACTION("sv2", CONF_DET_SV2, ACT_DROP),
	ACTION("tls_sni", CONF_DET_TLS_SNI, ACT_REJECT),
	ACTION("dns", CONF_DET_DNS, ACT_ALERT),
	ACTION("endpoint", CONF_DET_ENDPOINT, ACT_REJECT),
	ACTION("relay", CONF_DET_RELAY, ACT_REJECT),
	ACTION("websocket", CONF_DET_WEBSOCKET, ACT_REJECT),
	ACTION("tls_suspect", CONF_DET_TLS_SUSPECT, ACT_ALERT),
	ACTION("probe", CONF_DET_PROBE, ACT_REJECT),
	{ 0 }
};

static const struct item blocklists_items[] = {
	/* A file that cannot be read is reported at the line naming it. */
	LIST("domains", blocklist_domains, LK_PATH, 0, BLOCKLIST_DIR "pool-domains.txt",
	     .at_off = offsetof(struct mw_conf, blocklist_domains_at)),
	LIST("endpoints", blocklist_endpoints, LK_PATH, 0, BLOCKLIST_DIR "pool-endpoints.txt",
	     .at_off = offsetof(struct mw_conf, blocklist_endpoints_at)),
	LIST("ports", blocklist_ports, LK_PATH, 0, BLOCKLIST_DIR "pool-ports.txt",
	     .at_off = offsetof(struct mw_conf, blocklist_ports_at)),
	{ 0 }
};

static const struct item detect_items[] = {
	GROUP("actions", actions_items),
	GROUP("blocklists", blocklists_items),
	{ 0 }
};

static const struct item log_items[] = {
	{ .name = "target", .type = IT_ENUM, .names = target_names, FIELD(log_syslog),
	  .restart = true },
	ENUM("level", log_level, level_names, LOG_LVL_INFO),
	PATH("events", event_log),
	BOOL("decisions", log_decisions, false),
	{ 0 }
};

/* sun_path holds 108 bytes with the terminating NUL. */
static const struct item control_items[] = {
	PATH("socket", ctl_socket, .dflt_str = CONF_DEFAULT_CONTROL_SOCKET, .max = 107),
	UINT("mode", ctl_mode, 0, 0777, 0660, .octal = true),
	STRING("group", ctl_group, conf_check_group_name, ""),
	{ 0 }
};

static const struct item metrics_items[] = {
	STRING("listen", metrics_listen, conf_check_listen, ""),
	{ 0 }
};

static const char *const feed_action_names[] = { "block", "throttle", "alert", NULL };
_Static_assert(FEED_ACT_BLOCK == 0 && FEED_ACT_THROTTLE == 1 && FEED_ACT_ALERT == 2,
	       "feed_action_names order");

static const struct item feed_sub_items[] = {
	FSTRING("name", name, LK_NAME, 1),
	FSTRING("url", url, LK_URL, 1),
	{ .name = "pubkeys", .type = IT_LIST, .kind = LK_PUBKEY, .min = 1, .max = CONF_MAX_PUBKEYS,
	  FFIELD(pubkeys), .count_off = offsetof(struct conf_feed, n_pubkeys) },
	FUINT("interval", interval, 30, 86400, 300),
	FUINT("poll", poll, 0, 3600, 5),
	{ .name = "action", .type = IT_ENUM, .names = feed_action_names, .dflt = FEED_ACT_BLOCK,
	  FFIELD(action) },
	FUINT("max_size", max_size, 1024, 1u << 30, CONF_FEED_MAX_SIZE),
	FUINT("max_entries", max_entries, 1, 10000000, CONF_FEED_MAX_ENTRIES),
	FSTRING("provider", provider, LK_NAME, 0),
	{ 0 }
};

static const struct item publish_items[] = {
	PATH("dir", publish_dir),
	PATH("secret_key", publish_secret_key),
	{ .name = "provider", .type = IT_STRING, .kind = LK_NAME, FIELD(publish_provider) },
	UINT("interval", publish_interval, 30, 86400, 300),
	UINT("debounce_ms", publish_debounce_ms, 0, 60000, 1000),
	UINT("validity", publish_validity, 300, 7 * 86400, 86400),
	{ 0 }
};

static const struct item feed_items[] = {
	{ .name = "state_dir", .type = IT_PATH, .dflt_str = MW_STATEDIR "/feeds",
	  FIELD(feed_state_dir) },
	UINT("corroborate", feed_corroborate, 0, CONF_MAX_FEEDS, 0),
	UINT("min_prefix4", feed_min_prefix4, 0, 32, CONF_FEED_MIN_PREFIX4),
	UINT("min_prefix6", feed_min_prefix6, 0, 128, CONF_FEED_MIN_PREFIX6),
	UINT("ttl_min", feed_ttl_min, 1, 86400, CONF_FEED_TTL_MIN),
	UINT("ttl_max", feed_ttl_max, 60, 365 * 86400, CONF_FEED_TTL_MAX),
	UINT("skew", feed_skew, 0, 86400, CONF_FEED_SKEW),
	UINT("connect_timeout", feed_connect_timeout, 1, 300, 10),
	UINT("timeout", feed_timeout, 1, 3600, 60),
	GROUP("publish", publish_items),
	{ 0 }
};

static const char *const verdict_names[] = { "drop", "reject", NULL };
static const char *const block_by_names[] = { "address", "endpoint", NULL };

static const struct item enf_verdict_items[] = {
	ENUM("detect", enf_verdict[0], verdict_names, 1),
	ENUM("dns", enf_verdict[1], verdict_names, 1),
	ENUM("list", enf_verdict[2], verdict_names, 1),
	ENUM("feed", enf_verdict[3], verdict_names, 0),
	{ 0 }
};

static const struct item escalation_items[] = {
	UINT("window", esc_window, 10, 86400, 600),
	UINT("throttle_after", esc_throttle_after, 0, 1000, 3),
	UINT("quarantine_after", esc_quarantine_after, 0, 1000, 10),
	UINT("throttle_timeout", esc_throttle_timeout, 0, 31536000, 3600),
	UINT("quarantine_timeout", esc_quarantine_timeout, 0, 31536000, 86400),
	BOOL("count_alerts", esc_count_alerts, false),
	{ 0 }
};

static const struct item enforce_items[] = {
	UINT("block_timeout", block_timeout, 0, 31536000, 3600),
	ENUM("block_by", block_by_endpoint, block_by_names, 0),
	UINT("dns_ttl_min", dns_ttl_min, 1, 86400, 600),
	UINT("dns_ttl_max", dns_ttl_max, 60, 31536000, 86400),
	GROUP("verdict", enf_verdict_items),
	GROUP("escalation", escalation_items, .relate = conf_relate_escalation),
	UINT("throttle_rate", throttle_rate, 1024, 1u << 30, 131072),
	UINT("throttle_burst", throttle_burst, 0, 1u << 30, 0),
	UINT("throttle_conns", throttle_conns, 1, 100000, 5),
	UINT("pool_port_conns", pool_port_conns, 0, 100000, 0),
	UINT("queue_rate", queue_rate, 0, 10000000, 0),
	LIST("allow", allow, LK_ALLOW, 0, NULL),
	LIST("quarantine_allow", quarantine_allow, LK_ALLOW, 0, NULL),
	{ .name = "state_file", .type = IT_PATH, .dflt_str = MW_STATEDIR "/state",
	  FIELD(state_file) },
	UINT("max_hosts", max_hosts, 64, 16777216, 65536, .restart = true),
	BOOL("count_refused", count_refused, true),
	UINT("refused_per_detection", refused_per_detection, 1, 1000, 10),
	{ 0 }
};

/* Members of a receiver record: offsets into struct conf_notify. */
#define NFIELD(f) .off = offsetof(struct conf_notify, f), .size = sizeof(((struct conf_notify *)0)->f)
#define NUINT(n, f, lo, hi, d) { .name = n, .type = IT_UINT, .min = lo, .max = hi, .dflt = d, NFIELD(f) }

static const char *const notify_type_names[] = { "webhook", "exec", NULL };
static const char *const notify_event_names[] = {
	"detection", "watch", "throttle", "quarantine", "release", "feed_rejected",
	"probe_confirmed", NULL
};
#define NEV(e) offsetof(struct conf_notify, events[e])
static const size_t notify_event_off[] = {
	NEV(CONF_NEV_DETECTION), NEV(CONF_NEV_WATCH), NEV(CONF_NEV_THROTTLE),
	NEV(CONF_NEV_QUARANTINE), NEV(CONF_NEV_RELEASE), NEV(CONF_NEV_FEED_REJECTED),
	NEV(CONF_NEV_PROBE_CONFIRMED),
};
static const char *const tier_names[] = { "watch", "throttle", "quarantine", NULL };
_Static_assert(CONF_NOTIFY_WEBHOOK == 0 && CONF_NOTIFY_EXEC == 1, "notify_type_names order");
_Static_assert(CONF_NEV_COUNT == 7 && CONF_NEV_PROBE_CONFIRMED == 6, "notify_event_names order");
/* By default a receiver hears of every tier change: watch, throttle, quarantine, release. */
#define NEV_TIERS ((1 << CONF_NEV_WATCH) | (1 << CONF_NEV_THROTTLE) | \
		   (1 << CONF_NEV_QUARANTINE) | (1 << CONF_NEV_RELEASE))

static const struct item receiver_items[] = {
	{ .name = "name", .type = IT_STRING, .kind = LK_NAME, .min = 1, NFIELD(name) },
	{ .name = "type", .type = IT_ENUM, .names = notify_type_names, NFIELD(type) },
	{ .name = "url", .type = IT_STRING, .kind = LK_URL, NFIELD(url) },
	{ .name = "secret_file", .type = IT_PATH, NFIELD(secret_file) },
	/* Required for exec only: conf_relate_receivers says so. */
	{ .name = "command", .type = IT_LIST, .kind = LK_ARG, .max = CONF_MAX_LIST,
	  NFIELD(command), .count_off = offsetof(struct conf_notify, n_command) },
	{ .name = "events", .type = IT_FLAGS, .names = notify_event_names,
	  .flag_off = notify_event_off, .min = 1, .max = CONF_MAX_LIST, .dflt = NEV_TIERS },
	{ .name = "min_tier", .type = IT_ENUM, .names = tier_names, NFIELD(min_tier) },
	NUINT("timeout", timeout, 1, 300, 10),
	NUINT("retries", retries, 0, 100, 3),
	NUINT("backoff", backoff, 1, 3600, 2),
	NUINT("backoff_max", backoff_max, 1, 86400, 300),
	NUINT("concurrency", concurrency, 1, 64, 4),
	NUINT("queue", queue, 1, 10000, 100),
	NUINT("coalesce", coalesce, 0, 86400, 60),
	{ 0 }
};

static const struct item notify_items[] = {
	{ .name = "receivers", .type = IT_GROUPS, .children = receiver_items,
	  .max = CONF_MAX_RECEIVERS, .elem_size = sizeof(struct conf_notify), FIELD(receivers),
	  .count_off = offsetof(struct mw_conf, n_receivers), .relate = conf_relate_receivers },
	{ 0 }
};

static const struct item probe_items[] = {
	BOOL("enabled", probe_enabled, true),
	STRING("source", probe_source, conf_check_address, ""),
	STRING("interface", probe_interface, conf_check_ifname, ""),
	UINT("timeout", probe_timeout, 1, 60, 6),
	UINT("rate", probe_rate, 1, 6000, 60),
	UINT("concurrent", probe_concurrent, 1, 64, 4),
	UINT("ttl_positive", probe_ttl_positive, 60, 31536000, 3600),
	UINT("ttl_negative", probe_ttl_negative, 60, 31536000, 3600),
	LIST("only", probe_only, LK_ALLOW, 0, NULL),
	{ 0 }
};

static const struct item root_items[] = {
	GROUP("queue", queue_items, .relate = conf_relate_queue),
	GROUP("protect", protect_items),
	GROUP("flows", flows_items, .relate = conf_relate_flows),
	GROUP("detect", detect_items),
	GROUP("log", log_items),
	/* Sockets made at start, before privileges are dropped. */
	GROUP("control", control_items, .restart = true),
	GROUP("metrics", metrics_items, .restart = true),
	{ .name = "feeds", .type = IT_GROUPS, .children = feed_sub_items, .max = CONF_MAX_FEEDS,
	  .elem_size = sizeof(struct conf_feed), FIELD(feeds),
	  .count_off = offsetof(struct mw_conf, n_feeds), .relate = conf_relate_feeds },
	GROUP("feed", feed_items, .relate = conf_relate_feed),
	GROUP("enforce", enforce_items, .relate = conf_relate_enforce),
	GROUP("notify", notify_items),
	GROUP("probe", probe_items),
	{ 0 }
};

const struct item conf_schema = GROUP(NULL, root_items);

static const char *const detector_names[CONF_DET_COUNT] = {
	[CONF_DET_STRATUM] = "stratum", [CONF_DET_GETWORK] = "getwork", [CONF_DET_SV2] = "sv2",
	[CONF_DET_TLS_SNI] = "tls-sni", [CONF_DET_DNS] = "dns", [CONF_DET_ENDPOINT] = "endpoint",
	[CONF_DET_RELAY] = "relay", [CONF_DET_WEBSOCKET] = "websocket",
	[CONF_DET_TLS_SUSPECT] = "tls-suspect", [CONF_DET_PROBE] = "probe",
};

static void free_items(void *base, const struct item *items)
{
	const struct item *it;
	unsigned int i;

	for (it = items; it->name; it++) {
		if (it->type == IT_GROUP) {
			free_items(base, it->children);
		} else if (it->type == IT_GROUPS) {
			for (i = 0; i < it->max; i++)
				free_items((char *)base + it->off + i * it->elem_size, it->children);
		} else if (it->type == IT_LIST) {
			char **l = (char **)((char *)base + it->off);
			char **at = it->at_off ? (char **)((char *)base + it->at_off) : NULL;

			for (i = 0; i < it->max; i++) {
				free(l[i]);
				if (at)
					free(at[i]);
			}
		} else if (it->type == IT_PATH || it->type == IT_STRING) {
			free(*(char **)((char *)base + it->off));
		}
	}
}

void conf_free(struct mw_conf *c)
{
	if (!c)
		return;
	free_items(c, root_items);
	free(c->path);
	free(c);
}

int conf_detector_index(const char *name)
{
	int i;

	if (!name)
		return -1;
	for (i = 0; i < CONF_DET_COUNT; i++) {
		const char *d = detector_names[i];
		size_t j;

		for (j = 0; d[j] && (name[j] == d[j] || (d[j] == '-' && name[j] == '_')); j++)
			;
		if (!d[j] && !name[j])
			return i;
	}
	return -1;
}

const char *conf_action_name(enum conf_action a)
{
	if ((unsigned int)a >= sizeof(action_names) / sizeof(action_names[0]) - 1)
		return "?";
	return action_names[a];
}

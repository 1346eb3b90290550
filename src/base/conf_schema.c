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
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

#define FIELD(f) .off = offsetof(struct mw_conf, f), .size = sizeof(((struct mw_conf *)0)->f)
#define UINT(n, f, lo, hi, d, ...) \
	{ .name = n, .type = IT_UINT, .min = lo, .max = hi, .dflt = d, FIELD(f), __VA_ARGS__ }
#define BOOL(n, f, d) { .name = n, .type = IT_BOOL, .dflt = d, FIELD(f) }
#define ENUM(n, f, list, d) { .name = n, .type = IT_ENUM, .names = list, .dflt = d, FIELD(f) }
#define LIST(n, f, k, lo, d) { .name = n, .type = IT_LIST, .kind = k, .min = lo, \
	.max = CONF_MAX_LIST, .dflt_str = d, FIELD(f), .count_off = offsetof(struct mw_conf, n_##f) }
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
	UINT("max", max_flows, 1024, 16777216, 262144),
	UINT("buffers", max_buffers, 16, 1048576, 16384),
	UINT("inspect_bytes", inspect_bytes, 256, 65535, 4096),
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
	LIST("domains", blocklist_domains, LK_PATH, 0, BLOCKLIST_DIR "pool-domains.txt"),
	LIST("endpoints", blocklist_endpoints, LK_PATH, 0, BLOCKLIST_DIR "pool-endpoints.txt"),
	LIST("ports", blocklist_ports, LK_PATH, 0, BLOCKLIST_DIR "pool-ports.txt"),
	{ 0 }
};

static const struct item detect_items[] = {
	GROUP("actions", actions_items),
	GROUP("blocklists", blocklists_items),
	{ 0 }
};

static const struct item log_items[] = {
	ENUM("target", log_syslog, target_names, 0),
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
	{ .name = "action", .type = IT_ENUM, .names = feed_action_names, .dflt = FEED_ACT_BLOCK,
	  FFIELD(action) },
	FUINT("max_size", max_size, 1024, 1u << 30, 16u << 20),
	FUINT("max_entries", max_entries, 1, 10000000, 1000000),
	FSTRING("provider", provider, LK_NAME, 0),
	{ 0 }
};

static const struct item publish_items[] = {
	PATH("dir", publish_dir),
	PATH("secret_key", publish_secret_key),
	{ .name = "provider", .type = IT_STRING, .kind = LK_NAME, FIELD(publish_provider) },
	UINT("interval", publish_interval, 30, 86400, 300),
	UINT("validity", publish_validity, 300, 7 * 86400, 86400),
	{ 0 }
};

static const struct item feed_items[] = {
	{ .name = "state_dir", .type = IT_PATH, .dflt_str = LOCALSTATEDIR "/lib/minewall/feeds",
	  FIELD(feed_state_dir) },
	UINT("corroborate", feed_corroborate, 0, CONF_MAX_FEEDS, 0),
	UINT("min_prefix4", feed_min_prefix4, 0, 32, 8),
	UINT("min_prefix6", feed_min_prefix6, 0, 128, 32),
	UINT("ttl_min", feed_ttl_min, 1, 86400, 60),
	UINT("ttl_max", feed_ttl_max, 60, 365 * 86400, 604800),
	UINT("skew", feed_skew, 0, 86400, 300),
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
	{ .name = "state_file", .type = IT_PATH, .dflt_str = LOCALSTATEDIR "/lib/minewall/state",
	  FIELD(state_file) },
	UINT("max_hosts", max_hosts, 64, 16777216, 65536),
	BOOL("count_refused", count_refused, true),
	UINT("refused_per_detection", refused_per_detection, 1, 1000, 10),
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
	GROUP("control", control_items),
	GROUP("metrics", metrics_items),
	{ .name = "feeds", .type = IT_GROUPS, .children = feed_sub_items, .max = CONF_MAX_FEEDS,
	  .elem_size = sizeof(struct conf_feed), FIELD(feeds),
	  .count_off = offsetof(struct mw_conf, n_feeds), .relate = conf_relate_feeds },
	GROUP("feed", feed_items, .relate = conf_relate_feed),
	GROUP("enforce", enforce_items, .relate = conf_relate_enforce),
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

			for (i = 0; i < it->max; i++)
				free(l[i]);
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

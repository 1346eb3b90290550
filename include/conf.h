/* SPDX-License-Identifier: GPL-2.0-or-later */
/* minewall.conf: parse with libconfig, validate against a schema, report every
 * error as FILE:LINE: message. A bad file never yields a half-filled config. */
#ifndef MW_CONF_H
#define MW_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum conf_action { ACT_ALERT = 0, ACT_DROP, ACT_REJECT };

#define CONF_MAX_LIST 32

/* Detectors whose action the config sets; names as in detect { actions { } }. */
enum conf_detector {
	CONF_DET_STRATUM = 0,	/* "stratum" */
	CONF_DET_GETWORK,	/* "getwork" */
	CONF_DET_SV2,		/* "sv2" */
	CONF_DET_TLS_SNI,	/* "tls-sni" (libconfig key: tls_sni) */
	CONF_DET_DNS,		/* "dns" */
	CONF_DET_ENDPOINT,	/* "endpoint" */
	CONF_DET_RELAY,		/* "relay" */
	CONF_DET_WEBSOCKET,	/* "websocket" */
	CONF_DET_TLS_SUSPECT,	/* "tls-suspect" (libconfig key: tls_suspect) */
	CONF_DET_PROBE,		/* "probe": a suspect's server answered a mining handshake */
	CONF_DET_COUNT
};
/* Index of a detector name ("tls-sni" or "tls_sni"), or -1. */
int conf_detector_index(const char *name);
#define CONF_MAX_QUEUES 16
#define CONF_DEFAULT_CONTROL_SOCKET "/run/minewall/minewalld.sock"

/* Defaults of the feed settings: minewalld's (conf_schema.c) and also the
 * limits minewall-feed checks with (feed_limits_default, feed_policy_default),
 * so a feed that passes `minewall-feed verify` passes a default subscriber. */
#define CONF_FEED_MAX_SIZE	(16u << 20)	/* feeds: max_size */
#define CONF_FEED_MAX_ENTRIES	1000000		/* feeds: max_entries */
#define CONF_FEED_SKEW		300		/* feed.skew */
#define CONF_FEED_TTL_MIN	60		/* feed.ttl_min */
#define CONF_FEED_TTL_MAX	604800		/* feed.ttl_max */
#define CONF_FEED_MIN_PREFIX4	8		/* feed.min_prefix4 */
#define CONF_FEED_MIN_PREFIX6	32		/* feed.min_prefix6 */
#define CONF_FEED_MAX_VALIDITY	(7 * 86400)	/* longest expires - issued; not a setting */

/* feeds = ( { ... } ): one subscription to a signed feed. */
#define CONF_MAX_FEEDS 16
#define CONF_MAX_PUBKEYS 4
enum conf_feed_action { FEED_ACT_BLOCK = 0, FEED_ACT_THROTTLE, FEED_ACT_ALERT };

struct conf_feed {
	char *name;			/* [A-Za-z0-9._-]{1,63}, also the file names in state_dir */
	char *url;			/* https://, http:// or file:// */
	char *pubkeys[CONF_MAX_PUBKEYS];	/* minisign public keys (base64 line) */
	unsigned int n_pubkeys;
	uint32_t interval;		/* seconds between snapshot fetches without an index */
	uint32_t poll;			/* seconds between index polls; 0 = no index */
	int action;			/* enum conf_feed_action */
	uint32_t max_size;		/* bytes of the feed file */
	uint32_t max_entries;
	char *provider;			/* required provider id; NULL = the feed's name */
};

/* notify { receivers = ( { ... } ); }: who is told of detections and tier changes. */
#define CONF_MAX_RECEIVERS 16
enum conf_notify_type { CONF_NOTIFY_WEBHOOK = 0, CONF_NOTIFY_EXEC };
/* What a receiver asks for; names as in its events = [ ... ]. */
enum conf_notify_event {
	CONF_NEV_DETECTION = 0,		/* "detection": a detector matched a host's flow */
	CONF_NEV_WATCH,			/* "watch": a tier ended on its timeout */
	CONF_NEV_THROTTLE,		/* "throttle": a host was throttled */
	CONF_NEV_QUARANTINE,		/* "quarantine": a host was quarantined */
	CONF_NEV_RELEASE,		/* "release": an admin released a host */
	CONF_NEV_FEED_REJECTED,		/* "feed_rejected": a feed failed its checks */
	CONF_NEV_PROBE_CONFIRMED,	/* "probe_confirmed": active probing confirmed a pool */
	CONF_NEV_COUNT
};

struct conf_notify {
	char *name;			/* [A-Za-z0-9._-]{1,63} */
	int type;			/* enum conf_notify_type */
	char *url;			/* webhook: http:// or https:// */
	char *secret_file;		/* webhook: HMAC-SHA256 key, mode 0600; NULL: unsigned */
	char *command[CONF_MAX_LIST];	/* exec: argv, command[0] an absolute path */
	unsigned int n_command;
	bool events[CONF_NEV_COUNT];	/* by enum conf_notify_event */
	int min_tier;			/* enum enforce_tier order: 0 watch, 1 throttle, 2 quarantine */
	uint32_t timeout;		/* seconds one attempt may take */
	uint32_t retries;		/* attempts after the first */
	uint32_t backoff, backoff_max;	/* seconds before the first retry, and the cap */
	uint32_t concurrency;		/* attempts in flight at once */
	uint32_t queue;			/* deliveries waiting at most; more are dropped */
	uint32_t coalesce;		/* seconds: one detection notice per host in this window */
};

struct mw_conf {
	char *path;			/* file it came from */

	/* queue { } */
	uint16_t queue_num;		/* first queue number (0..65535) */
	uint16_t queue_count;		/* queues num .. num+count-1 (1..16) */
	uint32_t copy_range;		/* bytes of each packet copied to user space (64..65535) */
	uint32_t queue_maxlen;		/* kernel queue length (1..1048576) */
	bool fail_open;			/* kernel accepts when the queue is full / daemon gone */
	bool syn_log;			/* syns = "log": SYNs forwarded and logged, not queued */
	uint16_t syn_group;		/* the NFLOG group of the SYN log (0..65535) */

	/* protect { } */
	bool hook_output;		/* this host's own outbound traffic */
	bool hook_forward;		/* traffic routed through this host */
	char *interfaces[CONF_MAX_LIST];	/* outbound interfaces; none = all */
	unsigned int n_interfaces;
	uint32_t mark_mask;		/* bits of the packet/ct mark minewall owns */

	/* flows { } */
	uint32_t max_flows;
	uint32_t max_buffers;
	uint32_t inspect_bytes;		/* per direction */
	uint32_t inspect_packets;	/* per flow, both directions */
	uint32_t idle_timeout;		/* seconds */
	bool mark_clean;		/* give clean flows the ct mark that bypasses the queue */

	/* detect { actions { } } */
	enum conf_action action[CONF_DET_COUNT];	/* per detector, enum conf_detector */
	char *blocklist_domains[CONF_MAX_LIST];
	unsigned int n_blocklist_domains;
	char *blocklist_endpoints[CONF_MAX_LIST];
	unsigned int n_blocklist_endpoints;
	char *blocklist_ports[CONF_MAX_LIST];
	unsigned int n_blocklist_ports;
	/* Where each list file is named, "FILE:LINE", or NULL for a default. */
	char *blocklist_domains_at[CONF_MAX_LIST];
	char *blocklist_endpoints_at[CONF_MAX_LIST];
	char *blocklist_ports_at[CONF_MAX_LIST];

	/* log { } */
	bool log_syslog;		/* target = "syslog" (else "stderr") */
	int log_level;			/* enum log_level */
	char *event_log;		/* JSON event lines file, or NULL */
	bool log_decisions;		/* one event line per flow decision, not only detections */

	/* control { } */
	char *ctl_socket;		/* Unix socket path for minewallctl */
	uint32_t ctl_mode;		/* its permission bits (written in octal digits) */
	char *ctl_group;		/* group allowed besides root, or NULL */

	/* metrics { } */
	char *metrics_listen;		/* "addr:port" of the Prometheus endpoint, or NULL (off) */
	/* feeds = ( ) */
	struct conf_feed feeds[CONF_MAX_FEEDS];
	unsigned int n_feeds;
	/* feed { } */
	char *feed_state_dir;
	uint32_t feed_corroborate;	/* 0 = off; else providers needed for "block" */
	uint32_t feed_min_prefix4, feed_min_prefix6;
	uint32_t feed_ttl_min, feed_ttl_max;
	uint32_t feed_skew;
	uint32_t feed_connect_timeout, feed_timeout;	/* seconds */
	/* feed { publish { } } */
	char *publish_dir;		/* NULL = publishing off */
	char *publish_secret_key;	/* NULL = publishing off */
	char *publish_provider;
	uint32_t publish_interval;	/* seconds between snapshots */
	uint32_t publish_debounce_ms;	/* a detection's delta goes out this long after it */
	uint32_t publish_validity;	/* seconds a published feed stays valid */

	/* enforce { } : what happens in the kernel after a detection */
	uint32_t block_timeout;		/* seconds a detected pool endpoint stays blocked (0: no block) */
	bool block_by_endpoint;		/* block_by = "endpoint" (address:port), else "address" */
	uint32_t dns_ttl_min, dns_ttl_max;	/* learned pool addresses: TTL clamped to this */
	uint32_t enf_verdict[4];	/* enforce.verdict { detect; dns; list; feed; }: 0 drop, 1 reject */
	uint32_t esc_window;		/* escalation: detections counted over this many seconds */
	uint32_t esc_throttle_after;	/* detections in the window to throttle a host (0: never) */
	uint32_t esc_quarantine_after;	/* ... to quarantine it (0: never) */
	uint32_t esc_throttle_timeout;	/* seconds (0: until released) */
	uint32_t esc_quarantine_timeout;
	bool esc_count_alerts;		/* alert-only detections escalate the host too */
	uint32_t throttle_rate;		/* bytes/s of a throttled host's egress */
	uint32_t throttle_burst;	/* bytes (0: one second's worth) */
	uint32_t throttle_conns;	/* new connections/s of a throttled host */
	uint32_t pool_port_conns;	/* new connections/s per host to pool ports (0: off) */
	uint32_t queue_rate;		/* packets/s into the queue (0: no cap) */
	char *allow[CONF_MAX_LIST];	/* never blocked: addresses, CIDRs, domains */
	unsigned int n_allow;
	char *quarantine_allow[CONF_MAX_LIST];	/* what a quarantined host may reach */
	unsigned int n_quarantine_allow;
	char *state_file;		/* dynamic blocks and tiers, kept across restarts */
	uint32_t max_hosts;		/* internal hosts tracked for escalation */
	bool count_refused;		/* connections refused by the block sets escalate their host */
	uint32_t refused_per_detection;	/* refused connections that count as one detection */

	/* notify { receivers = ( ) } */
	struct conf_notify receivers[CONF_MAX_RECEIVERS];
	unsigned int n_receivers;
	/* probe { } : confirming suspect servers by speaking to them */
	bool probe_enabled;
	char *probe_source;		/* source address literal, or NULL: the route's */
	char *probe_interface;		/* bound device, or NULL */
	uint32_t probe_timeout;		/* seconds for one probe, every dialect included */
	uint32_t probe_rate;		/* probes started per minute, all endpoints together */
	uint32_t probe_concurrent;	/* probes running at once (threads) */
	uint32_t probe_ttl_positive;	/* seconds a confirmed endpoint is not probed again */
	uint32_t probe_ttl_negative;	/* seconds a cleared endpoint is not probed again */
	char *probe_only[CONF_MAX_LIST];	/* probe only inside these prefixes; none = anywhere public */
	unsigned int n_probe_only;
};

/* Parse and validate path. On success *out is a new config (free with conf_free)
 * and 0 is returned. On failure every error is written to errs as
 * "FILE:LINE: message\n" lines and -1 is returned. */
int conf_load(const char *path, struct mw_conf **out, FILE *errs);
/* The same from text already in memory (tests, fuzzing): path names it in
 * messages and its directory anchors relative paths. errs may be NULL. */
int conf_load_string(const char *text, const char *path, struct mw_conf **out, FILE *errs);
void conf_free(struct mw_conf *c);
/* Each setting whose value differs from was to now, in the schema's order,
 * named "group.key" ("feeds[NAME].key"), values spelled as in the file;
 * restart_only: it takes effect at the next start. Returns how many. */
typedef void (*conf_diff_cb)(const char *name, const char *was, const char *now,
			     bool restart_only, void *arg);
unsigned int conf_diff(const struct mw_conf *was, const struct mw_conf *now, conf_diff_cb cb,
		       void *arg);
/* Give nc running's value of every setting that takes effect at the next start
 * only (what is in force stays what the config says is in force). 0 or -1. */
int conf_keep_restart_only(struct mw_conf *nc, const struct mw_conf *running);
const char *conf_action_name(enum conf_action a);

/* Corroboration of a feed entry: with k = 0 the configured action stands;
 * otherwise an entry listed by at least k providers is blocked and one listed
 * by fewer only throttled (an "alert" feed never blocks). */
static inline enum conf_feed_action conf_feed_corroborate(enum conf_feed_action configured,
							  unsigned int listed_by, unsigned int k)
{
	if (k == 0 || configured != FEED_ACT_BLOCK)
		return configured;
	return listed_by >= k ? FEED_ACT_BLOCK : FEED_ACT_THROTTLE;
}

#endif

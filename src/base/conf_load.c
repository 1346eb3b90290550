// SPDX-License-Identifier: GPL-2.0-or-later
/* minewall.conf: one schema table walked by one validator; every error collected as FILE:LINE. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

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

/* A config file is a few kilobytes; refuse anything absurd before libconfig sees it. */
#define CONF_MAX_FILE (4u << 20)

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
	{ 0 }
};

static const struct item root_group = GROUP(NULL, root_items);

static const char *const detector_names[CONF_DET_COUNT] = {
	[CONF_DET_STRATUM] = "stratum", [CONF_DET_GETWORK] = "getwork", [CONF_DET_SV2] = "sv2",
	[CONF_DET_TLS_SNI] = "tls-sni", [CONF_DET_DNS] = "dns", [CONF_DET_ENDPOINT] = "endpoint",
	[CONF_DET_RELAY] = "relay", [CONF_DET_WEBSOCKET] = "websocket",
};

static void *field(struct ctx *x, size_t off)
{
	return (char *)(x->base ? x->base : x->c) + off;
}

const char *conf_setting_file(const struct ctx *x, const config_setting_t *s)
{
	const char *f = s ? config_setting_source_file(s) : NULL;

	return f ? f : x->path;
}

void conf_err_add(struct ctx *x, const char *file, unsigned int line, const char *fmt, ...)
{
	struct conf_err *e;
	unsigned int i, rank = 0;
	va_list ap;
	int r;

	if (x->n_errs == x->cap_errs) {
		unsigned int cap = x->cap_errs ? 2 * x->cap_errs : 16;
		void *p = realloc(x->errs, cap * sizeof(*x->errs));

		if (!p) {
			x->oom = true;
			return;
		}
		x->errs = p;
		x->cap_errs = cap;
	}
	/* Files rank in the order their first error appeared: an @include keeps its lines together. */
	for (i = 0; i < x->n_errs; i++) {
		if (strcmp(x->errs[i].file, file) == 0)
			break;
		if (x->errs[i].file_rank >= rank)
			rank = x->errs[i].file_rank + 1;
	}
	e = &x->errs[x->n_errs];
	e->file = file;
	e->file_rank = i < x->n_errs ? x->errs[i].file_rank : rank;
	e->line = line;
	e->seq = x->n_errs;
	va_start(ap, fmt);
	r = vasprintf(&e->msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		x->oom = true;
		return;
	}
	x->n_errs++;
}

static int err_cmp(const void *a, const void *b)
{
	const struct conf_err *p = a, *q = b;

	if (p->file_rank != q->file_rank)
		return p->file_rank < q->file_rank ? -1 : 1;
	if (p->line != q->line)
		return p->line < q->line ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static bool is_xdigit(int ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static void lit_add(struct ctx *x, unsigned int line, const char *p, size_t len, bool hex)
{
	struct big_literal *l;
	char buf[64];
	long long v;
	int saved = errno;

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	errno = 0;
	if (hex) {
		unsigned long long u = strtoull(buf + (buf[0] == '-' || buf[0] == '+'), NULL, 16);

		if (errno == 0 && u <= 0xffffffffULL)
			goto out;	/* libconfig keeps the bits; the validator reads them back */
		v = u > LLONG_MAX ? LLONG_MAX : (long long)u;
	} else {
		v = strtoll(buf, NULL, 10);
		if (errno == 0 && v >= INT_MIN && v <= INT_MAX)
			goto out;
	}
	if (x->n_lits == x->cap_lits) {
		unsigned int cap = x->cap_lits ? 2 * x->cap_lits : 8;
		void *q = realloc(x->lits, cap * sizeof(*x->lits));

		if (!q) {
			x->oom = true;
			goto out;
		}
		x->lits = q;
		x->cap_lits = cap;
	}
	l = &x->lits[x->n_lits++];
	l->line = line;
	l->fits = errno == 0;
	l->used = false;
	l->val = v;
	/* glibc's atoi() is (int)strtol() and strtol/strtoul saturate on overflow. */
	if (l->fits)
		l->stored = (int)(uint32_t)(unsigned long long)v;
	else
		l->stored = hex || buf[0] != '-' ? -1 : 0;
	snprintf(l->text, sizeof(l->text), "%.20s%s", buf, len > 20 ? "..." : "");
out:
	errno = saved;
}

/* libconfig 1.5 reads a plain integer with atoi() and a hex one with strtoul() into an int, so
 * "max = 99999999999;" silently becomes 1215752191. Find such literals in the raw text with
 * libconfig's own token rules (strings, comments, names, floats, L suffix) so the validator can
 * reject the value the admin actually wrote. Only the main file is scanned. */
static void scan_big_literals(struct ctx *x, const char *p, size_t n)
{
	unsigned int line = 1;
	size_t i = 0;

	while (i < n) {
		char ch = p[i];

		if (ch == '\n') {
			line++;
			i++;
		} else if (ch == '#' || (ch == '/' && i + 1 < n && p[i + 1] == '/')) {
			while (i < n && p[i] != '\n')
				i++;
		} else if (ch == '/' && i + 1 < n && p[i + 1] == '*') {
			for (i += 2; i < n && !(p[i] == '*' && i + 1 < n && p[i + 1] == '/'); i++)
				line += p[i] == '\n';
			i = i < n ? i + 2 : n;
		} else if (ch == '"') {
			for (i++; i < n && p[i] != '"' && p[i] != '\n'; i++)
				if (p[i] == '\\' && i + 1 < n && p[i + 1] != '\n')
					i++;
			if (i < n && p[i] == '"')
				i++;
		} else if (is_digit(ch) || ((ch == '-' || ch == '+') && i + 1 < n &&
					    is_digit(p[i + 1]))) {
			size_t start = i, len;
			bool hex = false;

			if (ch == '-' || ch == '+')
				i++;
			if (p[i] == '0' && i + 1 < n && (p[i + 1] == 'x' || p[i + 1] == 'X')) {
				hex = true;
				for (i += 2; i < n && is_xdigit(p[i]); i++)
					;
			} else {
				for (; i < n && is_digit(p[i]); i++)
					;
			}
			len = i - start;
			if (i < n && p[i] == 'L') {
				while (i < n && p[i] == 'L')
					i++;
			} else if (!hex && i < n && (p[i] == '.' || p[i] == 'e' || p[i] == 'E')) {
				/* A float: the exponent's digits must not count as an integer. */
				for (i++; i < n && (is_digit(p[i]) || p[i] == '.' || p[i] == 'e' ||
						    p[i] == 'E' || p[i] == '-' || p[i] == '+'); i++)
					;
			} else {
				lit_add(x, line, p + start, len, hex);
			}
		} else if (ch == '.') {
			for (i++; i < n && (is_digit(p[i]) || p[i] == 'e' || p[i] == 'E' ||
					    p[i] == '-' || p[i] == '+'); i++)
				;
		} else if (is_ident(ch)) {
			while (i < n && is_ident(p[i]))
				i++;
		} else {
			i++;
		}
	}
}

/* The literal behind an int setting, if it was one libconfig truncated. Settings are visited in
 * file order, so the first unclaimed literal on the line with the same stored value is the one. */
static const struct big_literal *big_literal_at(struct ctx *x, const config_setting_t *s)
{
	const char *f = config_setting_source_file(s);
	unsigned int i;

	if (f && strcmp(f, x->path) != 0)
		return NULL;
	for (i = 0; i < x->n_lits; i++) {
		struct big_literal *l = &x->lits[i];

		if (!l->used && l->line == config_setting_source_line(s) &&
		    l->stored == config_setting_get_int(s)) {
			l->used = true;
			return l;
		}
	}
	return NULL;
}

/* "mode = 0660;" reaches us as the decimal 660: read its digits as octal, like chmod. */
static long long octal_digits(long long v)
{
	long long r = 0, scale = 1;

	if (v < 0)
		return -1;
	for (; v; v /= 10, scale *= 8) {
		if (v % 10 > 7)
			return -1;
		r += (v % 10) * scale;
	}
	return r;
}

static void store_uint(void *p, size_t size, unsigned long long v)
{
	switch (size) {
	case sizeof(bool):
		*(bool *)p = v != 0;
		break;
	case sizeof(uint16_t):
		*(uint16_t *)p = (uint16_t)v;
		break;
	case sizeof(uint32_t):
		*(uint32_t *)p = (uint32_t)v;
		break;
	case sizeof(uint64_t):
		*(uint64_t *)p = (uint64_t)v;
		break;
	}
}

static int name_index(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static void err_not_one_of(struct ctx *x, const config_setting_t *s, const char *what,
			   const char *const *names, const char *got)
{
	char buf[256];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; names[i] && len < sizeof(buf); i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s\"%s\"",
				i ? (names[i + 1] ? ", " : " or ") : "", names[i]);
	SERR(x, s, "%s must be one of %s (got \"%.64s\")", what, buf, got);
}

/* Relative paths are taken from the config file's directory, so a config and its blocklists can
 * move together. NULL when it does not fit in PATH_MAX or memory runs out. */
static char *path_resolve(const struct ctx *x, const char *s)
{
	char *r;

	if (s[0] == '/' || !x->basedir)
		r = strdup(s);
	else if (asprintf(&r, "%s/%s", x->basedir, s) < 0)
		r = NULL;
	if (r && strlen(r) >= PATH_MAX) {
		free(r);
		r = NULL;
	}
	return r;
}

/* A list of strings, each checked (and for IT_FLAGS mapped to a bit); returns the errors found. */
static unsigned int walk_list(struct ctx *x, const config_setting_t *s, const struct item *it,
			      const char *fq, char **out, unsigned int *bits)
{
	unsigned int i, j, n, errs = x->n_errs;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		SERR(x, s, "'%s' must be a list of strings", fq);
		return 1;
	}
	n = (unsigned int)config_setting_length(s);
	if (n < it->min) {
		SERR(x, s, "'%s' must list at least %lld item%s", fq, it->min,
		     it->min == 1 ? "" : "s");
		return 1;
	}
	if (n > it->max) {
		SERR(x, s, "'%s' must list at most %lld items (got %u)", fq, it->max, n);
		return 1;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);
		int idx;

		if (!v) {
			SERR(x, e, "'%s' item %u must be a string", fq, i + 1);
			continue;
		}
		for (j = 0; j < i; j++) {
			const char *w = config_setting_get_string_elem(s, j);

			if (w && strcmp(w, v) == 0)
				break;
		}
		if (j < i) {
			SERR(x, e, "'%s' lists \"%.64s\" twice", fq, v);
			continue;
		}
		if (it->type == IT_FLAGS) {
			idx = name_index(it->names, v);
			if (idx < 0) {
				char what[144];

				snprintf(what, sizeof(what), "'%s' items", fq);
				err_not_one_of(x, e, what, it->names, v);
			} else
				*bits |= 1u << idx;
		} else if (it->kind == LK_IFNAME) {
			if (!conf_ifname_ok(v))
				SERR(x, e, "'%s': \"%.64s\" is not an interface name "
				     "(1..15 characters of A-Z a-z 0-9 _ . : -)", fq, v);
			else if (!(out[i] = strdup(v)))
				x->oom = true;
		} else if (it->kind != LK_PATH) {
			out[i] = conf_string_checked(x, e, it->kind, fq, v);
		} else {
			if (!v[0])
				SERR(x, e, "'%s' item %u must not be empty", fq, i + 1);
			else if (!(out[i] = path_resolve(x, v)))
				SERR(x, e, "'%s': path \"%.64s\" is too long", fq, v);
		}
	}
	return x->n_errs - errs;
}

static void apply_default(struct ctx *x, const struct item *it);
static void walk_group(struct ctx *x, const config_setting_t *g, const struct item *grp,
		       const char *prefix);

static void walk_groups(struct ctx *x, const config_setting_t *s, const struct item *it,
			const char *fq)
{
	struct item elem = *it;
	unsigned int i, n;
	void *saved = x->base;

	elem.relate = NULL;	/* it relates the records to each other, not one record's members */

	if (!config_setting_is_list(s) && !(config_setting_is_array(s) &&
					    config_setting_length(s) == 0)) {
		SERR(x, s, "'%s' must be a list of groups ( { ... }, ... )", fq);
		return;
	}
	n = (unsigned int)config_setting_length(s);
	if (n > it->max) {
		SERR(x, s, "'%s' must list at most %lld items (got %u)", fq, it->max, n);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		char efq[160];

		snprintf(efq, sizeof(efq), "%s[%u]", fq, i);
		if (!config_setting_is_group(e)) {
			SERR(x, e, "'%s' must be a group { ... }", efq);
			continue;
		}
		/* Records are stored as they pass, so conf_free finds them even on error. */
		*(unsigned int *)((char *)x->c + it->count_off) = i + 1;
		x->base = (char *)x->c + it->off + i * it->elem_size;
		walk_group(x, e, &elem, efq);
		x->base = saved;
	}
	/* Unlike a group's relations, these hold between records and are checked even when
	 * another record has an error: a missing name is simply skipped. */
	if (it->relate)
		it->relate(x, s);
}

static void walk_uint(struct ctx *x, const config_setting_t *s, const struct item *it,
		      const char *fq)
{
	const struct big_literal *lit;
	const char *why;
	long long v;
	char got[32];

	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
		SERR(x, s, "'%s' must be an integer", fq);
		return;
	}
	v = config_setting_get_int64(s);
	lit = config_setting_type(s) == CONFIG_TYPE_INT ? big_literal_at(x, s) : NULL;
	if (lit)
		v = lit->val;
	else if (config_setting_type(s) == CONFIG_TYPE_INT &&
		 config_setting_get_format(s) == CONFIG_FORMAT_HEX)
		v = (uint32_t)v;	/* libconfig 1.5 stores 0x80000000.. as a negative int */
	if (it->octal && !lit && config_setting_get_format(s) != CONFIG_FORMAT_HEX) {
		long long o = octal_digits(v);

		if (o < 0) {
			SERR(x, s, "'%s' must be written in octal digits 0-7, like chmod (got %lld)",
			     fq, v);
			return;
		}
		v = o;
	}
	if (lit && !lit->fits)
		snprintf(got, sizeof(got), "%s", lit->text);
	else if (it->octal)
		snprintf(got, sizeof(got), "%#llo", (unsigned long long)v);
	else if (it->hex && v >= 0)
		snprintf(got, sizeof(got), "0x%08llx", (unsigned long long)v);
	else
		snprintf(got, sizeof(got), "%lld", v);
	if ((lit && !lit->fits) || v < it->min || v > it->max) {
		if (it->octal)
			SERR(x, s, "'%s' must be in range %#llo..%#llo (got %s)", fq,
			     (unsigned long long)it->min, (unsigned long long)it->max, got);
		else if (it->hex)
			SERR(x, s, "'%s' must be in range 0x%llx..0x%llx (got %s)", fq,
			     (unsigned long long)it->min, (unsigned long long)it->max, got);
		else
			SERR(x, s, "'%s' must be in range %lld..%lld (got %s)", fq,
			     it->min, it->max, got);
		return;
	}
	if (it->check && (why = it->check((unsigned long long)v))) {
		SERR(x, s, "'%s' %s (got %s)", fq, why, got);
		return;
	}
	store_uint(field(x, it->off), it->size, (unsigned long long)v);
}

static void walk_item(struct ctx *x, const config_setting_t *s, const struct item *it,
		      const char *fq)
{
	const char *v;
	int idx;

	switch (it->type) {
	case IT_GROUP:
		if (!config_setting_is_group(s))
			SERR(x, s, "'%s' must be a group { ... }", fq);
		else
			walk_group(x, s, it, fq);
		break;
	case IT_UINT:
		walk_uint(x, s, it, fq);
		break;
	case IT_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			SERR(x, s, "'%s' must be a boolean (true or false)", fq);
		else
			*(bool *)field(x, it->off) = config_setting_get_bool(s);
		break;
	case IT_ENUM:
		if (!(v = config_setting_get_string(s))) {
			SERR(x, s, "'%s' must be a string", fq);
			break;
		}
		idx = name_index(it->names, v);
		if (idx < 0) {
			char what[136];

			snprintf(what, sizeof(what), "'%s'", fq);
			err_not_one_of(x, s, what, it->names, v);
		} else if (it->size == sizeof(bool)) {
			*(bool *)field(x, it->off) = idx != 0;
		} else {
			*(int *)field(x, it->off) = idx;
		}
		break;
	case IT_FLAGS: {
		unsigned int bits = 0, i;

		if (walk_list(x, s, it, fq, NULL, &bits) == 0)
			for (i = 0; it->names[i]; i++)
				*(bool *)field(x, it->flag_off[i]) = bits & (1u << i);
		break;
	}
	case IT_LIST:
		/* Items are stored as they pass, so conf_free finds them even on error. */
		if (walk_list(x, s, it, fq, field(x, it->off), NULL) == 0)
			*(unsigned int *)field(x, it->count_off) =
				(unsigned int)config_setting_length(s);
		break;
	case IT_PATH:
		if (!(v = config_setting_get_string(s)))
			SERR(x, s, "'%s' must be a string", fq);
		else if (!v[0])
			SERR(x, s, "'%s' must not be empty (leave it out instead)", fq);
		else if (!(*(char **)field(x, it->off) = path_resolve(x, v)))
			SERR(x, s, "'%s': path \"%.64s\" is too long", fq, v);
		else if (it->max && strlen(*(char **)field(x, it->off)) > (size_t)it->max)
			SERR(x, s, "'%s': path \"%.64s\" is too long (at most %lld bytes)", fq, v,
			     it->max);
		break;
	case IT_STRING: {
		const char *why;

		if (!(v = config_setting_get_string(s)))
			SERR(x, s, "'%s' must be a string", fq);
		else if (it->str_check && (why = it->str_check(v)))
			SERR(x, s, "'%s' %s (got \"%.64s\")", fq, why, v);
		else if (it->str_check && v[0] && !(*(char **)field(x, it->off) = strdup(v)))
			x->oom = true;
		else if (!it->str_check && (v[0] || it->min))
			*(char **)field(x, it->off) = conf_string_checked(x, s, it->kind, fq, v);
		break;
	}
	case IT_GROUPS:
		walk_groups(x, s, it, fq);
		break;
	}
}

static void apply_default(struct ctx *x, const struct item *it)
{
	unsigned int i;

	switch (it->type) {
	case IT_GROUP:
		walk_group(x, NULL, it, NULL);
		break;
	case IT_UINT:
	case IT_BOOL:
		store_uint(field(x, it->off), it->size, (unsigned long long)it->dflt);
		break;
	case IT_ENUM:
		if (it->size == sizeof(bool))
			*(bool *)field(x, it->off) = it->dflt != 0;
		else
			*(int *)field(x, it->off) = (int)it->dflt;
		break;
	case IT_FLAGS:
		for (i = 0; it->names[i]; i++)
			*(bool *)field(x, it->flag_off[i]) = it->dflt & (1u << i);
		break;
	case IT_LIST:
		if (it->dflt_str) {
			char **out = field(x, it->off);

			if (!(out[0] = strdup(it->dflt_str)))
				x->oom = true;
			*(unsigned int *)field(x, it->count_off) = 1;
		}
		break;
	case IT_PATH:
	case IT_STRING:
		if (it->dflt_str && it->dflt_str[0] &&
		    !(*(char **)field(x, it->off) = strdup(it->dflt_str)))
			x->oom = true;
		break;
	case IT_GROUPS:
		break;
	}
}

/* g is NULL for an absent group: then every member takes its default. Members are visited in
 * file order so errors come out in line order without much sorting. */
static void walk_group(struct ctx *x, const config_setting_t *g, const struct item *grp,
		       const char *prefix)
{
	const struct item *items = grp->children;
	unsigned long seen = 0;
	unsigned int i, k, n = g ? (unsigned int)config_setting_length(g) : 0;
	unsigned int errs = x->n_errs;
	const struct item *it;

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);
		char fq[128];

		for (k = 0; items[k].name && strcmp(items[k].name, name) != 0; k++)
			;
		if (!items[k].name) {
			char alt[64];
			size_t j;

			/* "tls-sni" is the detector's name; the key spells it "tls_sni". */
			snprintf(alt, sizeof(alt), "%s", name);
			for (j = 0; alt[j]; j++)
				if (alt[j] == '-')
					alt[j] = '_';
			for (k = 0; items[k].name && strcmp(items[k].name, alt) != 0; k++)
				;
			if (prefix)
				SERR(x, s, "unknown setting '%.64s' in group '%s'%s%s%s", name, prefix,
				     items[k].name ? " (did you mean '" : "",
				     items[k].name ? items[k].name : "", items[k].name ? "'?)" : "");
			else
				SERR(x, s, "unknown setting '%.64s' at top level", name);
			continue;
		}
		seen |= 1ul << k;
		snprintf(fq, sizeof(fq), "%s%s%s", prefix ? prefix : "", prefix ? "." : "", name);
		walk_item(x, s, &items[k], fq);
	}
	for (k = 0, it = items; it->name; k++, it++) {
		if (seen & (1ul << k))
			continue;
		if (g && it->min > 0 && !it->dflt_str &&
		    (it->type == IT_STRING || it->type == IT_LIST))
			SERR(x, g, "'%s%s%s' is required", prefix ? prefix : "", prefix ? "." : "",
			     it->name);
		else
			apply_default(x, it);
	}
	/* Relations between members only mean something once each member is valid; an absent
	 * group holds only defaults, which agree. */
	if (g && grp->relate && x->n_errs == errs)
		grp->relate(x, g);
}

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

static void errs_flush(struct ctx *x, FILE *errs)
{
	unsigned int i;

	if (x->n_errs)
		qsort(x->errs, x->n_errs, sizeof(*x->errs), err_cmp);
	for (i = 0; i < x->n_errs; i++) {
		if (errs)
			fprintf(errs, "%s:%u: %s\n", x->errs[i].file, x->errs[i].line,
				x->errs[i].msg);
		free(x->errs[i].msg);
	}
	if (x->oom && errs)
		fprintf(errs, "%s: out of memory\n", x->path);
	free(x->errs);
	free(x->lits);
}

/* Validate a parsed file against the schema into a fresh struct; all or nothing. */
static int conf_build(struct ctx *x, config_t *cf, struct mw_conf **out, FILE *errs)
{
	int ret = -1;

	x->c = calloc(1, sizeof(*x->c));
	if (!x->c || !(x->c->path = strdup(x->path))) {
		x->oom = true;
		goto out;
	}
	walk_group(x, config_root_setting(cf), &root_group, NULL);
	if (x->n_errs == 0 && !x->oom)
		ret = 0;
out:
	errs_flush(x, errs);
	if (ret == 0) {
		*out = x->c;
	} else {
		conf_free(x->c);
	}
	return ret;
}

static void parse_error(struct ctx *x, config_t *cf)
{
	const char *f = config_error_file(cf);

	conf_err_add(x, f ? f : x->path, (unsigned int)config_error_line(cf), "%s",
		config_error_text(cf) ? config_error_text(cf) : "parse error");
}

int conf_load_string(const char *text, const char *path, struct mw_conf **out, FILE *errs)
{
	struct ctx x = { .path = path };
	char *dir = strdup(path), *slash;
	config_t cf;
	int ret;

	if (!dir) {
		if (errs)
			fprintf(errs, "%s: out of memory\n", path);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	x.basedir = slash ? dir : ".";
	config_init(&cf);
	scan_big_literals(&x, text, strlen(text));
	if (config_read_string(&cf, text) != CONFIG_TRUE) {
		parse_error(&x, &cf);
		errs_flush(&x, errs);
		ret = -1;
	} else {
		ret = conf_build(&x, &cf, out, errs);
	}
	config_destroy(&cf);
	free(dir);
	return ret;
}

static char *read_file(const char *path, size_t *len, FILE *errs)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		if (errs)
			fprintf(errs, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t r;

		if (n + 1 >= cap) {
			char *p;

			cap = cap ? 2 * cap : 8192;
			if (cap > CONF_MAX_FILE + 1 || !(p = realloc(buf, cap))) {
				if (errs)
					fprintf(errs, "%s: %s\n", path, cap > CONF_MAX_FILE + 1 ?
						"file too large (limit 4 MiB)" : "out of memory");
				goto err;
			}
			buf = p;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		if (errs)
			fprintf(errs, "%s: read error\n", path);
		goto err;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
err:
	fclose(f);
	free(buf);
	return NULL;
}

int conf_load(const char *path, struct mw_conf **out, FILE *errs)
{
	struct ctx x = { .path = path };
	char *text = NULL, *dir = NULL, *slash;
	config_t cf;
	size_t len;
	int ret = -1;

	config_init(&cf);
	if (!(text = read_file(path, &len, errs)))
		goto out;
	/* The directory is made absolute now: the daemon may chdir("/") before it opens them. */
	if (!(dir = strdup(path)))
		goto sys_err;
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	x.basedir = realpath(slash ? dir : ".", NULL);
	if (!x.basedir)
		goto sys_err;
	config_set_include_dir(&cf, x.basedir);
	scan_big_literals(&x, text, len);
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		parse_error(&x, &cf);
		errs_flush(&x, errs);
		goto out;
	}
	ret = conf_build(&x, &cf, out, errs);
	goto out;
sys_err:
	if (errs)
		fprintf(errs, "%s: %s\n", path, strerror(errno));
	free(x.lits);
out:
	config_destroy(&cf);
	free((char *)x.basedir);
	free(dir);
	free(text);
	return ret;
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

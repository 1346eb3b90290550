// SPDX-License-Identifier: GPL-2.0-or-later
/* What the schema's types cannot say: masks, names, URLs, keys, relations between settings. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <sys/stat.h>

#include <libconfig.h>

#include "addr_port.h"
#include "conf.h"
#include "conf_int.h"
#include "ep_table.h"
#include "minisign.h"

const char *conf_check_mark_mask(unsigned long long v)
{
	unsigned long long run;

	if (v == 0)
		return "must be nonzero";
	run = v >> __builtin_ctzll(v);
	if ((run & (run + 1)) != 0 || run < 3)
		return "must be one contiguous run of at least 2 bits";
	return NULL;
}

/* Group names as useradd(8) allows them, so getgrnam can find them. */
const char *conf_check_group_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n > 32)
		return "must be a group name of at most 32 characters";
	for (i = 0; i < n; i++)
		if (!(is_ident(s[i]) || s[i] == '.') || s[i] == '*' || s[i] == '@' ||
		    (i == 0 && s[i] == '-'))
			return "must be a group name (A-Z a-z 0-9 _ . -)";
	return NULL;
}

const char *conf_check_listen(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (!s[0])
		return NULL;
	if (addr_port_parse(s, &ss, &len) < 0)
		return "must be \"IPv4:port\" or \"[IPv6]:port\" with a port in 1..65535";
	return NULL;
}

const char *conf_check_address(const char *s)
{
	uint8_t a[16];

	if (!s[0] || inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1)
		return NULL;
	return "must be an IPv4 or IPv6 address";
}

const char *conf_check_ifname(const char *s)
{
	if (!s[0] || conf_ifname_ok(s))
		return NULL;
	return "must be an interface name (1..15 characters of A-Z a-z 0-9 _ . : -)";
}

static const config_setting_t *member(const config_setting_t *g, const char *name)
{
	return g ? config_setting_get_member(g, name) : NULL;
}

/* Neither member is absent when this runs for a present group: cite whichever was written. */
void conf_relate_queue(struct ctx *x, const config_setting_t *g)
{
	const config_setting_t *s = member(g, "count");
	unsigned long long last = (unsigned long long)x->c->queue_num + x->c->queue_count - 1;

	if (last <= 65535)
		return;
	if (!s)
		s = member(g, "num");
	SERR(x, s, "'queue.num' + 'queue.count' - 1 must be at most 65535 (got %llu)", last);
}

void conf_relate_flows(struct ctx *x, const config_setting_t *g)
{
	const config_setting_t *s = member(g, "buffers");

	if (x->c->max_buffers <= x->c->max_flows)
		return;
	if (!s)
		s = member(g, "max");
	SERR(x, s, "'flows.buffers' (%u) must be at most 'flows.max' (%u)",
	     x->c->max_buffers, x->c->max_flows);
}

/* Feed names become file names in state_dir: two feeds may not share one. */
void conf_relate_feeds(struct ctx *x, const config_setting_t *g)
{
	unsigned int i, j;

	for (i = 0; i < x->c->n_feeds; i++) {
		/* Each poll is a request to the provider's server: thousands of
		 * subscribers at 1 s would be its load, not its readers'. */
		if (x->c->feeds[i].poll == 1)
			SERR(x, member(config_setting_get_elem(g, i), "poll"),
			     "'feeds[%u].poll' must be 0 (no index) or at least 2 seconds", i);
	}
	for (i = 0; i < x->c->n_feeds; i++)
		for (j = 0; j < i; j++)
			if (x->c->feeds[i].name && x->c->feeds[j].name &&
			    strcmp(x->c->feeds[i].name, x->c->feeds[j].name) == 0)
				SERR(x, config_setting_get_elem(g, i),
				     "'feeds': name \"%s\" is used twice", x->c->feeds[i].name);
}

void conf_relate_feed(struct ctx *x, const config_setting_t *g)
{
	const config_setting_t *s = member(g, "ttl_max");

	if (x->c->feed_ttl_min > x->c->feed_ttl_max)
		SERR(x, s ? s : member(g, "ttl_min"),
		     "'feed.ttl_min' (%u) must be at most 'feed.ttl_max' (%u)",
		     x->c->feed_ttl_min, x->c->feed_ttl_max);
	if (!x->c->publish_secret_key != !x->c->publish_dir)
		SERR(x, member(g, "publish"),
		     "'feed.publish' needs both 'dir' and 'secret_key' (or neither)");
}

void conf_relate_escalation(struct ctx *x, const config_setting_t *g)
{
	if (x->c->esc_throttle_after && x->c->esc_quarantine_after &&
	    x->c->esc_quarantine_after <= x->c->esc_throttle_after)
		SERR(x, member(g, "quarantine_after") ? member(g, "quarantine_after") : g,
		     "'enforce.escalation.quarantine_after' (%u) must be greater than "
		     "'throttle_after' (%u)", x->c->esc_quarantine_after, x->c->esc_throttle_after);
}

void conf_relate_enforce(struct ctx *x, const config_setting_t *g)
{
	if (x->c->dns_ttl_min > x->c->dns_ttl_max)
		SERR(x, member(g, "dns_ttl_max") ? member(g, "dns_ttl_max") : g,
		     "'enforce.dns_ttl_min' (%u) must be at most 'enforce.dns_ttl_max' (%u)",
		     x->c->dns_ttl_min, x->c->dns_ttl_max);
}

/* The key a webhook signs with: a regular file of 16..4096 bytes that only its owner, the
 * daemon's uid, may read or write. After start-up the daemon is uid 0 without
 * CAP_DAC_OVERRIDE, so a file of another owner would be unreadable at the next reload. */
static void check_secret_file(struct ctx *x, const config_setting_t *s, const char *fq,
			      const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		SERR(x, s, "'%s': %.200s: %s", fq, path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		SERR(x, s, "'%s': %.200s is not a regular file", fq, path);
	else if (st.st_mode & 077)
		SERR(x, s, "'%s': %.200s has mode %04o: group and others must have no access "
		     "(chmod 600)", fq, path, (unsigned int)(st.st_mode & 07777));
	else if (st.st_uid != geteuid())
		SERR(x, s, "'%s': %.200s is owned by uid %u, not by the daemon's uid %u", fq, path,
		     (unsigned int)st.st_uid, (unsigned int)geteuid());
	else if (st.st_size < 16 || st.st_size > 4096)
		SERR(x, s, "'%s': %.200s holds %lld bytes: a key is 16..4096 bytes", fq, path,
		     (long long)st.st_size);
}

/* One receiver against its type. The type is read from the setting itself: a record whose
 * type was misspelled has its error already and is not judged as a webhook. */
static void relate_receiver(struct ctx *x, const config_setting_t *e, unsigned int i)
{
	const struct conf_notify *r = &x->c->receivers[i];
	const config_setting_t *ts = member(e, "type"), *s;
	const char *type = ts ? config_setting_get_string(ts) : NULL;
	char fq[64];

	snprintf(fq, sizeof(fq), "notify.receivers[%u]", i);
	if (!ts) {
		SERR(x, e, "'%s.type' is required (\"webhook\" or \"exec\")", fq);
		return;
	}
	if (!type || (strcmp(type, "webhook") != 0 && strcmp(type, "exec") != 0))
		return;
	if (strcmp(type, "webhook") == 0) {
		if (!member(e, "url"))
			SERR(x, e, "'%s.url' is required for a webhook", fq);
		else if (r->url && strncmp(r->url, "https://", 8) != 0 &&
			 strncmp(r->url, "http://", 7) != 0)
			SERR(x, member(e, "url"), "'%s.url' must be an https:// or http:// URL", fq);
		if ((s = member(e, "command")))
			SERR(x, s, "'%s.command' is for exec receivers, not a webhook", fq);
		if (r->secret_file) {
			char sfq[96];

			snprintf(sfq, sizeof(sfq), "%s.secret_file", fq);
			check_secret_file(x, member(e, "secret_file"), sfq, r->secret_file);
		}
	} else {
		if (!(s = member(e, "command")))
			SERR(x, e, "'%s.command' is required for an exec receiver", fq);
		else if (config_setting_length(s) == 0)
			SERR(x, s, "'%s.command' must list the program and its arguments", fq);
		else if (r->n_command && r->command[0] && r->command[0][0] != '/')
			SERR(x, s, "'%s.command': the program \"%.64s\" must be an absolute path "
			     "(no shell, no PATH search)", fq, r->command[0]);
		if ((s = member(e, "url")))
			SERR(x, s, "'%s.url' is for webhooks, not an exec receiver", fq);
		if ((s = member(e, "secret_file")))
			SERR(x, s, "'%s.secret_file' is for webhooks, not an exec receiver", fq);
	}
	if (r->backoff > r->backoff_max && (s = member(e, "backoff")))
		SERR(x, s, "'%s.backoff' (%u) must be at most 'backoff_max' (%u)", fq, r->backoff,
		     r->backoff_max);
}

/* Receivers: names unique (they label metrics and `notify test`), each complete for its type. */
void conf_relate_receivers(struct ctx *x, const config_setting_t *g)
{
	unsigned int i, j, n = (unsigned int)config_setting_length(g);

	for (i = 0; i < n && i < x->c->n_receivers; i++) {
		const config_setting_t *e = config_setting_get_elem(g, i);

		if (!config_setting_is_group(e))
			continue;
		for (j = 0; j < i; j++)
			if (x->c->receivers[i].name && x->c->receivers[j].name &&
			    strcmp(x->c->receivers[i].name, x->c->receivers[j].name) == 0)
				SERR(x, e, "'notify.receivers': name \"%s\" is used twice",
				     x->c->receivers[i].name);
		relate_receiver(x, e, i);
	}
}

/* An allowlist item: an address or prefix (no port), or a domain name. */
/* A string meant as an address: digits and dots with a numeric last label
 * (no top-level domain is numeric), or a ':' or '/'. */
static bool looks_like_address(const char *s)
{
	const char *last = strrchr(s, '.');
	size_t i;

	if (strchr(s, ':') || strchr(s, '/'))
		return true;
	last = last ? last + 1 : s;
	if (!*last)
		return false;
	for (i = 0; last[i]; i++)
		if (!is_digit(last[i]))
			return false;
	return true;
}

static bool allow_ok(const char *s, char *err, size_t errsize)
{
	struct ep_entry e;
	size_t i, label = 0, n = strlen(s);
	bool dot = false;

	err[0] = '\0';
	if (ep_parse(s, &e, err, errsize) == 0)
		return e.port == 0;
	if (!looks_like_address(s))
		err[0] = '\0';
	else
		return false;
	if (n < 3 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			dot = true;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-'))
			return false;
		if (++label > 63)
			return false;
	}
	return dot;
}

static bool name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 63)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      is_digit(s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return s[0] != '.';
}

static bool url_ok(const char *s)
{
	size_t i;

	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0 &&
	    strncmp(s, "file:///", 8) != 0)
		return false;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return i < 2048;
}

/* One string setting checked by kind; NULL (with an error added) when it fails. */
char *conf_string_checked(struct ctx *x, const config_setting_t *s, enum list_kind kind,
			  const char *fq, const char *v)
{
	char err[128];
	struct minisign_pubkey pk;
	char *r = NULL;

	switch (kind) {
	case LK_NAME:
		if (!name_ok(v))
			SERR(x, s, "'%s': \"%.64s\" is not a name "
			     "(1..63 characters of A-Z a-z 0-9 . _ -, not starting with .)", fq, v);
		else if (!(r = strdup(v)))
			x->oom = true;
		break;
	case LK_URL:
		if (!url_ok(v))
			SERR(x, s, "'%s': \"%.64s\" is not an https://, http:// or file:/// URL",
			     fq, v);
		else if (!(r = strdup(v)))
			x->oom = true;
		break;
	case LK_ALLOW:
		if (allow_ok(v, err, sizeof(err))) {
			if (!(r = strdup(v)))
				x->oom = true;
		} else if (err[0]) {
			SERR(x, s, "'%s': \"%.64s\" looks like an address but is not one (%s)", fq, v,
			     err);
		} else {
			SERR(x, s, "'%s': \"%.64s\" is not an address, prefix (no port) or domain name",
			     fq, v);
		}
		break;
	case LK_ARG:
		/* One argv item, passed as it is: no shell ever reads it. */
		if (!v[0] || strlen(v) > 1024 || strpbrk(v, "\n\r\t"))
			SERR(x, s, "'%s': an argument must be 1..1024 characters without line breaks "
			     "or tabs", fq);
		else if (!(r = strdup(v)))
			x->oom = true;
		break;
	case LK_PUBKEY:
		if (minisign_pubkey_parse(v, strlen(v), &pk, err, sizeof(err)) < 0)
			SERR(x, s, "'%s': not a minisign public key: %s", fq, err);
		else if (!(r = strdup(v)))
			x->oom = true;
		break;
	default:
		break;
	}
	return r;
}

/* What the kernel accepts (IFNAMSIZ - 1) narrowed to what admins actually name interfaces. */
bool conf_ifname_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 15)
		return false;
	for (i = 0; i < n; i++)
		if (!(is_ident(s[i]) || s[i] == '.' || s[i] == ':') || s[i] == '*' || s[i] == '@')
			return false;
	return true;
}

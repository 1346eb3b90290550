// SPDX-License-Identifier: GPL-2.0-or-later
/* What the schema's types cannot say: masks, names, URLs, keys, relations between settings. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>

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

/* An allowlist item: an address or prefix (no port), or a domain name. */
static bool allow_ok(const char *s)
{
	struct ep_entry e;
	char err[64];
	size_t i, label = 0, n = strlen(s);
	bool dot = false;

	if (ep_parse(s, &e, err, sizeof(err)) == 0)
		return e.port == 0;
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
		if (!allow_ok(v))
			SERR(x, s, "'%s': \"%.64s\" is not an address, prefix (no port) or domain name",
			     fq, v);
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

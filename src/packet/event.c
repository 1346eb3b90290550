// SPDX-License-Identifier: GPL-2.0-or-later
/* JSON and text forms of engine events, with EVE field names. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "buf_printf.h"
#include "event.h"
#include "pkt.h"

/* The ISO 8601 years 0001-9999, in seconds since the epoch. */
#define TS_MIN_SEC	(-62135596800LL)
#define TS_MAX_SEC	253402300799LL

void event_timeval_normalize(struct timeval *tv)
{
	long long sec = (long long)tv->tv_sec, usec = (long long)tv->tv_usec;

	/* A fraction out of range carries into the seconds (floor division). */
	sec += usec / 1000000;
	usec %= 1000000;
	if (usec < 0) {
		usec += 1000000;
		sec--;
	}
	if (sec < TS_MIN_SEC) {
		sec = TS_MIN_SEC;
		usec = 0;
	} else if (sec > TS_MAX_SEC) {
		sec = TS_MAX_SEC;
		usec = 999999;
	}
	tv->tv_sec = (time_t)sec;
	tv->tv_usec = (suseconds_t)usec;
}

void event_timestamp(char *buf, size_t size, const struct timeval *tv)
{
	struct timeval n = *tv;
	struct tm tm;
	time_t t;
	char base[32];

	event_timeval_normalize(&n);
	t = n.tv_sec;
	if (!gmtime_r(&t, &tm) || strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(base, sizeof(base), "1970-01-01T00:00:00");
	snprintf(buf, size, "%s.%06ld+0000", base, (long)n.tv_usec);
}

/* Byte by byte, without printf: offline, every detection's detail passes here. */
int event_json_string(char *buf, size_t size, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t p = *pos;

	/* Like buf_printf(): each piece must leave room for the terminating NUL. */
	if (p >= size || size - p < 2)
		return -1;
	buf[p++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t n = c == '"' || c == '\\' ? 2 : c < 0x20 || c >= 0x7f ? 6 : 1;

		if (size - p < n + 1)
			return -1;
		if (n == 2) {
			buf[p++] = '\\';
			buf[p++] = (char)c;
		} else if (n == 6) {
			memcpy(buf + p, "\\u00", 4);
			buf[p + 4] = hex[c >> 4];
			buf[p + 5] = hex[c & 15];
			p += 6;
		} else {
			buf[p++] = (char)c;
		}
	}
	if (size - p < 2)
		return -1;
	buf[p++] = '"';
	buf[p] = '\0';
	*pos = p;
	return 0;
}

const char *event_type_name(enum event_type t)
{
	switch (t) {
	case EVENT_MINING:
		return "mining";
	case EVENT_DECISION:
		return "decision";
	case EVENT_SUSPECT:
		return "suspect";
	}
	return "?";
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "TCP" : proto == IPPROTO_UDP ? "UDP" : "OTHER";
}

int event_format_json(char *buf, size_t size, const struct mw_event *ev)
{
	char ts[48], src[64], dst[64];
	size_t pos = 0;
	const struct flow_key *k = ev->key;

	event_timestamp(ts, sizeof(ts), &ev->ts);
	pkt_addr_str(k->family, k->addr[0], src, sizeof(src));
	pkt_addr_str(k->family, k->addr[1], dst, sizeof(dst));
	if (buf_printf(buf, size, &pos,
		   "{\"timestamp\":\"%s\",\"event_type\":\"%s\",\"src_ip\":\"%s\",\"src_port\":%u,"
		   "\"dest_ip\":\"%s\",\"dest_port\":%u,\"proto\":\"%s\"",
		   ts, event_type_name(ev->type), src, k->port[0], dst,
		   k->port[1], proto_name(k->proto)) < 0)
		return -1;
	if (ev->detector && (buf_printf(buf, size, &pos, ",\"detector\":") < 0 ||
			     event_json_string(buf, size, &pos, ev->detector) < 0))
		return -1;
	if (ev->dialect && ev->dialect[0] && (buf_printf(buf, size, &pos, ",\"dialect\":") < 0 ||
					      event_json_string(buf, size, &pos, ev->dialect) < 0))
		return -1;
	if (ev->detail && ev->detail[0] && (buf_printf(buf, size, &pos, ",\"detail\":") < 0 ||
					    event_json_string(buf, size, &pos, ev->detail) < 0))
		return -1;
	if (buf_printf(buf, size, &pos, ",\"action\":\"%s\"",
		   ev->type != EVENT_DECISION ? conf_action_name(ev->action) : "pass") < 0)
		return -1;
	if (ev->confirmed && buf_printf(buf, size, &pos, ",\"confirmed\":true") < 0)
		return -1;
	if (ev->inbound && buf_printf(buf, size, &pos, ",\"opened_by\":\"remote\"") < 0)
		return -1;
	if (ev->allowlisted && buf_printf(buf, size, &pos, ",\"allowlisted\":true") < 0)
		return -1;
	if (ev->learned && buf_printf(buf, size, &pos, ",\"learned\":%u", ev->learned) < 0)
		return -1;
	if (buf_printf(buf, size, &pos, "}") < 0)
		return -1;
	return (int)pos;
}

int event_format_text(char *buf, size_t size, const struct mw_event *ev)
{
	char src[64], dst[64];
	const struct flow_key *k = ev->key;
	int n;

	pkt_addr_str(k->family, k->addr[0], src, sizeof(src));
	pkt_addr_str(k->family, k->addr[1], dst, sizeof(dst));
	n = snprintf(buf, size, "%s %s %s%s%s:%u -> %s%s%s:%u %s%s%s%s%s action=%s%s%s",
		     event_type_name(ev->type), proto_name(k->proto),
		     k->family == AF_INET6 ? "[" : "", src, k->family == AF_INET6 ? "]" : "", k->port[0],
		     k->family == AF_INET6 ? "[" : "", dst, k->family == AF_INET6 ? "]" : "", k->port[1],
		     ev->detector ? ev->detector : "-",
		     ev->dialect && ev->dialect[0] ? "/" : "", ev->dialect ? ev->dialect : "",
		     ev->detail && ev->detail[0] ? " " : "", ev->detail ? ev->detail : "",
		     ev->type != EVENT_DECISION ? conf_action_name(ev->action) : "pass",
		     ev->allowlisted ? " (allowlisted: not blocked)" : "",
		     ev->inbound ? " (opened from outside: reported, not blocked)" : "");
	return n < 0 || (size_t)n >= size ? -1 : n;
}

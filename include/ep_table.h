/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Endpoint table: IPv4/IPv6 addresses, CIDR prefixes and address:port entries,
 * longest-prefix match, fast with a million entries, with optional expiry. */
#ifndef MW_EP_TABLE_H
#define MW_EP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ep_table;

struct ep_entry {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t plen;		/* prefix length: 32/128 for one address */
	uint16_t port;		/* 0 = any port */
	uint8_t addr[16];
	uint64_t expires_ms;	/* 0 = never; else monotonic ms */
	uint32_t tag;		/* caller's label (which list, feed or detector put it there) */
};

struct ep_table *ep_table_new(void);
void ep_table_free(struct ep_table *t);
/* Insert or update (same family/addr/plen/port: expiry and tag replaced). 0 or -1. */
int ep_table_add(struct ep_table *t, const struct ep_entry *e);
/* Remove an exact entry. 0, or -1 when absent. */
int ep_table_del(struct ep_table *t, const struct ep_entry *e);
/* Most specific live entry covering addr that has port 0 or this port; NULL if none.
 * Entries whose expires_ms <= now_ms do not match (pass now_ms = 0 to ignore expiry). */
const struct ep_entry *ep_table_lookup(const struct ep_table *t, uint8_t family,
				       const uint8_t addr[16], uint16_t port, uint64_t now_ms);
/* Drop expired entries; returns how many. */
size_t ep_table_expire(struct ep_table *t, uint64_t now_ms);
size_t ep_table_count(const struct ep_table *t);
size_t ep_table_memory(const struct ep_table *t);
void ep_table_foreach(const struct ep_table *t, int (*cb)(const struct ep_entry *e, void *arg), void *arg);

/* Text form of e, the syntax ep_parse reads: "198.51.100.7", "203.0.113.0/24",
 * "198.51.100.7:3333", "[2001:db8::1]:3333", "[2001:db8::/48]:3333". */
const char *ep_entry_str(const struct ep_entry *e, char *buf, size_t size);

/* Parse "198.51.100.7", "203.0.113.0/24", "2001:db8::/32", "198.51.100.7:3333",
 * "[2001:db8::1]:3333" into e (expires 0, tag 0). 0, or -1 with a reason in err. */
int ep_parse(const char *s, struct ep_entry *e, char *err, size_t errsize);
/* A decimal number of at most 5 digits in [min, max] spanning exactly
 * s[0..len): no sign, no space. 0, or -1. */
int ep_number(const char *s, size_t len, unsigned long min, unsigned long max,
	      unsigned long *out);

#endif

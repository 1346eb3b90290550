/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A set of domain names matched exactly or by suffix (a listed domain covers its subdomains). */
#ifndef MW_DOMAIN_SET_H
#define MW_DOMAIN_SET_H

#include <stddef.h>
#include <stdint.h>

struct domain_set;

struct domain_set *domain_set_new(void);
void domain_set_free(struct domain_set *ds);
/* name is case-insensitive, without trailing dot. "*.pool.example" matches only
 * subdomains; "pool.example" matches itself and its subdomains. 0, or -1 (invalid name). */
int domain_set_add(struct domain_set *ds, const char *name);
/* 1 when name (len bytes, not NUL-terminated, trailing dot allowed) is covered. If matched
 * is not NULL, the listed entry that matched is copied there (NUL-terminated). */
int domain_set_match(const struct domain_set *ds, const char *name, size_t len,
		     char *matched, size_t matched_size);
size_t domain_set_count(const struct domain_set *ds);

#endif

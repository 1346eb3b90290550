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

/* Sources. Each entry keeps a caller's bit mask (tag) for its apex and one for
 * its subdomains; adding a name again ORs the bits in. domain_set_add adds
 * with tag 0. */
int domain_set_add_tag(struct domain_set *ds, const char *name, uint32_t tag);
/* domain_set_match that also gives the matched entry's tag (if tag is not NULL). */
int domain_set_match_tag(const struct domain_set *ds, const char *name, size_t len,
			 char *matched, size_t matched_size, uint32_t *tag);
/* Every entry as a name domain_set_add_tag takes ("x" or "*.x") with its tag;
 * stops at the first cb returning -1 (and returns -1). */
int domain_set_foreach(const struct domain_set *ds,
		       int (*cb)(const char *name, uint32_t tag, void *arg), void *arg);

#endif

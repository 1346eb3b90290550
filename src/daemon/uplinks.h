/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which interfaces lead out: those the main routing table's default routes
 * (IPv4 and IPv6) leave through. With protect.interfaces empty, the forward
 * hook takes them as the outside, so it knows who opened a flow from where. */
#ifndef MW_UPLINKS_H
#define MW_UPLINKS_H

#include <net/if.h>

#define UPLINKS_MAX 32

struct uplinks {
	char name[UPLINKS_MAX][IF_NAMESIZE];
	const char *ptr[UPLINKS_MAX];	/* name[i], for a ruleset_cfg */
	unsigned int n;
};

/* Read the default routes from the kernel into u (deduplicated, in the
 * order found). 0 (u->n may be 0: no default route), or -1 when the routing
 * table could not be read (errno set). */
int uplinks_discover(struct uplinks *u);

#endif

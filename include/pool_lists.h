/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pool intelligence the detectors consult: domains, endpoints and ports
 * loaded from the configured blocklist files, as one unit swapped on reload. */
#ifndef MW_POOL_LISTS_H
#define MW_POOL_LISTS_H

#include <stdint.h>
#include <stdio.h>

#include "conf.h"

struct pool_lists {
	struct domain_set *domains;
	struct ep_table *endpoints;
	uint8_t ports[8192];	/* bitmap of 65536 ports */
};

/* Load every list the config names; all or nothing. Errors go to errs as
 * FILE:LINE: message lines. NULL on error. */
struct pool_lists *pool_lists_load(const struct mw_conf *c, FILE *errs);
void pool_lists_free(struct pool_lists *pl);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/* Loads the configured blocklist files into one pool_lists unit. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocklist.h"
#include "domain_set.h"
#include "ep_table.h"
#include "pool_lists.h"

/* Tag of entries that came from the shipped or admin-edited list files. */
#define POOL_TAG_LISTS 1

/* A list file that cannot be opened is reported at the configuration line
 * naming it (at, "FILE:LINE"), or as the default of its setting. 0 or -1. */
static int readable(const struct mw_conf *c, const char *setting, const char *path,
		    const char *at, FILE *errs)
{
	if (access(path, R_OK) == 0)
		return 0;
	if (!errs)
		return -1;
	if (at)
		fprintf(errs, "%s: '%s' names %s: %s\n", at, setting, path, strerror(errno));
	else
		fprintf(errs, "%s: '%s' is not set, and its default %s: %s\n", c->path, setting,
			path, strerror(errno));
	return -1;
}

struct pool_lists *pool_lists_load(const struct mw_conf *c, FILE *errs)
{
	struct pool_lists *pl = calloc(1, sizeof(*pl));
	unsigned int i;
	int bad = 0;

	if (!pl)
		return NULL;
	pl->domains = domain_set_new();
	pl->endpoints = ep_table_new();
	if (!pl->domains || !pl->endpoints)
		goto err;
	/* Every file is read even after a failure, so one run reports every error. */
	for (i = 0; i < c->n_blocklist_domains; i++)
		bad |= readable(c, "detect.blocklists.domains", c->blocklist_domains[i],
				c->blocklist_domains_at[i], errs) < 0 ||
		       blocklist_load_domains(c->blocklist_domains[i], pl->domains, errs) < 0;
	for (i = 0; i < c->n_blocklist_endpoints; i++)
		bad |= readable(c, "detect.blocklists.endpoints", c->blocklist_endpoints[i],
				c->blocklist_endpoints_at[i], errs) < 0 ||
		       blocklist_load_endpoints(c->blocklist_endpoints[i], pl->endpoints,
						POOL_TAG_LISTS, errs) < 0;
	for (i = 0; i < c->n_blocklist_ports; i++)
		bad |= readable(c, "detect.blocklists.ports", c->blocklist_ports[i],
				c->blocklist_ports_at[i], errs) < 0 ||
		       blocklist_load_ports(c->blocklist_ports[i], pl->ports, errs) < 0;
	if (bad)
		goto err;
	return pl;
err:
	pool_lists_free(pl);
	return NULL;
}

void pool_lists_free(struct pool_lists *pl)
{
	if (!pl)
		return;
	domain_set_free(pl->domains);
	ep_table_free(pl->endpoints);
	free(pl);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's dynamic state on disk: blocks it installed, host tiers and
 * allowlist entries added at run time, with their wall-clock expiry. Written
 * atomically (temporary file, fsync, rename, fsync of the directory); read
 * whole or not at all: a damaged file is moved aside and reported. */
#ifndef MW_STATE_FILE_H
#define MW_STATE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "enforce.h"
#include "ep_table.h"
#include "escalate.h"

enum state_kind {
	STATE_BLOCK = 0,	/* ep + source (ENF_DETECT, ENF_DNS; lists and feeds are rebuilt from files) */
	STATE_TIER,		/* host (escalate_host) */
	STATE_ALLOW,		/* ep + which (ENF_ALLOW / ENF_QALLOW), added with minewallctl */
};

struct state_item {
	enum state_kind kind;
	enum enforce_source source;	/* STATE_BLOCK */
	enum enforce_allow which;	/* STATE_ALLOW */
	struct ep_entry ep;		/* STATE_BLOCK, STATE_ALLOW; ep.expires_ms: wall clock ms, 0 = never */
	struct escalate_host host;	/* STATE_TIER */
	char reason[64];		/* free text, no control characters, for the operator */
};

struct state {
	struct state_item *items;
	size_t n, cap;
};

void state_init(struct state *st);
void state_fini(struct state *st);
int state_add(struct state *st, const struct state_item *it);

/* Write st to path atomically. 0, or -1 with errno and a reason in err; the
 * previous file is intact on any failure (disk full included). */
int state_write(const char *path, const struct state *st, char *err, size_t errsize);

/* Read path into st (empty when the file does not exist: 0). Items already
 * expired at now_ms (wall clock) are skipped. A file that fails to parse is
 * renamed to path.corrupt-<unix time>, the reason goes to err, st stays empty
 * and 1 is returned; -1 on I/O errors. */
int state_read(const char *path, struct state *st, uint64_t now_ms, char *err, size_t errsize);

#endif

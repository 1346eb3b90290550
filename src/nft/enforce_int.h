/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between enforce.c and enforce_sets.c only: set definitions. */
#ifndef MW_ENFORCE_INT_H
#define MW_ENFORCE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "enforce.h"

#define ENF_TABLE	"minewall"

struct enforce_set_def {
	char name[ENF_SET_NAME_MAX + 1];
	uint32_t key_type;
	uint32_t key_len;
	uint32_t flags;		/* NFT_SET_* */
	bool meter;		/* dynamic, per-host state: flushed on install */
	uint64_t timeout_ms;	/* dynamic sets: default element timeout; 0 none */
	uint32_t size;		/* dynamic sets: most elements; 0 unbounded */
};

/* Definition of a set holding entries of this kind and family. */
void enforce_set_def(struct enforce_set_def *d, const char *name, int family,
		     enum enforce_kind kind);

/* Whether adding to (add) or deleting from set may stop or slow flows that
 * are already established, so the batch must flip the clean generation. */
bool enforce_set_flips(const char *set, bool add);

/* Append a flush of set to b. 0 or -1. */
int enforce_emit_flush(struct nlbatch *b, const char *set);

struct mnl_socket;

/* The enforcer's socket and a fresh sequence number, for dumps. */
struct mnl_socket *enforce_nl(struct enforcer *e);
uint32_t enforce_next_seq(struct enforcer *e);
bool enforce_in_batch(const struct enforcer *e);

#endif

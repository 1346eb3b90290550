/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the rule builders above ruleset_expr.h: the hooks minewall
 * protects (ruleset_hooks.c), the clean generation (ruleset_gen.c), the
 * enforcement rules (ruleset_sets.c) and the whole ruleset (ruleset.c). */
#ifndef MW_RULESET_INT_H
#define MW_RULESET_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ruleset_expr.h"

/* One protected hook and the names of the chains minewall owns for it. */
struct hook_def {
	const char *base;
	const char *inspect;
	const char *mark;
	const char *block4, *block6;	/* NULL: no block sets on this hook */
	const char *fast;		/* generation chains (ruleset_gen.c); */
	const char *clean;		/* fast is NULL where there are no blocks */
	unsigned int hooknum;
};

extern const struct hook_def hook_output, hook_forward, hook_input;

/* The clean generation the chains of a ruleset name (ruleset_gen.c). */
struct gen {
	uint32_t mask;			/* mark mask the chains were built with */
	uint32_t cur;			/* current clean value, MW_MARK_* scale */
	bool output, forward;		/* which hooks are installed */
};

/* Clean generations cycle CLEAN, CLEAN_ALT, 4, 5, .. up to what mask holds. */
uint32_t gen_next(uint32_t mask, uint32_t cur);
uint32_t gen_prev(uint32_t mask, uint32_t cur);
/* What a conntrack sweep writes over NEXT before a flip from cur: PREV, or
 * 0 (unjudged) when the cycle has only two values and PREV is NEXT. */
uint32_t gen_stale(uint32_t mask, uint32_t cur);
/* Fill h's generation chains (flushed first when flush) for bd's mask. */
void rules_gen(struct build *bd, const struct hook_def *h, uint32_t cur, bool flush);
/* The installed ruleset's generation: 1 and *g filled, 0 when no minewall
 * ruleset is installed, -1 on error. */
int gen_read(struct mnl_socket *nl, uint32_t seq, struct gen *g);
/* Flush every generation chain g names and refill it for g->cur. 0 or -1. */
int gen_emit(struct nlbatch *b, const struct gen *g);

/* The enforcement rules of a hook's inspect chain, before the mark rules,
 * and its block chains (ruleset_sets.c). */
void rules_sets(struct build *bd, const struct hook_def *h);
void rules_blocks(struct build *bd, const struct hook_def *h);
/* The chains the block chains jump to for a flow's first packet, shared by
 * the hooks: count what the block sets refuse (enforce.count_refused). */
#define COUNT_CHAIN4	"count_refused4"
#define COUNT_CHAIN6	"count_refused6"
/* The refused sets, and the count chains' rules with count_refused (the
 * chains exist, empty without). */
void rules_count_refused(struct build *bd);
/* The queue cap rule, right before the queue rules. */
void rules_queue_cap(struct build *bd, const char *chain);

/* Fill chain (pure_tcp, or syn_tcp with log) with the rules that accept a
 * TCP segment without payload, logging it to cfg->syn_group when log
 * (ruleset_pure.c). */
void rules_pure(struct build *bd, const char *chain, bool log);

/* Everything ruleset_install sends, appended to bd->b; cur: the clean
 * generation to install. */
void ruleset_build(struct build *bd, uint32_t cur);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Connections the kernel refused per internal host: the "refused" sets the
 * block chains count into, read back and turned into per-host deltas. */
#ifndef MW_REFUSED_COUNT_H
#define MW_REFUSED_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mnl_socket;

/* Per family: "refused4", "refused6" (ruleset_sets.c counts into them). */
#define REFUSED_SET4		"refused4"
#define REFUSED_SET6		"refused6"
/* Hosts each set holds; a host beyond it is not counted until one leaves. */
#define REFUSED_SET_SIZE	65536u
/* An element leaves after this long without a refused connection. The daemon
 * keeps its own window; this only has to outlast a few polls by far. */
#define REFUSED_TIMEOUT_MS	600000u

struct refused_count;

/* What the kernel holds for one host: its refused connections so far. */
struct refused_elem {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];		/* IPv4: first 4 bytes, the rest zero */
	uint64_t packets;
};

struct refused_count *refused_count_new(void);
void refused_count_free(struct refused_count *rc);
/* Forget the last dump: the next one only sets the baseline again. */
void refused_count_reset(struct refused_count *rc);

/* Building a dump: clear it, add each element (hosts beyond REFUSED_SET_SIZE
 * per family are ignored). 0, or -1 without memory. */
void refused_count_begin(struct refused_count *rc);
int refused_count_add(struct refused_count *rc, const struct refused_elem *e);

/* Compare the dump just built with the previous one and make it the
 * previous one. cb gets every host with refused connections since then:
 * from, the counter they follow (0 for a host new to the dump or reset),
 * and n of them, at most cap_host (the rest are counted, not reported). A host
 * new to the dump counts all its packets (it came, or came back after its
 * element timed out, since the last dump); a counter lower than before was
 * reset (the element timed out and came back): it counts from zero. The
 * first dump after new/reset is only the baseline: nothing is reported.
 * Returns the refused connections counted (uncapped). */
uint64_t refused_count_diff(struct refused_count *rc, uint32_t cap_host,
			    void (*cb)(const struct refused_elem *e, uint64_t from, uint32_t n,
				       void *arg),
			    void *arg);

/* Dump both sets from the kernel into rc (begin + add). A missing set counts
 * as empty. 0, or -1 with errno set (the dump is then incomplete: do not
 * diff it). */
int refused_count_dump(struct refused_count *rc, struct mnl_socket *nl, uint32_t seq);

#endif

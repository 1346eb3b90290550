/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a receiver is sent: one JSON document per notice, with the host's
 * recent detections, and the per-host memory behind it (those detections and
 * when each receiver last heard of the host, for coalescing). Main thread only;
 * plain C that unit tests drive. */
#ifndef MW_NOTIFY_DOC_H
#define MW_NOTIFY_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "conf.h"
#include "event.h"
#include "flow.h"

/* Detections remembered per host, newest first in a document. */
#define NOTIFY_RECENT		5
/* Hosts remembered at once; past it the least recently seen is forgotten. */
#define NOTIFY_HOSTS		1024

struct notify_det {
	struct timeval ts;
	struct flow_key key;
	char detector[16];
	char dialect[32];
	char detail[160];
	uint8_t action;			/* enum conf_action */
	bool confirmed, allowlisted;
};

struct notify_host {
	uint8_t family;			/* 0: free slot */
	uint8_t addr[16];
	uint64_t seen_ms;		/* last detection, wall clock */
	unsigned int n_recent, head;	/* recent[head] is the newest */
	struct notify_det recent[NOTIFY_RECENT];
	/* By receiver slot (the order of notify.receivers): when it last heard of
	 * this host, and the detections held back since. */
	uint64_t sent_ms[CONF_MAX_RECEIVERS];
	uint32_t held[CONF_MAX_RECEIVERS];
};

struct notify_hosts;

struct notify_hosts *notify_hosts_new(void);
void notify_hosts_free(struct notify_hosts *t);
/* Remember a detection of its client (ev->key->addr[0]); the host, or NULL
 * (out of memory is impossible: the table is fixed). */
struct notify_host *notify_hosts_note(struct notify_hosts *t, const struct mw_event *ev,
				      uint64_t now_ms);
/* The host, or NULL when it has no detection remembered. */
struct notify_host *notify_hosts_find(struct notify_hosts *t, uint8_t family, const uint8_t *addr);
/* A detection notice of h for receiver slot: true when due (the window restarts,
 * *held says how many were held back before it), false when inside the window
 * of window_s seconds since the last notice (counted in h->held). */
bool notify_host_due(struct notify_host *h, unsigned int slot, uint32_t window_s, uint64_t now_ms,
		     uint32_t *held);
/* Receivers renumbered (reload): old_slot[new] is where each was, or -1. */
void notify_hosts_remap(struct notify_hosts *t, const int *old_slot, unsigned int n);

/* One notice. Strings may be NULL; eve is a complete JSON object. */
struct notify_doc_in {
	const char *id, *type, *event, *gateway, *text;
	const struct timeval *ts;
	const char *eve;
	/* The host it is about, or NULL (feeds, tests). */
	uint8_t family;
	const uint8_t *addr;
	const char *tier, *previous;	/* previous: NULL unless a tier change */
	uint32_t detections;		/* in the escalation window */
	uint64_t expires_in;		/* seconds left in the tier, 0: none */
	uint32_t held;			/* detections held back since the last notice */
	const struct notify_host *host;	/* its recent detections, or NULL */
	bool evidence;			/* the newest of them is what caused this notice */
};

/* The document into buf: its length, or -1 when even the smallest form did
 * not fit (recent detections are left out first). */
int notify_doc_build(char *buf, size_t size, const struct notify_doc_in *in);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Relay correlation: a host that both accepts mining connections and opens
 * them itself is a relay (a compromised host proxying miners to a pool). */
#ifndef MW_RELAY_TRACK_H
#define MW_RELAY_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct relay_track;

struct relay_host {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
};

struct relay_finding {
	struct relay_host relay;	/* the host in the middle */
	struct relay_host inbound;	/* a miner that connected to it */
	struct relay_host outbound;	/* the pool it connected to */
};

/* capacity: hosts remembered (bounded, least recently seen replaced);
 * window_ms: how long one leg is remembered. */
struct relay_track *relay_track_new(unsigned int capacity, uint64_t window_ms);
void relay_track_free(struct relay_track *rt);

/* A mining flow from client to server was seen at now_ms. Returns true and
 * fills out when it completes a relay (the client was seen accepting mining
 * connections, or the server was seen opening them). A relay is reported once
 * per window. Safe to call from several threads (the queue workers share one). */
bool relay_track_note(struct relay_track *rt, const struct relay_host *client,
		      const struct relay_host *server, uint64_t now_ms, struct relay_finding *out);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tunnels through SOCKS4/4a/5 and HTTP CONNECT proxies. Once a client's
 * request is complete, the flow's client stream is cut to what the tunnel
 * carries (and its reply stream once the proxy said yes), so every detector
 * judges the tunnel's bytes from their start, as if the client had dialled the
 * target itself. Tunnels inside tunnels are followed up to TUNNEL_DEPTH_MAX.
 * The state lives in the flow's buffer (flow_aux) and in fl->tunnel. */
#ifndef MW_TUNNEL_H
#define MW_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "flow.h"

#define TUNNEL_DEPTH_MAX 3
/* fl->tunnel: the tunnels open on the client's side, and this bit once
 * following them stopped (too deep, or a request we could not see whole). */
#define TUNNEL_DEPTH_MASK 0x0f
#define TUNNEL_STOPPED 0x80
/* What tunnel_chain() returns fits in this. */
#define TUNNEL_CHAIN_MAX 256

enum tunnel_step {
	TUNNEL_NONE = 0,	/* nothing to follow in the bytes there are */
	TUNNEL_MORE,		/* a request under way: keep inspecting the flow */
	TUNNEL_OPENED,		/* a request complete: the client stream now starts
				 * with what the new tunnel carries */
	TUNNEL_REPLIED,		/* a proxy said yes: the reply stream moved on */
	TUNNEL_TOO_DEEP,	/* a request inside TUNNEL_DEPTH_MAX tunnels: not followed */
	TUNNEL_UNSEEN,		/* a request whose end does not fit the buffer, or is
				 * still to come when the budget ends: not followed */
};

static inline unsigned int tunnel_depth(const struct flow *fl)
{
	return fl->tunnel & TUNNEL_DEPTH_MASK;
}

/* One step on a TCP flow seen from its start that holds a buffer: first the
 * next proxy answer awaited on the reply side, then a request at the start of
 * the client side. done[dir]: no more bytes will come that way (FIN, RST);
 * last: this is the last packet the flow's budget lets us see. On OPENED,
 * TOO_DEEP and UNSEEN, what (if not NULL) gets "socks5 to host:port" for the
 * request seen. Call again after OPENED or REPLIED: there may be more to take
 * in the same bytes. */
enum tunnel_step tunnel_step(struct flow *fl, const bool done[2], bool last, char *what,
			     size_t what_size);

/* The flow as the detectors see it inside the tunnels: the client, and the
 * innermost target (family 0 when given by name). The flow's own key when
 * there is no tunnel. */
const struct flow_key *tunnel_key(const struct flow *fl);
/* Every proxy on the way said yes: the reply stream holds the tunnel's bytes. */
bool tunnel_replied(const struct flow *fl);
/* An answer will never be understood (refused, unreadable, too long): the
 * tunnel's reply side is not going to be seen. */
bool tunnel_reply_lost(const struct flow *fl);
/* " via=socks5 target=203.0.113.2:80 via=http-connect target=pool:443",
 * one hop per tunnel, names cut to 48 bytes; "" without a tunnel. */
const char *tunnel_chain(const struct flow *fl);
/* The innermost target's name, or "" when it is an address. */
const char *tunnel_name(const struct flow *fl);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Application-layer mining detectors (stratum, HTTP getwork, proxies, WebSocket relays). */
#ifndef MW_DET_APP_H
#define MW_DET_APP_H

#include <stddef.h>
#include <stdint.h>

#include "detect.h"

extern const struct detector det_stratum;	/* "stratum" */
extern const struct detector det_getwork;	/* "getwork" */
extern const struct detector det_proxy;		/* "relay": HTTP CONNECT and SOCKS to pools */
extern const struct detector det_websocket;	/* "websocket": stratum inside WebSocket frames */

/* Who sent a line given to stratum_classify_line. */
#define STRATUM_FROM_CLIENT 0
#define STRATUM_FROM_SERVER 1
#define STRATUM_FROM_ANY 2	/* midstream: the flow's direction may be unknown */

/* Judge one complete JSON message (a line; surrounding whitespace allowed):
 *  DET_MATCH  a mining message: f->dialect and f->detail filled; f->confirmed
 *             set when it is a server message that only a pool sends;
 *  DET_MORE   a well-formed JSON-RPC response ({"id":..,"result"/"error"}) that
 *             proves nothing by itself: look at the next line;
 *  DET_NO     malformed JSON, not an object, or a request/notification/other
 *             object that is not a mining message. */
enum det_result stratum_classify_line(const uint8_t *line, size_t len, int from,
				      struct det_finding *f);

#endif

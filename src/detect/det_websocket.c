/* SPDX-License-Identifier: GPL-2.0-or-later */
/* WebSocket relay detector: after an HTTP Upgrade to websocket, unmask the
 * first messages and judge them with the stratum line classifier (browser
 * miners speak cryptonote stratum or coinhive's {"type":"auth"} over WebSocket). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "det_app.h"
#include "http_req.h"

/* Bytes of one message we reassemble; longer messages are not judged. */
#define WS_MAX_MSG 4096
/* Messages per direction looked at before giving up. */
#define WS_MAX_MSGS 2

enum ws_op { WS_CONT = 0x0, WS_TEXT = 0x1, WS_BINARY = 0x2 };

struct ws_msg {
	uint8_t data[WS_MAX_MSG];
	size_t len;
	bool too_long;		/* longer than WS_MAX_MSG, or compressed: not judged */
	bool started;
};

/* Next message of a frame sequence at b[*pos..len). 1 a whole message is in m,
 * 0 need more bytes, -1 not a valid frame sequence. */
static int ws_next_msg(const uint8_t *b, size_t len, size_t *pos, bool client, struct ws_msg *m)
{
	size_t p = *pos;

	m->len = 0;
	m->too_long = false;
	m->started = false;
	for (;;) {
		uint8_t op, mask[4] = { 0, 0, 0, 0 };
		bool fin, masked;
		uint64_t plen;
		size_t hdr = 2, i;

		if (len - p < 2)
			return 0;
		fin = b[p] & 0x80;
		op = b[p] & 0x0f;
		masked = b[p + 1] & 0x80;
		plen = b[p + 1] & 0x7f;
		if (masked != client || (b[p] & 0x30))
			return -1;	/* wrong masking side, or RSV2/RSV3 without an extension */
		if (plen == 126) {
			if (len - p < 4)
				return 0;
			plen = (uint64_t)b[p + 2] << 8 | b[p + 3];
			hdr = 4;
		} else if (plen == 127) {
			if (len - p < 10)
				return 0;
			if (b[p + 2] & 0x80)
				return -1;
			for (plen = 0, i = 0; i < 8; i++)
				plen = plen << 8 | b[p + 2 + i];
			hdr = 10;
		}
		if (masked) {
			if (len - p < hdr + 4)
				return 0;
			memcpy(mask, b + p + hdr, 4);
			hdr += 4;
		}
		if (op >= 0x8) {
			/* Control frames: short, unfragmented, skipped. */
			if (!fin || plen > 125 || op > 0xa)
				return -1;
			if (len - p - hdr < plen)
				return 0;
			p += hdr + (size_t)plen;
			continue;
		}
		if (op > WS_BINARY || (op == WS_CONT) != m->started)
			return -1;
		m->started = true;
		if (b[p] & 0x40)
			m->too_long = true;	/* RSV1: permessage-deflate, cannot read it */
		if (len - p - hdr < plen)
			return 0;	/* the frame is not all here yet */
		for (i = 0; i < plen; i++) {
			if (m->len >= WS_MAX_MSG) {
				m->too_long = true;
				break;
			}
			m->data[m->len++] = b[p + hdr + i] ^ mask[i & 3];
		}
		p += hdr + (size_t)plen;
		if (fin) {
			*pos = p;
			return 1;
		}
	}
}

/* Judge up to WS_MAX_MSGS messages of one direction. */
static enum det_result ws_scan(const uint8_t *b, size_t len, bool full, size_t start, int from,
			       struct det_finding *out)
{
	struct ws_msg m;
	size_t pos = start;
	unsigned int n;
	int rc;

	for (n = 0; n < WS_MAX_MSGS; n++) {
		rc = ws_next_msg(b, len, &pos, from == STRATUM_FROM_CLIENT, &m);
		if (rc < 0)
			return DET_NO;
		if (rc == 0)
			return full ? DET_NO : DET_MORE;
		if (!m.too_long &&
		    stratum_classify_line(m.data, m.len, from, out) == DET_MATCH)
			return DET_MATCH;
	}
	return DET_NO;
}

/* End of the server's 101 response head: 0 need more, -1 not a 101, else offset. */
static long reply_head(const uint8_t *r, size_t len)
{
	static const char ok[] = "HTTP/1.1 101";
	size_t n = len < sizeof(ok) - 1 ? len : sizeof(ok) - 1;
	const uint8_t *e;

	if (memcmp(r, ok, n) != 0)
		return -1;
	for (e = r; (e = memchr(e, '\r', len - (size_t)(e - r))) != NULL; e++)
		if (len - (size_t)(e - r) >= 4 && memcmp(e, "\r\n\r\n", 4) == 0)
			return (long)(e - r) + 4;
	return 0;
}

static enum det_result websocket_inspect(const struct det_env *env, const struct det_stream *s,
					 struct det_finding *out)
{
	const uint8_t *b = s->data[FLOW_ORIG];
	size_t len = s->len[FLOW_ORIG];
	const struct http_header *h;
	struct http_req req;
	enum det_result rc;
	long rh = 0;

	if (s->midstream)
		return DET_NO;
	if (len == 0)
		return s->len[FLOW_REPLY] ? DET_NO : DET_MORE;
	if (len < 4)
		return memcmp(b, "GET ", len) == 0 ? DET_MORE : DET_NO;
	if (memcmp(b, "GET ", 4) != 0)
		return DET_NO;
	switch (http_req_parse(b, len, &req)) {
	case HTTP_INVALID:
		return DET_NO;
	case HTTP_INCOMPLETE:
		return s->full[FLOW_ORIG] ? DET_NO : DET_MORE;
	case HTTP_OK:
		break;
	}
	h = http_req_header(&req, "Upgrade");
	if (!h || !http_header_has_token(h, "websocket"))
		return DET_NO;
	if (s->len[FLOW_REPLY]) {
		rh = reply_head(s->data[FLOW_REPLY], s->len[FLOW_REPLY]);
		if (rh < 0)
			return DET_NO;
	}
	/* The pool's first job, pushed right after the login, may come first. */
	if (rh > 0) {
		struct det_finding tmp;

		memset(&tmp, 0, sizeof(tmp));
		if (ws_scan(s->data[FLOW_REPLY], s->len[FLOW_REPLY], true, (size_t)rh,
			    STRATUM_FROM_SERVER, &tmp) == DET_MATCH) {
			*out = tmp;
			return DET_MATCH;
		}
	}
	if (len == req.body_off)
		return s->full[FLOW_ORIG] ? DET_NO : DET_MORE;
	rc = ws_scan(b, len, s->full[FLOW_ORIG], req.body_off, STRATUM_FROM_CLIENT, out);
	if (rc == DET_MATCH)
		snprintf(out->detail + strlen(out->detail),
			 sizeof(out->detail) - strlen(out->detail), " (websocket)");
	return rc;
}

const struct detector det_websocket = {
	.name = "websocket",
	.protos = DET_P_TCP,
	.inspect = websocket_inspect,
};

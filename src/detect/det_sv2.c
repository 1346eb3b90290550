// SPDX-License-Identifier: GPL-2.0-or-later
/* Stratum V2: a plaintext SetupConnection frame on any port, or the Noise NX
 * handshake sizes on the SV2 ports. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "det_net.h"

/*
 * Frame header (sv2-spec 03-Protocol-Overview): extension_type U16 LE, msg_type U8,
 * msg_length U24 LE. SetupConnection (0x00) payload: protocol U8, min_version U16,
 * max_version U16, flags U32, endpoint_host STR0_255, endpoint_port U16, vendor,
 * hardware_version, firmware, device_id STR0_255. The frame must be exactly that
 * long and every string printable.
 *
 * Noise (04-Protocol-Security): the initiator's act 1 is its ephemeral key alone,
 * 64 bytes ElligatorSwift (32 bytes x-only in pre-2024 SRI); the responder's act 2
 * is e (64) + encrypted s (64 + 16) + encrypted signature message (74 + 16) = 234
 * bytes (170 with 32-byte keys). Random-looking 64 bytes and a reply of exactly that
 * size is only taken as SV2 on the ports SV2 pools use (3336, 3337, 34254): the
 * pool port list holds 80/443 and wide ranges, where that shape is not specific.
 */

#define SV2_HDR 6
#define SV2_MSG_SETUP_CONNECTION 0x00
#define SV2_SETUP_MIN (1 + 2 + 2 + 4 + 1 + 2 + 1 + 1 + 1 + 1)

static const uint16_t sv2_ports[] = { 3336, 3337, 34254 };

struct sv2_noise_shape {
	size_t act1, act2;
};

static const struct sv2_noise_shape sv2_noise[] = {
	{ 64, 64 + 64 + 16 + 74 + 16 },	/* ElligatorSwift (current SRI) */
	{ 32, 32 + 32 + 16 + 74 + 16 },	/* x-only keys (older SRI) */
};

/* A STR0_255 at *off: length byte plus printable ASCII. */
static bool sv2_str(const uint8_t *p, size_t len, size_t *off, char *copy, size_t copysize)
{
	size_t l, i;

	if (*off >= len)
		return false;
	l = p[*off];
	if (l > len - *off - 1)
		return false;
	for (i = 0; i < l; i++)
		if (p[*off + 1 + i] < 0x20 || p[*off + 1 + i] > 0x7e)
			return false;
	if (copy)
		snprintf(copy, copysize, "%.*s", (int)l, (const char *)p + *off + 1);
	*off += 1 + l;
	return true;
}

enum sv2_shape { SV2_NOT, SV2_SHORT, SV2_OK };

static enum sv2_shape sv2_setup(const uint8_t *d, size_t len, struct det_finding *out)
{
	char host[256], vendor[256];
	unsigned int proto, minv, maxv, port;
	size_t mlen, off;
	const uint8_t *p;

	/* Header bytes as they arrive: extension 0x0000 (no channel bit), msg_type 0x00. */
	if ((len >= 1 && d[0]) || (len >= 2 && d[1]) || (len >= 3 && d[2] != SV2_MSG_SETUP_CONNECTION))
		return SV2_NOT;
	if (len < SV2_HDR)
		return SV2_SHORT;
	mlen = (size_t)d[3] | (size_t)d[4] << 8 | (size_t)d[5] << 16;
	if (mlen < SV2_SETUP_MIN || mlen > SV2_SETUP_MIN + 5 * 255)
		return SV2_NOT;
	p = d + SV2_HDR;
	if (len - SV2_HDR < mlen) {
		/* Check the fixed part early so benign zero-led streams leave quickly. */
		if (len - SV2_HDR >= 1 && p[0] > 3)
			return SV2_NOT;
		return SV2_SHORT;
	}
	proto = p[0];
	minv = p[1] | (unsigned int)p[2] << 8;
	maxv = p[3] | (unsigned int)p[4] << 8;
	if (proto > 3 || minv == 0 || minv > maxv || maxv > 255)
		return SV2_NOT;
	off = 9;
	if (!sv2_str(p, mlen, &off, host, sizeof(host)) || mlen - off < 2)
		return SV2_NOT;
	port = p[off] | (unsigned int)p[off + 1] << 8;
	off += 2;
	if (!sv2_str(p, mlen, &off, vendor, sizeof(vendor)) || !sv2_str(p, mlen, &off, NULL, 0) ||
	    !sv2_str(p, mlen, &off, NULL, 0) || !sv2_str(p, mlen, &off, NULL, 0) || off != mlen)
		return SV2_NOT;
	snprintf(out->dialect, sizeof(out->dialect), "sv2");
	snprintf(out->detail, sizeof(out->detail),
		 "SetupConnection protocol=%u version=%u-%u host=%.40s:%u vendor=%.40s",
		 proto, minv, maxv, host, port, vendor);
	return SV2_OK;
}

static bool sv2_on_port(uint16_t port)
{
	for (size_t i = 0; i < sizeof(sv2_ports) / sizeof(sv2_ports[0]); i++)
		if (sv2_ports[i] == port)
			return true;
	return false;
}

/* Keys look random: many distinct byte values, unlike text or padding. */
static bool sv2_random(const uint8_t *d, size_t len)
{
	uint8_t seen[32] = { 0 };
	size_t i, distinct = 0;

	for (i = 0; i < len; i++) {
		if (!(seen[d[i] >> 3] & (1u << (d[i] & 7)))) {
			seen[d[i] >> 3] |= (uint8_t)(1u << (d[i] & 7));
			distinct++;
		}
	}
	return distinct * 8 >= len * 5;
}

static enum det_result sv2_noise_shape(const struct det_stream *s, struct det_finding *out)
{
	size_t c = s->len[FLOW_ORIG], r = s->len[FLOW_REPLY];
	size_t i;

	for (i = 0; i < sizeof(sv2_noise) / sizeof(sv2_noise[0]); i++) {
		const struct sv2_noise_shape *n = &sv2_noise[i];

		/* The client sends act 1 and waits: nothing more until act 2 arrives. */
		if (c != n->act1 || !sv2_random(s->data[FLOW_ORIG], c))
			continue;
		if (r < n->act2)
			return DET_MORE;
		if (r != n->act2)
			return DET_NO;
		snprintf(out->dialect, sizeof(out->dialect), "sv2-noise");
		snprintf(out->detail, sizeof(out->detail),
			 "noise handshake %zu+%zu bytes on port %u", n->act1, n->act2,
			 s->key->port[1]);
		out->confirmed = true;
		return DET_MATCH;
	}
	/* Act 1 may still be arriving in pieces. */
	return c < sv2_noise[0].act1 && r == 0 ? DET_MORE : DET_NO;
}

static enum det_result sv2_inspect(const struct det_env *env, const struct det_stream *s,
				   struct det_finding *out)
{
	const uint8_t *d = s->data[FLOW_ORIG];
	size_t len = s->len[FLOW_ORIG];
	enum sv2_shape sh;

	if (s->midstream)
		return DET_NO;
	if (!len)
		return s->len[FLOW_REPLY] ? DET_NO : DET_MORE;	/* server speaks first: not SV2 */
	sh = sv2_setup(d, len, out);
	if (sh == SV2_OK) {
		const uint8_t *r = s->data[FLOW_REPLY];

		/* SetupConnection.Success (0x01) or .Error (0x02) back: the server speaks SV2. */
		out->confirmed = s->len[FLOW_REPLY] >= SV2_HDR && r[0] == 0 && r[1] == 0 &&
				 (r[2] == 0x01 || r[2] == 0x02);
		return DET_MATCH;
	}
	if (sh == SV2_SHORT)
		return s->full[FLOW_ORIG] ? DET_NO : DET_MORE;
	if (!sv2_on_port(s->key->port[1]))
		return DET_NO;
	return sv2_noise_shape(s, out);
}

const struct detector det_sv2 = {
	.name = "sv2",
	.protos = DET_P_TCP,
	.session = true,
	.inspect = sv2_inspect,
};

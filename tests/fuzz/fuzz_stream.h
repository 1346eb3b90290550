/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz input → det_stream. Format: byte 0 flags (bit 0 midstream, bit 1 the
 * packet is the reply's, bit 2/3 orig/reply buffer full), bytes 1-2 the orig
 * length (big endian, clamped), then orig bytes, then reply bytes. Each
 * direction is copied into an exact-size heap buffer so overreads are caught.
 * The detector is also run on a few prefixes of orig, as bytes would arrive. */
#ifndef MW_FUZZ_STREAM_H
#define MW_FUZZ_STREAM_H

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "detect.h"

static inline void fuzz_stream_run(const struct detector *d, const struct det_env *env,
				   const uint8_t *data, size_t size)
{
	static const struct flow_key key = {
		.family = AF_INET, .proto = 6, .port = { 40000, 3333 },
		.addr = { { 10, 0, 0, 1 }, { 10, 0, 0, 2 } },
	};
	size_t olen, rlen, cut[4];
	struct det_finding f;
	struct det_stream s;
	uint8_t *o, *r;
	unsigned int i;

	if (size < 3)
		return;
	olen = (size_t)data[1] << 8 | data[2];
	if (olen > size - 3)
		olen = size - 3;
	rlen = size - 3 - olen;
	o = malloc(olen ? olen : 1);
	r = malloc(rlen ? rlen : 1);
	if (!o || !r)
		goto out;
	memcpy(o, data + 3, olen);
	memcpy(r, data + 3 + olen, rlen);
	cut[0] = olen / 3;
	cut[1] = olen / 2;
	cut[2] = olen ? olen - 1 : 0;
	cut[3] = olen;
	for (i = 0; i < 4; i++) {
		memset(&s, 0, sizeof(s));
		memset(&f, 0, sizeof(f));
		s.key = &key;
		s.midstream = data[0] & 1;
		s.dir = (data[0] & 2) ? FLOW_REPLY : FLOW_ORIG;
		s.data[FLOW_ORIG] = cut[i] ? o : NULL;
		s.len[FLOW_ORIG] = cut[i];
		s.data[FLOW_REPLY] = rlen ? r : NULL;
		s.len[FLOW_REPLY] = rlen;
		s.full[FLOW_ORIG] = (data[0] & 4) && i == 3;
		s.full[FLOW_REPLY] = data[0] & 8;
		s.pkt_data = s.data[s.dir];
		s.pkt_len = s.len[s.dir];
		if (d->inspect(env, &s, &f) == DET_MATCH &&
		    (memchr(f.dialect, 0, sizeof(f.dialect)) == NULL ||
		     memchr(f.detail, 0, sizeof(f.detail)) == NULL))
			abort();	/* findings must be NUL-terminated strings */
	}
out:
	free(o);
	free(r);
}

#endif

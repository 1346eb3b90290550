/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper: build a det_stream from literal bytes (copied into exact-size
 * heap buffers so a sanitizer build catches any read past the end) and run a
 * detector on it, whole and split. */
#ifndef MW_TEST_DET_STREAM_H
#define MW_TEST_DET_STREAM_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "detect.h"

static inline uint8_t *dup_bytes(const void *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	if (!d)
		abort();
	if (len)
		memcpy(d, p, len);
	return d;
}

/* Run d on orig[0..olen) and reply[0..rlen); out is cleared first. */
static inline enum det_result det_run(const struct detector *d, const struct det_env *env,
			       const void *orig, size_t olen, const void *reply, size_t rlen,
			       bool midstream, bool full, struct det_finding *out)
{
	static const struct flow_key key = {
		.family = AF_INET, .proto = 6, .port = { 40000, 3333 },
		.addr = { { 10, 0, 0, 1 }, { 10, 0, 0, 2 } },
	};
	struct det_stream s;
	enum det_result r;
	uint8_t *o = dup_bytes(orig, olen), *p = dup_bytes(reply, rlen);

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.key = &key;
	s.data[FLOW_ORIG] = olen ? o : NULL;
	s.len[FLOW_ORIG] = olen;
	s.data[FLOW_REPLY] = rlen ? p : NULL;
	s.len[FLOW_REPLY] = rlen;
	s.full[FLOW_ORIG] = full && olen;
	s.full[FLOW_REPLY] = full && rlen;
	s.dir = rlen && !olen ? FLOW_REPLY : FLOW_ORIG;
	s.pkt_data = s.data[s.dir];
	s.pkt_len = s.len[s.dir];
	s.midstream = midstream;
	r = d->inspect(env, &s, out);
	free(o);
	free(p);
	return r;
}

/* Client bytes only, stream start seen, buffer not full. */
static inline enum det_result det_run_c(const struct detector *d, const struct det_env *env,
				 const char *orig, struct det_finding *out)
{
	return det_run(d, env, orig, strlen(orig), NULL, 0, false, false, out);
}

/* Every proper prefix of orig (cut at each of the given points, clamped)
 * must give DET_MORE; returns how many cuts did not. */
static inline int det_more_at_splits(const struct detector *d, const struct det_env *env,
			      const void *orig, size_t olen)
{
	size_t cuts[] = { 1, 2, 7, olen / 3, olen / 2, olen - 2, olen - 1 };
	struct det_finding f;
	int bad = 0;
	size_t i;

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		if (cuts[i] == 0 || cuts[i] >= olen)
			continue;
		if (det_run(d, env, orig, cuts[i], NULL, 0, false, false, &f) != DET_MORE) {
			fprintf(stderr, "%s: cut at %zu of %zu is not DET_MORE\n", d->name, cuts[i], olen);
			bad++;
		}
	}
	return bad;
}

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz entry for the prober's reply judge: the first byte picks the dialect,
 * the rest is the server's answer, judged at every length and at the end. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum probe_dialect d, shown;
	char what[96], req[512];
	uint8_t *b;
	size_t n;

	if (size < 1)
		return 0;
	d = (enum probe_dialect)(data[0] % PROBE_N_DIALECTS);
	(void)probe_request(d, "203.0.113.7:3333", req, sizeof(req));
	n = size - 1;
	/* A copy of exactly n bytes, so reading past it is caught. */
	b = malloc(n ? n : 1);
	if (!b)
		return 0;
	memcpy(b, data + 1, n);
	(void)probe_reply_classify(d, b, n, true, what, sizeof(what), &shown);
	(void)probe_reply_classify(d, b, n, false, what, sizeof(what), &shown);
	if (n > 1)
		(void)probe_reply_classify(d, b, n / 2, false, what, sizeof(what), &shown);
	free(b);
	return 0;
}

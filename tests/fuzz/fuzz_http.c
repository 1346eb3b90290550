// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz entry for the det_getwork detector (input format in fuzz_stream.h). */
#include "config.h"

#include <stdint.h>

#include "det_app.h"
#include "fuzz_stream.h"
#include "http_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ports[65536 / 8];
	struct det_env env = { .pool_ports = ports };

	ports[3333 >> 3] |= 1u << (3333 & 7);
	struct http_req req;
	const struct http_header *h;

	/* The parser alone, on the raw input, then the detector. */
	if (http_req_parse(data, size, &req) == HTTP_OK) {
		h = http_req_header(&req, "Upgrade");
		if (h)
			(void)http_header_has_token(h, "websocket");
	}
	fuzz_stream_run(&det_getwork, &env, data, size);
	return 0;
}

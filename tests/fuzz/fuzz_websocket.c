// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz entry for the det_websocket detector (input format in fuzz_stream.h). */
#include "config.h"

#include <stdint.h>

#include "det_app.h"
#include "fuzz_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ports[65536 / 8];
	struct det_env env = { .pool_ports = ports };

	ports[3333 >> 3] |= 1u << (3333 & 7);
	fuzz_stream_run(&det_websocket, &env, data, size);
	return 0;
}

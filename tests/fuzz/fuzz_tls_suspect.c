// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz the tls-suspect detector: ClientHello, JA4, ServerHello and the first records both ways. */
#include "config.h"

#include <stdint.h>

#include "det_net.h"
#include "fuzz_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ports[8192];
	struct det_env env = { .pool_ports = ports };

	ports[3333 >> 3] |= 1u << (3333 & 7);
	fuzz_stream_run(&det_tls_suspect, &env, data, size);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz the SV2 detector: the first input byte splits the rest into client and server bytes. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "det_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_key key = { .family = AF_INET, .proto = IPPROTO_TCP, .port = { 40000, 3336 } };
	struct det_env env = { 0 };
	struct det_stream s = { .key = &key };
	struct det_finding f;
	size_t split;

	if (size < 1)
		return 0;
	split = (size_t)data[0] * 2;
	data++;
	size--;
	if (split > size)
		split = size;
	s.data[FLOW_ORIG] = data;
	s.len[FLOW_ORIG] = split;
	s.data[FLOW_REPLY] = data + split;
	s.len[FLOW_REPLY] = size - split;
	memset(&f, 0, sizeof(f));
	det_sv2.inspect(&env, &s, &f);
	s.len[FLOW_ORIG] = size;
	s.len[FLOW_REPLY] = 0;
	key.port[1] = 34255;
	det_sv2.inspect(&env, &s, &f);
	return 0;
}

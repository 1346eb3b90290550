// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the metrics endpoint's request judgement and listen address parser. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr_port.h"
#include "metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char *s;
	int st;

	if (size > 2 * METRICS_MAX_REQUEST)
		return 0;
	st = metrics_http_check(data, size);
	if (st != 0 && st != 200 && st != 400 && st != 404 && st != 405)
		abort();
	if (size >= METRICS_MAX_REQUEST && st == 0)
		abort();
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	addr_port_parse(s, &ss, &len);
	free(s);
	return 0;
}

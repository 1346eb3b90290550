// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz entry for the JSON scanner: scan, then walk every member it reports. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct json_span *v)
{
	struct json_span k, e;
	char buf[32];
	unsigned int i;

	(void)json_string_copy(v, buf, sizeof(buf));
	(void)json_string_eq(v, "mining.subscribe");
	for (i = 0; i < 4; i++) {
		if (json_array_get(v, i, &e) == 1)
			(void)json_string_copy(&e, buf, sizeof(buf));
		if (json_object_key(v, i, &k) == 1 && json_object_get(v, "job", &e) == 1)
			(void)json_object_get(&e, "blob", &k);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = malloc(size ? size : 1);
	struct json_span v;
	struct json_rpc r;

	if (!b)
		return 0;
	memcpy(b, data, size);
	if (json_scan_value(b, size, &v, NULL) == 0)
		walk(&v);
	if (json_scan_rpc(b, size, &r) == 0) {
		walk(&r.method);
		walk(&r.params);
		walk(&r.result);
	}
	free(b);
	return 0;
}

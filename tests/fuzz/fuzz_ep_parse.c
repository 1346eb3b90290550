// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz ep_parse; what parses must insert and then be found by its own address. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ep_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ep_table *t;
	char s[128], err[128];
	struct ep_entry e;

	if (!t)
		t = ep_table_new();
	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ep_parse(s, &e, err, sizeof(err)) == 0) {
		if (ep_table_add(t, &e) < 0 || !ep_table_lookup(t, e.family, e.addr, e.port, 0))
			abort();
		if (ep_table_count(t) > 10000) {
			ep_table_free(t);
			t = NULL;
		}
	}
	return 0;
}

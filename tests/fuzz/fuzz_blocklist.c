// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz the list line parsers: every input line through the domain, endpoint and port parsers. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blocklist.h"
#include "domain_set.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct domain_set *ds;
	char line[BLOCKLIST_LINE_MAX + 1], name[300], err[256];
	struct ep_entry e;
	uint16_t lo, hi;
	size_t off = 0;

	if (!ds)
		ds = domain_set_new();
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - data - off) : size - off;
		size_t keep = len > BLOCKLIST_LINE_MAX ? BLOCKLIST_LINE_MAX : len;

		memcpy(line, data + off, keep);
		line[keep] = '\0';
		if (blocklist_parse_domain(line, name, sizeof(name), err, sizeof(err)) == 1) {
			if (domain_set_add(ds, name) < 0)
				abort();	/* the parser accepted what the set refuses */
			if (name[0] != '*' && !domain_set_match(ds, name, strlen(name), NULL, 0))
				abort();
		}
		blocklist_parse_endpoint(line, &e, err, sizeof(err));
		if (blocklist_parse_port(line, &lo, &hi, err, sizeof(err)) == 1 && (lo == 0 || lo > hi))
			abort();
		off += len + 1;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz the state file parser; what parses must format back and parse to the same items. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state_file_int.h"
#include "../unit/state_item_same.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state st, again;
	char err[256], line[STATE_LINE_MAX + 2], *buf, *p;
	unsigned int ln;
	size_t i, cap, n;

	state_init(&st);
	state_init(&again);
	if (state_parse((const char *)data, size, &st, 0, &ln, err, sizeof(err)) < 0) {
		if (st.n != 0 || ln == 0 || err[0] == '\0')
			abort();
		return 0;
	}
	/* Round trip: every item parsed must be written back the same way. */
	cap = 64 + st.n * (STATE_LINE_MAX + 1);
	buf = malloc(cap);
	if (!buf)
		abort();
	p = buf;
	p += sprintf(p, "minewall-state 1\n");
	for (i = 0; i < st.n; i++) {
		if (state_format(&st.items[i], line, sizeof(line), err, sizeof(err)) < 0)
			abort();
		p += sprintf(p, "%s\n", line);
	}
	p += sprintf(p, "end %zu\n", st.n);
	n = (size_t)(p - buf);
	if (state_parse(buf, n, &again, 0, &ln, err, sizeof(err)) < 0 || again.n != st.n)
		abort();
	for (i = 0; i < st.n; i++)
		if (!state_item_same(&st.items[i], &again.items[i]))
			abort();
	free(buf);
	state_fini(&st);
	state_fini(&again);
	return 0;
}

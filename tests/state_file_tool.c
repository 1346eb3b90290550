// SPDX-License-Identifier: GPL-2.0-or-later
/* Test helper for state_file_full.sh: write a state of N items, or read one back and count. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "state_file.h"

/* write PATH N: N block items. read PATH N: exactly N items must come back. */
int main(int argc, char **argv)
{
	struct state st;
	char err[512];
	long n, i;
	int ret = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: %s write|read PATH N\n", argv[0]);
		return 2;
	}
	n = strtol(argv[3], NULL, 10);
	state_init(&st);
	if (strcmp(argv[1], "write") == 0) {
		for (i = 0; i < n; i++) {
			struct state_item it = { .kind = STATE_BLOCK, .source = ENF_DETECT };

			it.ep.family = AF_INET;
			it.ep.plen = 32;
			it.ep.port = 3333;
			it.ep.addr[0] = 10;
			it.ep.addr[1] = (uint8_t)(i >> 16);
			it.ep.addr[2] = (uint8_t)(i >> 8);
			it.ep.addr[3] = (uint8_t)i;
			snprintf(it.reason, sizeof(it.reason), "stratum login, item %ld", i);
			if (state_add(&st, &it) < 0)
				goto out;
		}
		if (state_write(argv[2], &st, err, sizeof(err)) < 0) {
			printf("write failed: errno=%d %s\n", errno, err);
			goto out;
		}
		ret = 0;
	} else {
		int r = state_read(argv[2], &st, 0, err, sizeof(err));

		if (r != 0) {
			printf("read: %d %s\n", r, err);
			goto out;
		}
		if ((long)st.n != n) {
			printf("read %zu items, expected %ld\n", st.n, n);
			goto out;
		}
		ret = 0;
	}
out:
	state_fini(&st);
	return ret;
}

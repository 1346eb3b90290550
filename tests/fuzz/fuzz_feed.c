// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the feed, index, keys-document and state parsers on arbitrary bytes. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "feed_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed_limits lim = { 1 << 20, 1000, 1024 };
	struct feed_state st;
	struct feed_keys k;
	struct feed f;
	char err[256];

	if (feed_parse(data, size, &lim, &f, err, sizeof(err)) == FEED_OK) {
		char tc[512], *out;
		size_t len;

		/* What parses must write back to the very same bytes. */
		if (feed_trusted_comment(&f, tc, sizeof(tc)) < 0 || feed_write(&f, &out, &len) < 0)
			abort();
		if (len != size || memcmp(out, data, size) != 0)
			abort();
		free(out);
		feed_fini(&f);
	}
	{
		static struct feed_index x;
		char tc[512], *out;
		size_t len;

		/* An index that parses writes back to the very same bytes, too. */
		if (feed_index_parse(data, size, &x, err, sizeof(err)) == FEED_OK) {
			if (feed_index_trusted_comment(&x, tc, sizeof(tc)) < 0 ||
			    feed_index_write(&x, &out, &len) < 0)
				abort();
			if (len != size || memcmp(out, data, size) != 0)
				abort();
			free(out);
		}
	}
	feed_keys_parse(data, size, &k, err, sizeof(err));
	feed_state_parse((const char *)data, size, &st, err, sizeof(err));
	return 0;
}

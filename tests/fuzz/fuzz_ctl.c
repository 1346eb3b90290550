// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: control request lines, response framing and reply classification. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_req req;
	struct ctl_resp resp;
	const char *why, *text;
	char *line, *out = NULL, code[16];
	size_t out_len, i;

	if (size > 2 * CTL_MAX_LINE)
		return 0;
	if (ctl_req_parse((const char *)data, size, &req, &why) == 0) {
		/* Tokens are non-empty and hold no space; the command is not "json". */
		for (i = 0; i < req.argc; i++)
			if (!req.argv[i][0] || strchr(req.argv[i], ' '))
				abort();
	}
	/* The input as a handler's body: framing must keep every line a data line. */
	ctl_resp_init(&resp, 1 << 16, false);
	ctl_resp_printf(&resp, "%.*s", (int)size, (const char *)data);
	if (ctl_frame(&resp, 0, &out, &out_len) == 0) {
		if (out_len < 3 || memcmp(out + out_len - 3, "ok\n", 3) != 0)
			abort();
		free(out);
	}
	ctl_resp_free(&resp);
	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	ctl_reply_parse(line, &text, code, sizeof(code));
	free(line);
	return 0;
}

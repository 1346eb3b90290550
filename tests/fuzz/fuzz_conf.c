// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: arbitrary text through libconfig and the schema validator. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libconfig 1.5's lexer leaks string tokens when a parse fails; that is its
 * bug, not a leak of ours. Only allocations made by its lexer are excused. */
const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct mw_conf *c = NULL;
	char *text;

	/* @include would make libconfig read arbitrary files (even /dev/zero). */
	if (size > (1 << 16) || memmem(data, size, "@include", 8))
		return 0;
	if (!sink)
		sink = fopen("/dev/null", "w");
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (conf_load_string(text, "/nonexistent/fuzz.conf", &c, sink) == 0) {
		/* A success must be a complete config. */
		if (!c || !c->path || (!c->hook_output && !c->hook_forward))
			abort();
		conf_free(c);
	} else if (c) {
		abort();
	}
	free(text);
	return 0;
}

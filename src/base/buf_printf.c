// SPDX-License-Identifier: GPL-2.0-or-later
/* Formatting into a fixed buffer piece by piece: event lines, notify documents. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "buf_printf.h"

int buf_printf(char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos >= size)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, size - *pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *pos)
		return -1;
	*pos += (size_t)n;
	return 0;
}

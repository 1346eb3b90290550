/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Formatting into a fixed buffer piece by piece, never past its end. */
#ifndef MW_BUF_PRINTF_H
#define MW_BUF_PRINTF_H

#include <stddef.h>

/* printf at buf + *pos and advance *pos. 0, or -1 when the piece (with its
 * terminating NUL) does not fit: *pos is then left as it was. */
int buf_printf(char *buf, size_t size, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif

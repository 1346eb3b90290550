/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writing a whole buffer to a descriptor. */
#ifndef MW_FD_WRITE_H
#define MW_FD_WRITE_H

#include <stddef.h>

/* write(2) until all len bytes of p are written, again after EINTR. 0, or -1
 * with errno set (EIO when write(2) writes nothing). */
int fd_write_all(int fd, const void *p, size_t len);

#endif

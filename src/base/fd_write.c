// SPDX-License-Identifier: GPL-2.0-or-later
/* Writing a whole buffer to a descriptor. */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "fd_write.h"

int fd_write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len > 0) {
		ssize_t w = write(fd, c, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		c += w;
		len -= (size_t)w;
	}
	return 0;
}

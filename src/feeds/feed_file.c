// SPDX-License-Identifier: GPL-2.0-or-later
/* Feed files on disk: write to a temporary name, fsync, rename over, fsync the directory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fd_write.h"
#include "feed_file.h"

static int join(char *out, size_t outsize, const char *dir, const char *name)
{
	int n = dir ? snprintf(out, outsize, "%s/%s", dir, name) : snprintf(out, outsize, "%s", name);

	if (n < 0 || (size_t)n >= outsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int feed_file_write(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd = -1, dfd = -1, ret = -1, saved;

	if (!dir || strchr(name, '/')) {
		errno = EINVAL;
		return -1;
	}
	if (join(path, sizeof(path), dir, name) < 0 ||
	    join(tmp, sizeof(tmp), dir, ".tmp.") < 0 ||
	    strlen(tmp) + strlen(name) + 1 > sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcat(tmp, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	if (fd_write_all(fd, data, len) < 0)
		goto out;
	if (fsync(fd) < 0)
		goto out;
	if (close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto out;
	/* The rename lives in the directory: without this a crash may bring the old file back. */
	dfd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		goto out;
	ret = 0;
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (ret < 0)
		unlink(tmp);
	errno = saved;
	return ret;
}

int feed_file_read(const char *dir, const char *name, size_t max, uint8_t **out, size_t *len)
{
	char path[PATH_MAX];
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;
	int fd, saved, ret = -1;

	*out = NULL;
	*len = 0;
	if (join(path, sizeof(path), dir, name) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto out;
	if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > max) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto out;
	/* Bounded by the size seen at open; a file growing meanwhile is cut there. */
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	ret = 0;
out:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return ret;
}

int feed_file_remove(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (join(path, sizeof(path), dir, name) < 0)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

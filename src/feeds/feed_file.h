/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Feed files on disk: atomic replace (tmp, fsync, rename, fsync dir) and bounded reads. */
#ifndef MW_FEED_FILE_H
#define MW_FEED_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Replace dir/name with data: a reader sees the old file or the new one, and
 * after a crash the rename is durable. name has no '/'. 0 or -1 (errno set). */
int feed_file_write(const char *dir, const char *name, const void *data, size_t len);
/* Read dir/name (dir may be NULL: name is a path) into a malloc'd,
 * NUL-terminated buffer of at most max bytes. 0, or -1 (errno ENOENT when
 * absent, EFBIG when larger than max). */
int feed_file_read(const char *dir, const char *name, size_t max, uint8_t **out, size_t *len);
/* Remove dir/name; absent is fine. */
int feed_file_remove(const char *dir, const char *name);

#endif

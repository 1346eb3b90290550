// SPDX-License-Identifier: GPL-2.0-or-later
/* fd_write_all: a whole buffer through a pipe in several writes; a full device fails with its errno. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "fd_write.h"
#include "unit.h"

int main(void)
{
	static char out[200000], in[sizeof(out)];
	size_t got = 0;
	int p[2], full, status = -1;
	pid_t pid;

	memset(out, 'm', sizeof(out));
	out[sizeof(out) - 1] = 'w';
	/* Larger than a pipe's buffer: the reader drains while we write. */
	CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(fd_write_all(p[1], out, sizeof(out)) == 0 ? 0 : 1);
	}
	close(p[1]);
	while (got < sizeof(in)) {
		ssize_t n = read(p[0], in + got, sizeof(in) - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(got == sizeof(out) && memcmp(in, out, sizeof(out)) == 0);
	CHECK(fd_write_all(-1, out, 1) == -1 && errno == EBADF);
	CHECK(fd_write_all(-1, out, 0) == 0);	/* nothing to write: no call */
	full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (full >= 0) {
		CHECK(fd_write_all(full, out, 10) == -1 && errno == ENOSPC);
		close(full);
	}
	return UNIT_DONE();
}

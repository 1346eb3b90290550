// SPDX-License-Identifier: GPL-2.0-or-later
/* Event sink of the daemon: JSON lines to a file, a text line to the log. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eventlog.h"
#include "log.h"

struct eventlog {
	int fd;
	char *path;
	struct log_ratelimit rl;
	struct log_ratelimit rl_text;
};

static int eventlog_open_fd(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

struct eventlog *eventlog_open(const char *path)
{
	struct eventlog *el = calloc(1, sizeof(*el));

	if (!el)
		return NULL;
	el->fd = -1;
	if (path && eventlog_reopen(el, path) < 0) {
		free(el);
		return NULL;
	}
	return el;
}

int eventlog_reopen(struct eventlog *el, const char *path)
{
	int fd = -1;
	char *copy = NULL;

	if (path) {
		fd = eventlog_open_fd(path);
		copy = strdup(path);
		if (fd < 0 || !copy) {
			log_warn("event log %s", path);
			if (fd >= 0)
				close(fd);
			free(copy);
			return -1;
		}
	}
	if (el->fd >= 0)
		close(el->fd);
	free(el->path);
	el->fd = fd;
	el->path = copy;
	return 0;
}

void eventlog_close(struct eventlog *el)
{
	if (!el)
		return;
	if (el->fd >= 0)
		close(el->fd);
	free(el->path);
	free(el);
}

void eventlog_write(struct eventlog *el, const struct mw_event *ev)
{
	char buf[1024];
	int n;

	/* Detections are warnings in the log, rate-limited: a flood of them must
	 * not flood syslog. The file gets every one. */
	if (ev->type != EVENT_DECISION && event_format_text(buf, sizeof(buf), ev) > 0)
		log_warnx_rl(&el->rl_text, "%s", buf);
	if (el->fd < 0)
		return;
	n = event_format_json(buf, sizeof(buf) - 1, ev);
	if (n < 0)
		return;
	buf[n++] = '\n';
	/* One write per line keeps lines whole for readers tailing the file. */
	if (write(el->fd, buf, (size_t)n) != n)
		log_warnx_rl(&el->rl, "event log %s: write failed", el->path);
}

void eventlog_write_line(struct eventlog *el, const char *json, const char *text)
{
	size_t n = strlen(json);

	log_info("%s", text);
	if (el->fd < 0)
		return;
	/* One write per line, newline included, keeps lines whole. */
	if (n < 4095) {
		char buf[4096];

		memcpy(buf, json, n);
		buf[n++] = '\n';
		if (write(el->fd, buf, n) != (ssize_t)n)
			log_warnx_rl(&el->rl, "event log %s: write failed", el->path);
	}
}

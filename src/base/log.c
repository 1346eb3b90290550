// SPDX-License-Identifier: GPL-2.0-or-later
/* Logging to stderr or syslog; the only place that formats log lines. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int log_stderr = 1;
static enum log_level log_level = LOG_LVL_INFO;
/* Per thread: only the thread that asked (the main loop, during a reload)
 * has its messages copied, never a worker's. */
static __thread FILE *log_copy;

void log_capture(FILE *out)
{
	log_copy = out;
}

void log_init(const char *ident, int to_stderr, enum log_level level)
{
	log_stderr = to_stderr;
	log_level = level;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level level) { log_level = level; }
enum log_level log_get_level(void) { return log_level; }

static void vlog(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void vlog(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	char msg[1024];
	int saved = errno;
	int n;

	if (lvl > log_level && !(log_copy && lvl <= LOG_LVL_INFO))
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	if (log_copy && lvl <= LOG_LVL_INFO)
		fprintf(log_copy, "%s%s%s\n", lvl < LOG_LVL_INFO ? tag[lvl] : "",
			lvl < LOG_LVL_INFO ? ": " : "", msg);
	if (lvl > log_level) {
		errno = saved;
		return;
	}
	if (log_stderr)
		fprintf(stderr, "minewall: %s: %s\n", tag[lvl], msg);
	else
		syslog(prio[lvl], "%s", msg);
	errno = saved;
}

#define LOG_FN(name, lvl, err)					\
	void name(const char *fmt, ...)				\
	{							\
		va_list ap;					\
		va_start(ap, fmt);				\
		vlog(lvl, err, fmt, ap);			\
		va_end(ap);					\
	}
LOG_FN(log_warn, LOG_LVL_WARN, 1)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Ten lines per ten seconds per call site, then a count of what was dropped. */
static bool rl_pass(struct log_ratelimit *rl)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec - rl->window_start >= 10) {
		if (rl->suppressed)
			log_warnx("%u similar messages suppressed", rl->suppressed);
		rl->window_start = ts.tv_sec;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count >= 10) {
		rl->suppressed++;
		return false;
	}
	rl->count++;
	return true;
}

void log_warnx_rl(struct log_ratelimit *rl, const char *fmt, ...)
{
	va_list ap;

	if (!rl_pass(rl))
		return;
	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, 0, fmt, ap);
	va_end(ap);
}

void log_info_rl(struct log_ratelimit *rl, const char *fmt, ...)
{
	va_list ap;

	if (!rl_pass(rl))
		return;
	va_start(ap, fmt);
	vlog(LOG_LVL_INFO, 0, fmt, ap);
	va_end(ap);
}

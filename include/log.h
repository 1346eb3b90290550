/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One small logging API for the whole daemon: stderr or syslog, with levels. */
#ifndef MW_LOG_H
#define MW_LOG_H

#include <stdarg.h>
#include <stdio.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* to_stderr: 1 writes to stderr, 0 to syslog(3) with this ident. */
void log_init(const char *ident, int to_stderr, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* appends strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Copy this thread's messages of level info and above, whatever the log
 * level, as lines to out ("warning: ..." or the bare info text) until
 * log_capture(NULL): what a reload logged goes back to minewallctl. */
void log_capture(FILE *out);

/* Rate-limited warning for the packet path: at most `burst` lines per interval seconds per site. */
struct log_ratelimit { long long window_start; unsigned int count; unsigned int suppressed; };
void log_warnx_rl(struct log_ratelimit *rl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_info_rl(struct log_ratelimit *rl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

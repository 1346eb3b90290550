/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the conf_*.c files only: the schema's item type, the walk's context, its errors. */
#ifndef MW_CONF_INT_H
#define MW_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>

#include "conf.h"

enum item_type {
	IT_GROUP,	/* children[] */
	IT_UINT,	/* integer in min..max, stored in a size-byte unsigned field */
	IT_BOOL,
	IT_ENUM,	/* one of names[], index stored (1-byte fields are bool) */
	IT_FLAGS,	/* list of names[], each sets the bool at flag_off[i] */
	IT_LIST,	/* list of strings checked by kind, stored in char *[CONF_MAX_LIST] */
	IT_PATH,	/* one file path, relative to the config file's directory */
	IT_STRING,	/* one string checked by str_check or by kind; "" stores NULL unless required */
	IT_GROUPS,	/* list of groups, each walked with children[] into elem_size records */
};

enum list_kind { LK_IFNAME, LK_PATH, LK_NAME, LK_URL, LK_PUBKEY, LK_ALLOW, LK_ARG };

struct ctx;

struct item {
	const char *name;
	enum item_type type;
	long long min, max;		/* value range (IT_UINT) or item count (lists) */
	long long dflt;			/* IT_UINT, IT_BOOL, IT_ENUM index, IT_FLAGS bits */
	const char *dflt_str;		/* IT_LIST single default item, IT_PATH */
	size_t off, size;		/* the field in struct mw_conf */
	size_t count_off;		/* IT_LIST: its unsigned int count */
	size_t at_off;			/* IT_LIST of paths: where each is named (char *[]), or 0 */
	enum list_kind kind;		/* IT_LIST */
	const char *const *names;	/* IT_ENUM, IT_FLAGS: NULL-terminated */
	const size_t *flag_off;		/* IT_FLAGS */
	const struct item *children;	/* IT_GROUP: ends with a NULL name */
	/* IT_UINT: extra rule on the value; returns a message or NULL. */
	const char *(*check)(unsigned long long v);
	/* IT_STRING: rule on the text; returns a message or NULL. */
	const char *(*str_check)(const char *s);
	/* IT_GROUP: relations between members, run when the group had no other error. */
	void (*relate)(struct ctx *x, const config_setting_t *g);
	bool hex;			/* print values in hex */
	bool octal;			/* IT_UINT: the decimal digits written are octal (modes) */
	size_t elem_size;		/* IT_GROUPS: bytes of one record; count at count_off */
	bool restart;			/* applied at start only (a group: all its members) */
};

/* An integer literal libconfig 1.5 cannot hold in an int (see scan_big_literals in conf_load.c). */
struct big_literal {
	unsigned int line;
	bool fits;			/* val is exact; else beyond 64 bits */
	bool used;			/* claimed by a setting already */
	long long val;
	int stored;			/* what libconfig 1.5 made of it */
	char text[24];
};

struct conf_err {
	const char *file;
	unsigned int file_rank, line, seq;
	char *msg;
};

struct ctx {
	struct mw_conf *c;
	void *base;			/* record fields are relative to: c, or a feeds[] element */
	const char *path;		/* the main file, named in messages when libconfig has none */
	const char *basedir;		/* relative paths are resolved against it */
	struct conf_err *errs;
	unsigned int n_errs, cap_errs;
	bool oom;
	struct big_literal *lits;
	unsigned int n_lits, cap_lits;
};

/* conf_load.c: add one error at file:line (on allocation failure set x->oom instead), */
void conf_err_add(struct ctx *x, const char *file, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* name the file a setting came from (an @include or the main file), */
const char *conf_setting_file(const struct ctx *x, const config_setting_t *s);
/* and find the literal behind an int setting if libconfig truncated it (else NULL). */
const struct big_literal *conf_big_literal_at(struct ctx *x, const config_setting_t *s);

#define SERR(x, s, ...) \
	conf_err_add(x, conf_setting_file(x, s), (s) ? config_setting_source_line(s) : 0, \
		     __VA_ARGS__)

static inline bool is_ident(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '*' || ch == '@';
}

static inline bool is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

/* conf_hint.c: for a libconfig "syntax error" at line of text, what was most
 * likely meant, as " (...)", or "" when the line gives no clue. */
void conf_syntax_hint(const char *text, unsigned int line, char *hint, size_t size);

/* conf_schema.c: the root group, its children the top-level settings. */
extern const struct item conf_schema;

/* conf_walk.c: check the settings under root against conf_schema and store them in x->c,
 * defaults for what is absent; every error is added to x. */
void conf_walk(struct ctx *x, const config_setting_t *root);

/* conf_check.c: rules on one value (a message, or NULL when it passes), */
const char *conf_check_mark_mask(unsigned long long v);
const char *conf_check_group_name(const char *s);
const char *conf_check_listen(const char *s);
const char *conf_check_address(const char *s);
const char *conf_check_ifname(const char *s);
/* relations between the members of a group, */
void conf_relate_queue(struct ctx *x, const config_setting_t *g);
void conf_relate_flows(struct ctx *x, const config_setting_t *g);
void conf_relate_feeds(struct ctx *x, const config_setting_t *g);
void conf_relate_feed(struct ctx *x, const config_setting_t *g);
void conf_relate_escalation(struct ctx *x, const config_setting_t *g);
void conf_relate_enforce(struct ctx *x, const config_setting_t *g);
void conf_relate_receivers(struct ctx *x, const config_setting_t *g);
/* and strings checked by kind. */
bool conf_ifname_ok(const char *s);
/* A copy of v, or NULL with an error added when it is not of its kind. */
char *conf_string_checked(struct ctx *x, const config_setting_t *s, enum list_kind kind,
			  const char *fq, const char *v);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/* What a person most likely meant where libconfig only says "syntax error". */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf_int.h"

/* The line starting at p into buf without its comment and outer blanks;
 * returns the start of the next line, or NULL after the last. */
static const char *line_at(const char *p, char *buf, size_t size)
{
	const char *e = strchr(p, '\n');
	size_t len = e ? (size_t)(e - p) : strlen(p), i;
	bool in_str = false;

	for (i = 0; i < len; i++) {
		if (p[i] == '"')
			in_str = !in_str;
		if (!in_str && (p[i] == '#' || (p[i] == '/' && i + 1 < len && p[i + 1] == '/')))
			break;
	}
	len = i;
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
		len--;
	while (len && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), p);
	return e ? e + 1 : NULL;
}

/* The start of line n (1-based) of text, or NULL. */
static const char *line_start(const char *text, unsigned int n)
{
	const char *p = text;

	while (--n && p && (p = strchr(p, '\n')))
		p++;
	return p;
}

/* A hint for one value as written (n bytes at v), or false. */
static bool value_hint(const char *v, size_t n, char *hint, size_t size)
{
	static const char *const yes[] = { "yes", "on", "y", "enabled", "enable", NULL };
	static const char *const no[] = { "no", "off", "n", "disabled", "disable", NULL };
	size_t i, d;

	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (!n || *v == '"' || *v == '{')
		return false;
	if (*v == '[' || *v == '(') {
		/* A list: each item on its own. */
		const char *p = v + 1, *end = v + n;

		if (end[-1] == ']' || end[-1] == ')')
			end--;
		while (p < end) {
			const char *c = memchr(p, ',', (size_t)(end - p));

			if (value_hint(p, (size_t)((c ? c : end) - p), hint, size))
				return true;
			p = c ? c + 1 : end;
		}
		return false;
	}
	for (i = 0; yes[i]; i++) {
		if ((strlen(yes[i]) == n && strncasecmp(v, yes[i], n) == 0) ||
		    (strlen(no[i]) == n && strncasecmp(v, no[i], n) == 0)) {
			snprintf(hint, size, " (a boolean is true or false: %.*s -> %s)", (int)n, v,
				 strncasecmp(v, yes[i], n) == 0 ? "true" : "false");
			return true;
		}
	}
	if (*v == '\'') {
		snprintf(hint, size, " (strings take double quotes: \"...\", not '...')");
		return true;
	}
	if (is_digit(*v)) {
		size_t dots = 0;

		for (d = 0; d < n && (is_digit(v[d]) || v[d] == '.' || v[d] == ':' || v[d] == '/'); d++)
			dots += v[d] == '.' || v[d] == ':';
		if (d == n && dots >= 2) {
			snprintf(hint, size, " (an address is a string: \"%.*s\")", (int)(n > 64 ? 64 : n),
				 v);
			return true;
		}
		for (d = 0; d < n && is_digit(v[d]); d++)
			;
		if (d < n && ((v[d] >= 'a' && v[d] <= 'z') || (v[d] >= 'A' && v[d] <= 'Z')) &&
		    !strchr("xXLeE", v[d])) {
			snprintf(hint, size, " (a number takes no unit: %.*s; minewall.conf(5) gives "
				 "each setting's unit)", (int)d, v);
			return true;
		}
		return false;
	}
	if (((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || *v == '/' || *v == '_') &&
	    !(n == 4 && strncasecmp(v, "true", 4) == 0) &&
	    !(n == 5 && strncasecmp(v, "false", 5) == 0)) {
		snprintf(hint, size, " (a string needs double quotes: \"%.*s\")", (int)(n > 64 ? 64 : n),
			 v);
		return true;
	}
	return false;
}

/* Nothing but blanks and comments on line n and after it: libconfig reached
 * the end of the file. */
static bool at_end(const char *text, unsigned int n)
{
	const char *p = line_start(text, n);
	char buf[256];

	while (p && *p) {
		p = line_at(p, buf, sizeof(buf));
		if (buf[0])
			return false;
	}
	return true;
}

/* What a person most likely meant where libconfig only says "syntax error":
 * a hint in parentheses, or "" when the line gives no clue. text is the file
 * the error is in, line its line. */
void conf_syntax_hint(const char *text, unsigned int line, char *hint, size_t size)
{
	char buf[256];
	const char *p, *q;
	unsigned int i, quotes, open = 0, close = 0;

	hint[0] = '\0';
	if ((p = line_start(text, line)))
		line_at(p, buf, sizeof(buf));
	else
		buf[0] = '\0';
	/* Every "name = value" on the line, values up to ; or }. */
	for (p = buf; (q = strpbrk(p, "=:")); p = q) {
		const char *n = q, *end;
		size_t depth = 0;

		while (n > buf && (n[-1] == ' ' || n[-1] == '\t'))
			n--;
		if (n == buf || !is_ident(n[-1])) {
			q++;
			continue;
		}
		for (q++; *q == ' ' || *q == '\t'; q++)
			;
		if (*q == '{')
			continue;	/* a group: its members follow */
		for (end = q; *end && (depth || (*end != ';' && *end != '}')); end++) {
			if (*end == '[' || *end == '(')
				depth++;
			else if ((*end == ']' || *end == ')') && depth)
				depth--;
			else if (*end == '"')
				for (end++; *end && *end != '"'; end++)
					;
			if (!*end)
				break;
		}
		if (value_hint(q, (size_t)(end - q), hint, size))
			return;
		if (!*end)
			break;
		q = end;
	}
	for (p = buf; is_ident(*p) && *p != '@'; p++)
		;
	if (p != buf && (*p == ' ' || *p == '\t') && !strpbrk(buf, "=:{")) {
		snprintf(hint, size, " (missing '=' between the name and the value?)");
		return;
	}
	/* At the end of the file: a string or a group left open further up. */
	if (!at_end(text, line))
		return;
	for (i = 1, q = text; i < line && q; i++) {
		q = line_at(q, buf, sizeof(buf));
		for (quotes = 0, p = buf; *p; p++) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				quotes++;
			else if (!(quotes & 1) && *p == '{')
				open++;
			else if (!(quotes & 1) && *p == '}')
				close++;
		}
		if (quotes & 1) {
			snprintf(hint, size, " (the string opened on line %u is not closed)", i);
			return;
		}
	}
	if (open > close)
		snprintf(hint, size, " (a group opened with { is not closed with };)");
}


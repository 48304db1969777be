/*
 * text: text from outside (user names, addresses, notes, file names, EXT)
 * made safe for a log line or a field of batch output: one line, no
 * control characters, so nobody can forge a log line or a column.
 */
#ifndef RG_TEXT_H
#define RG_TEXT_H

#include <stddef.h>

/*
 * s into out (outsz bytes, at least 8), with every control character, DEL
 * and backslash written as \xNN; cut short with "..." when it does not
 * fit.  Returns out, for use in a printf argument.
 */
char *text_escape(char *out, size_t outsz, const char *s);

/*
 * As text_escape, for a field the engine stored already (escaped on the way
 * in where it came from outside): only control characters and DEL, which a
 * damaged store may hold, are written as \xNN; a backslash stays as it is.
 */
char *text_field(char *out, size_t outsz, const char *s);

/* 1 when s needs no escaping (text_escape would copy it unchanged), else 0. */
int text_plain(const char *s);

#endif

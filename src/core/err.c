/* err: filling in a struct err; see err.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

void
err_set(struct err *e, enum err_kind kind, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (e == NULL)
		return;
	e->kind = kind;
	e->errnum = errnum;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	if (errnum != 0) {
		n = strlen(e->msg);
		snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errnum));
	}
}

void
err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->kind = ERR_NONE;
	e->errnum = 0;
	e->msg[0] = '\0';
}

/*
 * err: how a failure travels from the stores and the core up to the one
 * main that reports it.  Libraries never print or exit (STYLE 11); they fill
 * a struct err with the operation, the object and the reason, and say
 * whether trying again later could help (temporary) or not.
 */
#ifndef RG_ERR_H
#define RG_ERR_H

enum err_kind {
	ERR_NONE = 0,
	ERR_TEMP,	/* store busy, unreadable, disk full: try later (111) */
	ERR_PERM,	/* bad input or damaged data: trying again will not help */
};

struct err {
	enum err_kind kind;
	int errnum;		/* errno value behind it, or 0 */
	char msg[512];		/* "open /var/lib/relaygate/grants.db: Permission denied" */
};

/* Set e (if not NULL) to fmt...; when errnum is not 0, ": strerror(errnum)" follows. */
void err_set(struct err *e, enum err_kind kind, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void err_clear(struct err *e);

#endif

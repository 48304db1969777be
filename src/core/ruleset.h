/*
 * ruleset: the admin's rules file and its compiled cdb, kept in step.
 *
 * Every change is validated whole before anything is written: a rules text
 * with errors leaves both files as they were.  Two admins at once are
 * serialised by a lock on the text, and an edit made on a copy is refused
 * if the file changed under it meanwhile.
 */
#ifndef RG_RULESET_H
#define RG_RULESET_H

#include <stddef.h>

#include "core/config.h"
#include "core/err.h"
#include "core/rules.h"

/* Read and parse the rules text (no lock).  0; n > 0 errors in *errs; -1 and e. */
int ruleset_load(const struct config *c, struct rules *r, struct rules_errors *errs,
    struct err *e);

/* Compile the rules text into the cdb.  As ruleset_load. */
int ruleset_compile(const struct config *c, struct rules_errors *errs, struct err *e);

/*
 * Change the rules under the lock: load, edit(r, arg, e), write the text,
 * compile.  0; n > 0 errors in the current text (nothing done); -1 and e.
 */
int ruleset_change(const struct config *c, int create,
    int (*edit)(struct rules *, void *, struct err *), void *arg,
    struct rules_errors *errs, struct err *e);

/*
 * Replace the text with next, which was made from orig, unless the file no
 * longer holds orig.  As ruleset_change; errors are next's.
 */
int ruleset_replace(const struct config *c, const char *orig, size_t olen,
    const char *next, size_t nlen, struct rules_errors *errs, struct err *e);

/* The rules text as it is now (empty when there is none yet), to edit a copy of. 0, or -1 and e. */
int ruleset_snapshot(const struct config *c, char **text, size_t *len, struct err *e);

/* What tcpserver would do now, by the compiled cdb.  0 and *a, or -1 and e. */
int ruleset_check(const struct config *c, const char *addr, const char *host,
    const char *info, struct rules_answer *a, struct err *e);

#endif

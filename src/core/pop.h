/*
 * pop: the rules of a POP3 login, for relaygate-checkpw.
 *
 * The checkpassword input (user, password, timestamp, each NUL-terminated,
 * at most 512 bytes), USER/PASS and APOP (RFC 1939) checked against the
 * password store or a checkpw-style ~/Maildir/.password, and the site's
 * policies from the configuration.  Secrets are compared in constant time,
 * wiped after use, and never put into a message.
 */
#ifndef RG_POP_H
#define RG_POP_H

#include <limits.h>
#include <stddef.h>

#include "core/config.h"
#include "stores/tries.h"

#define POP_INPUT_MAX 512

struct pop_login {
	char user[POP_INPUT_MAX];
	char pass[POP_INPUT_MAX];
	char timestamp[POP_INPUT_MAX];
};

/* Split checkpassword's input; 0, or -1 and *why (misuse: exit 2). */
int pop_parse(const char *buf, size_t len, struct pop_login *l, const char **why);

/* Clear a login's password. */
void pop_wipe(struct pop_login *l);

struct pop_account {
	char user[256];		/* the account, without -ext */
	char ext[256];		/* the extension of a user-ext login, or "" */
	char home[PATH_MAX];
	char shell[PATH_MAX];
	unsigned long uid, gid;
};

/* Verdicts, and relaygate-checkpw's exit codes. */
enum { POP_OK = 0, POP_BAD = 1, POP_MISUSE = 2, POP_NOUSER = 3, POP_TEMP = 111 };

/*
 * Check a login from client (its address, or NULL): POP_OK and *acct,
 * POP_BAD, or POP_TEMP; why gets one line for the log, never a secret.
 */
int pop_check(const struct config *c, const struct pop_login *l, const char *client,
    struct pop_account *acct, char *why, size_t wsz);

/*
 * For Dovecot's credentials look-up: the account of user and its secret
 * (POP_OK), POP_NOUSER, or POP_TEMP.
 */
int pop_lookup(const struct config *c, const char *user, struct pop_account *acct,
    char *secret, size_t cap, char *why, size_t wsz);

/* RFC 1939: hex MD5 of timestamp followed by secret. 0, or -1. */
int pop_apop_digest(const char *timestamp, const char *secret, char hex[33]);

/*
 * Become the account for the next program: USER, HOME, SHELL (and EXT)
 * set, the home directory current, and (when root and drop) its uid, gid
 * and groups.  Under Dovecot, drop is 0: it takes the ids as userdb fields
 * and refuses a checker that setuid()s.  0, or -1 and why.
 */
int pop_become(const struct pop_account *acct, int drop, char *why, size_t wsz);

/* --- the password store, for relaygate passwd --- */

/* Create an empty store (0600): 0; 1 when one is there already (left as it is); -1 and e. */
int pop_init(const struct config *c, struct err *e);

/* Is this a user name, and a secret (1 to 255 bytes, no control characters), the store takes? 0, or -1 and e. */
int pop_user_ok(const char *user, struct err *e);
int pop_secret_ok(const char *secret, struct err *e);

/* Set user's secret. 0, or -1 and e. */
int pop_set_secret(const struct config *c, const char *user, const char *secret,
    struct err *e);

/* --- a user's own change, for relaygate-passwd --- */

/* 1 user has a secret in the store, 0 none, -1 and e. */
int pop_has_secret(const struct config *c, const char *user, struct err *e);

/*
 * Under one exclusive lock: when current is user's secret (compared in
 * constant time), or when current is NULL and user has none, set secret.
 * 0 set; 1 current did not match (or a secret came or went meanwhile):
 * nothing changed; -1 and e.
 */
int pop_change_secret(const struct config *c, const char *user, const char *current,
    const char *secret, struct err *e);

/*
 * The turns of uid's tries (tries.h), kept beside the password store in
 * PASSWORDS.tries/UID, root's: made when missing.  Needs root, for this
 * call only.  0, or -1 and e.
 */
int pop_tries_open(const struct config *c, unsigned long uid, struct tries *t,
    struct err *e);

/* 1 removed, 0 there was none, -1 and e. */
int pop_delete(const struct config *c, const char *user, struct err *e);

/* fn(user) for each user with a secret, in name order. 0, or -1 and e. */
int pop_list(const struct config *c, int (*fn)(const char *, void *), void *arg,
    struct err *e);

#endif

/* pop: checking a POP3 login; see pop.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/pop.h"
#include "core/text.h"
#include "stores/pwdb.h"

void
pop_wipe(struct pop_login *l)
{
	explicit_bzero(l, sizeof *l);
}

int
pop_parse(const char *buf, size_t len, struct pop_login *l, const char **why)
{
	const char *p = buf, *end = buf + len, *z;
	char *field[3];
	int i;

	memset(l, 0, sizeof *l);
	field[0] = l->user;
	field[1] = l->pass;
	field[2] = l->timestamp;
	if (len > POP_INPUT_MAX) {
		*why = "input longer than 512 bytes";
		return -1;
	}
	/* user and password must each end with NUL; the timestamp may be absent. */
	for (i = 0; i < 3 && p < end; i++) {
		if ((z = memchr(p, '\0', (size_t)(end - p))) == NULL) {
			*why = i < 2 ? "missing NUL after a field" : "missing NUL after the timestamp";
			pop_wipe(l);
			return -1;
		}
		memcpy(field[i], p, (size_t)(z - p));
		p = z + 1;
	}
	if (i < 2) {
		*why = i == 0 ? "no input" : "no password field";
		pop_wipe(l);
		return -1;
	}
	if (l->user[0] == '\0') {
		*why = "empty user name";
		pop_wipe(l);
		return -1;
	}
	return 0;
}

int
pop_apop_digest(const char *timestamp, const char *secret, char hex[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, timestamp, strlen(timestamp)) == 1 &&
	    EVP_DigestUpdate(ctx, secret, strlen(secret)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &n) == 1 && n == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	OPENSSL_cleanse(md, sizeof md);
	return 0;
}

/* Equal, in time that does not depend on where they differ or how long they are. */
static int
same_secret(const char *a, const char *b)
{
	unsigned char da[32], db[32];
	int same;

	if (EVP_Digest(a, strlen(a), da, NULL, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(b, strlen(b), db, NULL, EVP_sha256(), NULL) != 1)
		return 0;
	same = CRYPTO_memcmp(da, db, sizeof da) == 0;
	OPENSSL_cleanse(da, sizeof da);
	OPENSSL_cleanse(db, sizeof db);
	return same;
}

static int
is_digest(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 32;
}

/* getpwnam's "no such user": NULL with errno 0 or one of these (getpwnam(3)). */
static int
not_found(void)
{
	return errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF ||
	    errno == EPERM;
}

/* The account behind a login name: user-ext splits when user-ext itself is no account. */
static int
account(const struct config *c, const char *login, struct pop_account *acct,
    char *why, size_t wsz)
{
	char base[256];
	const char *sep = c->ext_separator, *at;
	struct passwd *pw;
	struct err e;

	memset(acct, 0, sizeof *acct);
	/* A name (and so an EXT) with '/' or '..' never reaches a path. */
	if (pop_user_ok(login, &e) < 0) {
		snprintf(why, wsz, "%s", e.msg);
		return POP_BAD;
	}
	if (strlen(login) >= sizeof base) {
		snprintf(why, wsz, "user name too long");
		return POP_BAD;
	}
	snprintf(base, sizeof base, "%s", login);
	errno = 0;
	pw = getpwnam(base);
	if (pw == NULL && not_found() && *sep != '\0' && (at = strstr(login, sep)) != NULL &&
	    at > login && at[strlen(sep)] != '\0') {
		snprintf(acct->ext, sizeof acct->ext, "%s", at + strlen(sep));
		base[at - login] = '\0';
			errno = 0;
		pw = getpwnam(base);
	}
	if (pw == NULL) {
		if (!not_found()) {
			snprintf(why, wsz, "look up user %.64s: %s", base, strerror(errno));
			return POP_TEMP;
		}
		snprintf(why, wsz, "no such user %.64s", base);
		return POP_NOUSER;
	}
	if ((long)pw->pw_uid < c->min_uid) {
		snprintf(why, wsz, "%.64s is a system account (uid %lu < %ld)", base,
		    (unsigned long)pw->pw_uid, c->min_uid);
		return POP_BAD;
	}
	snprintf(acct->user, sizeof acct->user, "%s", pw->pw_name);
	snprintf(acct->home, sizeof acct->home, "%s", pw->pw_dir);
	snprintf(acct->shell, sizeof acct->shell, "%s", pw->pw_shell);
	acct->uid = pw->pw_uid;
	acct->gid = pw->pw_gid;
	return POP_OK;
}

/* A checkpw-style ~/Maildir/.password (~/Maildir-ext/.password for user-ext): 1, 0 none, or a verdict. */
static int
dotpassword(const struct pop_account *a, char *secret, size_t cap, char *why, size_t wsz)
{
	char path[PATH_MAX + 300];
	struct stat st;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof path, "%s/Maildir%s%s/.password", a->home,
	    a->ext[0] ? "-" : "", a->ext) >= (int)sizeof path)
		return 0;
	/* O_NONBLOCK: a FIFO planted there must not hang a root-run checker. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		snprintf(why, wsz, "open %s: %s", path, strerror(errno));
		return -POP_TEMP;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, wsz, "%s is not a regular file; refused", path);
		close(fd);
		return -POP_BAD;
	}
	if ((st.st_mode & 0077) != 0 || st.st_uid != a->uid) {
		snprintf(why, wsz, "%s is readable by others or not the user's; refused", path);
		close(fd);
		return -POP_BAD;
	}
	n = read(fd, secret, cap - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, wsz, "read %s: %s", path, strerror(errno));
		return -POP_TEMP;
	}
	secret[n] = '\0';
	secret[strcspn(secret, "\r\n")] = '\0';
	return 1;
}

/* The account's secret: from the store (*from_store = 1) or .password. */
static int
find_secret(const struct config *c, const struct pop_account *a, char *secret,
    size_t cap, int *from_store, char *why, size_t wsz)
{
	struct pwdb *db;
	struct err e;
	int r;

	*from_store = 0;
	db = pwdb_open(c->passwords, 0, 0, c->lock_timeout_ms, c->sync, &e);
	if (db == NULL && !(e.errnum == ENOENT && c->dotpassword)) {
		snprintf(why, wsz, "%s", e.msg);
		return POP_TEMP;
	}
	r = 0;
	if (db != NULL) {
		r = pwdb_get(db, a->user, secret, cap, &e);
		pwdb_close(db);
		if (r < 0) {
			snprintf(why, wsz, "%s", e.msg);
			return POP_TEMP;
		}
		*from_store = r == 1;
	}
	if (r == 0 && c->dotpassword) {
		r = dotpassword(a, secret, cap, why, wsz);
		if (r < 0)
			return -r;
	}
	if (r == 0) {
		snprintf(why, wsz, "%.64s has no POP password", a->user);
		return POP_BAD;
	}
	return POP_OK;
}

int
pop_check(const struct config *c, const struct pop_login *l, const char *client,
    struct pop_account *acct, char *why, size_t wsz)
{
	char secret[PWDB_SECRET_MAX + 1], digest[33], q[80];
	struct addr a;
	struct err e;
	int v, from_store, in, apop = 0;

	if ((v = account(c, l->user, acct, why, wsz)) != POP_OK)
		return v == POP_NOUSER ? POP_BAD : v;
	if ((v = find_secret(c, acct, secret, sizeof secret, &from_store, why, wsz)) != POP_OK)
		goto out;
	/* APOP: the client sent the MD5 of the greeting's timestamp and the secret. */
	if (l->timestamp[0] != '\0' && is_digest(l->pass)) {
		if (pop_apop_digest(l->timestamp, secret, digest) < 0) {
			snprintf(why, wsz, "MD5 failed");
			v = POP_TEMP;
			goto out;
		}
		if (CRYPTO_memcmp(digest, l->pass, 32) == 0) {
			v = POP_OK;
			goto out;
		}
		apop = 1;	/* a wrong digest, or a password that looks like one */
	}
	/* USER/PASS, where the site's policies allow it. */
	if (apop && c->apop_only && from_store) {
		snprintf(why, wsz, "wrong APOP digest for %.64s", acct->user);
		v = POP_BAD;
		goto out;
	}
	if (c->apop_only && from_store) {
		snprintf(why, wsz, "%.64s has an APOP secret: APOP only", acct->user);
		v = POP_BAD;
		goto out;
	}
	if (c->plain_networks[0] != '\0') {
		in = client != NULL && addr_parse(client, &a, NULL) == 0 ?
		    addr_in_list(&a, c->plain_networks, &e) : 0;
		if (in < 0) {
			snprintf(why, wsz, "plain_networks: %s", e.msg);
			v = POP_TEMP;
			goto out;
		}
		if (in == 0) {
			snprintf(why, wsz, "USER/PASS not allowed from %s (plain_networks)",
			    client ? text_escape(q, sizeof q, client) : "an unknown address");
			v = POP_BAD;
			goto out;
		}
	}
	if (same_secret(l->pass, secret))
		v = POP_OK;
	else {
		snprintf(why, wsz, "wrong %s for %.64s",
		    apop ? "APOP digest (or password)" : "password", acct->user);
		v = POP_BAD;
	}
out:
	explicit_bzero(secret, sizeof secret);
	explicit_bzero(digest, sizeof digest);
	return v;
}

int
pop_lookup(const struct config *c, const char *user, struct pop_account *acct,
    char *secret, size_t cap, char *why, size_t wsz)
{
	int v, from_store;

	if ((v = account(c, user, acct, why, wsz)) != POP_OK)
		return v == POP_BAD ? POP_NOUSER : v;
	v = find_secret(c, acct, secret, cap, &from_store, why, wsz);
	if (v != POP_OK)
		explicit_bzero(secret, cap);
	return v == POP_BAD ? POP_NOUSER : v;
}

int
pop_become(const struct pop_account *a, int drop, char *why, size_t wsz)
{
	if (setenv("USER", a->user, 1) < 0 || setenv("HOME", a->home, 1) < 0 ||
	    setenv("SHELL", a->shell, 1) < 0 ||
	    (a->ext[0] != '\0' ? setenv("EXT", a->ext, 1) : unsetenv("EXT")) < 0) {
		snprintf(why, wsz, "setenv: %s", strerror(errno));
		return -1;
	}
	if (!drop)
		return 0;
	if (chdir(a->home) < 0) {
		snprintf(why, wsz, "chdir %s: %s", a->home, strerror(errno));
		return -1;
	}
	if (geteuid() != 0)
		return 0;
	if (initgroups(a->user, (gid_t)a->gid) < 0 || setgid((gid_t)a->gid) < 0 ||
	    setuid((uid_t)a->uid) < 0) {
		snprintf(why, wsz, "become %s: %s", a->user, strerror(errno));
		return -1;
	}
	if (a->uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		snprintf(why, wsz, "become %s: root privileges still held", a->user);
		return -1;
	}
	return 0;
}

int
pop_user_ok(const char *user, struct err *e)
{
	const unsigned char *p;
	char q[80];

	if (*user == '\0' || strlen(user) > PWDB_USER_MAX) {
		err_set(e, ERR_PERM, 0, "a user name is 1 to %d bytes", PWDB_USER_MAX);
		return -1;
	}
	for (p = (const unsigned char *)user; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == ':' || *p == '/') {
			err_set(e, ERR_PERM, 0, "user name %s: no spaces, control characters, ':' or '/'",
			    text_escape(q, sizeof q, user));
			return -1;
		}
	if (strstr(user, "..") != NULL) {
		err_set(e, ERR_PERM, 0, "user name %s: no \"..\"", text_escape(q, sizeof q, user));
		return -1;
	}
	return 0;
}

int
pop_init(const struct config *c, struct err *e)
{
	struct pwdb *db;
	char dir[PATH_MAX], *slash;

	if (access(c->passwords, F_OK) == 0)
		return 1;
	/* A fresh install has no /etc/relaygate yet: make that one directory
	 * (mode 0755; the store itself is 0600), never a chain of them. */
	snprintf(dir, sizeof dir, "%s", c->passwords);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			err_set(e, ERR_TEMP, errno, "create directory %s", dir);
			return -1;
		}
	}
	if ((db = pwdb_open(c->passwords, 1, 1, c->lock_timeout_ms, c->sync, e)) == NULL)
		return -1;
	pwdb_close(db);
	return 0;
}

int
pop_secret_ok(const char *secret, struct err *e)
{
	const unsigned char *p;

	if (*secret == '\0' || strlen(secret) > PWDB_SECRET_MAX) {
		err_set(e, ERR_PERM, 0, "a password is 1 to %d bytes", PWDB_SECRET_MAX);
		return -1;
	}
	for (p = (const unsigned char *)secret; *p != '\0'; p++)
		if (*p < ' ' || *p == 0x7f) {
			err_set(e, ERR_PERM, 0, "a password may not hold control characters");
			return -1;
		}
	return 0;
}

int
pop_set_secret(const struct config *c, const char *user, const char *secret,
    struct err *e)
{
	struct pwdb *db;
	int rc;

	if (pop_user_ok(user, e) < 0 || pop_secret_ok(secret, e) < 0)
		return -1;
	if ((db = pwdb_open(c->passwords, 1, 0, c->lock_timeout_ms, c->sync, e)) == NULL)
		return -1;
	rc = pwdb_put(db, user, secret, e) < 0 || pwdb_commit(db, e) < 0 ? -1 : 0;
	pwdb_close(db);
	return rc;
}

int
pop_has_secret(const struct config *c, const char *user, struct err *e)
{
	char stored[PWDB_SECRET_MAX + 1];
	struct pwdb *db;
	int r;

	if (pop_user_ok(user, e) < 0)
		return -1;
	if ((db = pwdb_open(c->passwords, 0, 0, c->lock_timeout_ms, c->sync, e)) == NULL)
		return -1;
	r = pwdb_get(db, user, stored, sizeof stored, e);
	explicit_bzero(stored, sizeof stored);
	pwdb_close(db);
	return r;
}

int
pop_change_secret(const struct config *c, const char *user, const char *current,
    const char *secret, struct err *e)
{
	char stored[PWDB_SECRET_MAX + 1] = "";
	struct pwdb *db;
	int r, match, rc;

	if (pop_user_ok(user, e) < 0 || pop_secret_ok(secret, e) < 0)
		return -1;
	if ((db = pwdb_open(c->passwords, 1, 0, c->lock_timeout_ms, c->sync, e)) == NULL)
		return -1;
	if ((r = pwdb_get(db, user, stored, sizeof stored, e)) < 0) {
		rc = -1;
		goto out;
	}
	/* Compared whether or not there is a secret: the time says nothing. */
	match = same_secret(current != NULL ? current : "", stored);
	match = current == NULL ? r == 0 : r == 1 && match;
	if (!match)
		rc = 1;
	else
		rc = pwdb_put(db, user, secret, e) < 0 || pwdb_commit(db, e) < 0 ? -1 : 0;
out:
	explicit_bzero(stored, sizeof stored);
	pwdb_close(db);
	return rc;
}

int
pop_tries_open(const struct config *c, unsigned long uid, struct tries *t, struct err *e)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof dir, "%s.tries", c->passwords) >= (int)sizeof dir) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "open %s.tries", c->passwords);
		return -1;
	}
	return tries_open(t, dir, uid, e);
}

int
pop_delete(const struct config *c, const char *user, struct err *e)
{
	struct pwdb *db;
	int r;

	if (pop_user_ok(user, e) < 0)
		return -1;
	if ((db = pwdb_open(c->passwords, 1, 0, c->lock_timeout_ms, c->sync, e)) == NULL)
		return -1;
	r = pwdb_del(db, user, e);
	if (r > 0 && pwdb_commit(db, e) < 0)
		r = -1;
	pwdb_close(db);
	return r;
}

int
pop_list(const struct config *c, int (*fn)(const char *, void *), void *arg,
    struct err *e)
{
	struct pwdb *db;
	int r;

	if ((db = pwdb_open(c->passwords, 0, 0, c->lock_timeout_ms, c->sync, e)) == NULL)
		return -1;
	r = pwdb_each(db, fn, arg, e);
	pwdb_close(db);
	return r;
}

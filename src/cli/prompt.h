/*
 * prompt: ask for a secret on a terminal, the one way every prompt for a
 * password does it (relaygate passwd now; any later face that asks too).
 *
 * Echo is off before the prompt is written, so an answer typed the moment
 * it shows is never shown; pending input is never flushed, so an answer
 * typed ahead is never lost; and the terminal is put back as it was on
 * every way out, a signal included: SIGINT, SIGTERM, SIGHUP or SIGQUIT
 * restore it and then take their own action (for a program that has not
 * changed them: it ends), SIGTSTP, SIGTTIN or SIGTTOU restore it, stop, and
 * on SIGCONT the prompt is asked again.  A signal the caller ignores stays
 * ignored.  The secret is read straight into the caller's buffer and
 * nowhere else; the caller wipes it (explicit_bzero) after use.
 */
#ifndef RG_PROMPT_H
#define RG_PROMPT_H

#include <stddef.h>

/*
 * Write prompt on the terminal tty and read one line into buf (at most
 * cap - 1 bytes, NUL-terminated, without its newline).  0, or -1 and
 * errno: ENOTTY tty is not a terminal, ENODATA end of input before a line,
 * EMSGSIZE a line longer than cap - 1 bytes, EILSEQ a line holding a NUL
 * byte, EINTR a signal whose action did not end the process, or the error
 * of the failed system call.  On -1, buf holds no part of what was typed.
 */
int prompt_secret(int tty, const char *prompt, char *buf, size_t cap);

/*
 * What prompt_secret's errno means, for the caller's message: a phrase
 * such as "no password read (end of input)", and *usage 1 when it was the
 * answer's fault (exit 2), 0 when the system's (exit 111).
 */
const char *prompt_failure(int errnum, int *usage);

#endif

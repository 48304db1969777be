/*
 * dialog: the one dialog a console shows at a time, over the screen.
 *
 * A dialog is a state of the frame's loop, not a loop of its own: while it
 * is open it takes every key, the expiry schedule and the countdown go on,
 * and it is drawn last.  A screen opens one and names the step with a
 * tag; the frame hands the answer back to the screen's act().  The screen
 * keeps a dialog open (with an error shown inside it) by returning
 * UI_DIALOG, or fills it again for the next question.
 *
 * Confirmations default to no: only y or Y says yes.  In prompts Esc
 * cancels.  Hidden input echoes nothing, and the input buffer is wiped
 * (explicit_bzero) whenever a dialog closes or is filled again.
 */
#ifndef RG_UI_DIALOG_H
#define RG_UI_DIALOG_H

#include <stddef.h>

enum dialog_kind {
	DIALOG_NONE,
	DIALOG_CONFIRM,		/* y/N */
	DIALOG_PROMPT,		/* a line of text */
	DIALOG_SECRET,		/* a line of text, not echoed */
	DIALOG_MESSAGE,		/* any key closes it */
};

#define DIALOG_TEXT_MAX 512

struct dialog {
	enum dialog_kind kind;
	int tag;			/* the screen's step */
	char title[64];
	char text[DIALOG_TEXT_MAX];	/* the question; '\n' starts a line */
	char input[DIALOG_TEXT_MAX];	/* what was typed (prompt, secret) */
	size_t len;			/* bytes in input */
	char error[DIALOG_TEXT_MAX];	/* shown inside the open dialog */
};

void dialog_confirm(struct dialog *d, int tag, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void dialog_prompt(struct dialog *d, int tag, const char *title, const char *initial,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void dialog_secret(struct dialog *d, int tag, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void dialog_message(struct dialog *d, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keep the dialog open and say what is wrong with the answer (input kept, unless a secret). */
void dialog_error(struct dialog *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Close it, wiping what was typed. */
void dialog_close(struct dialog *d);

enum dialog_outcome { DIALOG_KEEP, DIALOG_CANCEL, DIALOG_SUBMIT };

/* One key (a getch value) into the open dialog. */
enum dialog_outcome dialog_key(struct dialog *d, int ch);

/*
 * Draw it centred on a lines x cols screen.  Returns 1 and the cursor's
 * place when the terminal's cursor should show (a visible prompt), else 0.
 */
int dialog_draw(const struct dialog *d, int lines, int cols, int *cy, int *cx);

#endif

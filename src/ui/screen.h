/*
 * screen: what the frame and the screens of the console share.
 *
 * Keys become requests (keys.c), a screen's act() turns a request into
 * core calls and returns flags, and only the frame draws the header, tabs
 * and footer, refreshes, resizes or exits.  A new screen is one file and
 * one struct screen_ops.
 */
#ifndef RG_UI_SCREEN_H
#define RG_UI_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "ui/dialog.h"

enum request {
	REQ_NONE,
	/* moving */
	REQ_UP, REQ_DOWN, REQ_TOP, REQ_BOTTOM, REQ_PGUP, REQ_PGDN,
	/* everywhere */
	REQ_NEXT_SCREEN, REQ_PREV_SCREEN, REQ_GRANTS, REQ_RULES, REQ_PASSWORDS, REQ_HELP,
	REQ_PAUSE, REQ_REDRAW, REQ_QUIT,
	/* a screen's own */
	REQ_SORT, REQ_FILTER, REQ_ADD, REQ_DELETE, REQ_PIN, REQ_UNPIN, REQ_EDIT,
	REQ_TEST, REQ_MOVE_DOWN, REQ_MOVE_UP, REQ_SAVE,
	/* from the frame: the open dialog was answered, or cancelled */
	REQ_ANSWER, REQ_CANCEL,
};

/* What act() and tick() return: what the frame should do next. */
enum {
	UI_REDRAW = 1,		/* draw again */
	UI_DIALOG = 2,		/* keep (or open) ui->dialog */
	UI_BEEP = 4,		/* the key did nothing */
	UI_PROCEED = 8,		/* leaving was confirmed: go on with it */
};

/* What a screen does with a request: its label in the footer and in Help. */
struct action {
	enum request req;
	const char *label;
	int writes;		/* changes something: hidden and refused when read-only */
	int footer;		/* shown in the footer */
};

struct rect {
	int y, x, h, w;
};

/* What every screen may read and set: the frame's shared state. */
struct ui {
	const struct config *c;
	int readonly;
	char readonly_why[PATH_MAX + 300];	/* why read-only was chosen, or "" */
	int paused;		/* the shown data is frozen (p) */
	int page;		/* rows a list shows (the body less its title row) */
	int64_t now;		/* wall clock, seconds */
	char actor[64];		/* who makes manual changes (relay_actor) */
	struct dialog dialog;
	char status[300];	/* a line above the footer, until the next key */
	int status_alert;
	int fatal;		/* a fatal error: the loop ends, fatal_msg is printed */
	char fatal_msg[600];
};

struct screen;

struct screen_ops {
	const char *title;		/* its name in the tab row */
	const struct action *actions;	/* ends with REQ_NONE */
	int (*enter)(struct screen *);	/* shown: read its data (flags) */
	int (*leave)(struct screen *);	/* 1 may leave; 0 asked first (dialog open) */
	int (*tick)(struct screen *);	/* each second, unless paused (flags) */
	void (*draw)(struct screen *, const struct rect *body);
	void (*info)(struct screen *, char *buf, size_t size);	/* the tab row's right end */
	int (*act)(struct screen *, enum request, struct dialog *);
	void (*done)(struct screen *);	/* free what it holds */
};

struct screen {
	const struct screen_ops *ops;
	struct ui *ui;
	void *p;		/* the screen's own state */
};

extern const struct screen_ops grants_ops, rules_ops, passwords_ops, help_ops;

/* The line above the footer, cleared by the next key. */
void ui_status(struct ui *u, int alert, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* End the console: the message is printed once the terminal is restored. */
void ui_fatal(struct ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- keys.c: the one key table --- */

/* The request a key (a getch value) stands for, or REQ_NONE. */
enum request keys_request(int ch);

/* The names of every key bound to r ("F8 d"), into buf; 0 when none. */
int keys_names(enum request r, char *buf, size_t size);

/* The first letter or symbol bound to r ("d"), for the footer, into buf; 0 when none. */
int keys_short(enum request r, char *buf, size_t size);

/* The requests every screen takes, with their labels, for Help and the footer. */
extern const struct action keys_global[];

/* The action of ops for r, or NULL. */
const struct action *screen_action(const struct screen_ops *ops, enum request r);

#endif

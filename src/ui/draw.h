/*
 * draw: putting text on the console safely, and the colour roles.
 *
 * Everything a screen shows goes through draw_text: bytes that are not
 * printable text in the locale are shown escaped (a control character as
 * ^J, a stray byte as \xff), never sent raw, so a note holding ESC or a
 * newline cannot move the cursor or change the terminal; and text is
 * clipped by its display width, so a wide name never pushes a column.
 *
 * Colours are roles; theme.c maps each to attributes, with a monochrome
 * theme (bold, reverse, underline) when colour is off or missing.
 */
#ifndef RG_UI_DRAW_H
#define RG_UI_DRAW_H

#include <stddef.h>
#include <curses.h>

enum role {
	ROLE_NORMAL,
	ROLE_HEADER,		/* the header rows */
	ROLE_TAB,		/* a screen's name in the tab row */
	ROLE_TAB_ACTIVE,	/* the screen shown */
	ROLE_TITLE,		/* column titles */
	ROLE_SELECTED,		/* the cursor's row */
	ROLE_PINNED,		/* a pin's row */
	ROLE_DIM,		/* comments, secondary text */
	ROLE_ALERT,		/* warnings and errors */
	ROLE_KEY,		/* a key's name in the footer */
	ROLE_DIALOG,		/* a dialog's box and text */
	ROLE_DIALOG_ERROR,	/* an error inside a dialog */
	ROLE_INPUT,		/* the line being typed */
	ROLE_COUNT
};

/*
 * Set the theme up after the screen is made: colour unless mono, or the
 * terminal has none.  Returns 1 when colours are in use.
 */
int theme_init(int mono);

/* The attributes of a role. */
attr_t theme_attr(enum role r);

/*
 * Draw s at (y, x) with attributes a, escaped, within width columns.
 * Returns the columns used.
 */
int draw_text(int y, int x, int width, const char *s, attr_t a);

/* As draw_text, then blank the rest of the width with a. */
void draw_cell(int y, int x, int width, const char *s, attr_t a);

/* Blank width columns at (y, x) with attributes a. */
void draw_fill(int y, int x, int width, attr_t a);

/* How many columns s takes when drawn (escapes counted). */
int draw_width(const char *s);

#endif

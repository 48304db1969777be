/*
 * theme: colour roles to curses attributes, once, for every screen.
 *
 * Two themes: colour on the terminal's own background (use_default_colors,
 * so the admin's background stays), and monochrome with bold, reverse and
 * underline only, for terminals without colour and for NO_COLOR or
 * --no-color.
 */
#include "ui/draw.h"

static attr_t roles[ROLE_COUNT];

struct colour {
	short fg, bg;
	attr_t extra;
};

/* Colour theme: pair number = role + 1.  -1 is the terminal's default. */
static const struct colour colours[ROLE_COUNT] = {
	[ROLE_NORMAL] = { -1, -1, A_NORMAL },
	[ROLE_HEADER] = { COLOR_WHITE, COLOR_BLUE, A_BOLD },
	[ROLE_TAB] = { -1, -1, A_NORMAL },
	[ROLE_TAB_ACTIVE] = { COLOR_BLACK, COLOR_CYAN, A_BOLD },
	[ROLE_TITLE] = { COLOR_BLACK, COLOR_GREEN, A_NORMAL },
	[ROLE_SELECTED] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL },
	[ROLE_PINNED] = { COLOR_YELLOW, -1, A_BOLD },
	[ROLE_DIM] = { COLOR_BLUE, -1, A_BOLD },
	[ROLE_ALERT] = { COLOR_WHITE, COLOR_RED, A_BOLD },
	[ROLE_KEY] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL },
	[ROLE_DIALOG] = { COLOR_BLACK, COLOR_WHITE, A_NORMAL },
	[ROLE_DIALOG_ERROR] = { COLOR_RED, COLOR_WHITE, A_BOLD },
	[ROLE_INPUT] = { COLOR_WHITE, COLOR_BLACK, A_NORMAL },
};

/* Monochrome theme (htop's and ncdu's "off" themes do the same). */
static const attr_t mono[ROLE_COUNT] = {
	[ROLE_NORMAL] = A_NORMAL,
	[ROLE_HEADER] = A_REVERSE,
	[ROLE_TAB] = A_NORMAL,
	[ROLE_TAB_ACTIVE] = A_REVERSE | A_BOLD,
	[ROLE_TITLE] = A_BOLD | A_UNDERLINE,
	[ROLE_SELECTED] = A_REVERSE,
	[ROLE_PINNED] = A_BOLD,
	[ROLE_DIM] = A_NORMAL,
	[ROLE_ALERT] = A_BOLD | A_REVERSE,
	[ROLE_KEY] = A_REVERSE,
	[ROLE_DIALOG] = A_NORMAL,
	[ROLE_DIALOG_ERROR] = A_BOLD,
	[ROLE_INPUT] = A_UNDERLINE,
};

static int
colour_theme(void)
{
	int i;

	if (start_color() == ERR || use_default_colors() == ERR || COLOR_PAIRS < ROLE_COUNT + 1)
		return -1;
	for (i = 0; i < ROLE_COUNT; i++) {
		if (init_pair((short)(i + 1), colours[i].fg, colours[i].bg) == ERR)
			return -1;
		roles[i] = COLOR_PAIR(i + 1) | colours[i].extra;
	}
	return 0;
}

int
theme_init(int want_mono)
{
	int i;

	if (!want_mono && has_colors() && colour_theme() == 0)
		return 1;
	for (i = 0; i < ROLE_COUNT; i++)
		roles[i] = mono[i];
	return 0;
}

attr_t
theme_attr(enum role r)
{
	return r >= 0 && r < ROLE_COUNT ? roles[r] : A_NORMAL;
}

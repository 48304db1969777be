/*
 * keys: the one table of key bindings.  Every F-key has a letter alias
 * (F-keys do not pass through every terminal), arrows and vi keys both;
 * the footer and the Help screen are made from this table, so they cannot
 * drift from what the keys do.
 */
#include <stdio.h>
#include <string.h>
#include <curses.h>

#include "ui/screen.h"

#define CTRL(c) ((c) & 0x1f)

static const struct binding {
	int key;
	enum request req;
} bindings[] = {
	{ KEY_UP, REQ_UP }, { 'k', REQ_UP },
	{ KEY_DOWN, REQ_DOWN }, { 'j', REQ_DOWN },
	{ KEY_LEFT, REQ_PREV_SCREEN }, { 'h', REQ_PREV_SCREEN },
	{ KEY_RIGHT, REQ_NEXT_SCREEN }, { 'l', REQ_NEXT_SCREEN }, { '\t', REQ_NEXT_SCREEN },
	{ KEY_HOME, REQ_TOP }, { 'g', REQ_TOP },
	{ KEY_END, REQ_BOTTOM }, { 'G', REQ_BOTTOM },
	{ KEY_PPAGE, REQ_PGUP }, { CTRL('b'), REQ_PGUP },
	{ KEY_NPAGE, REQ_PGDN }, { CTRL('f'), REQ_PGDN },
	{ '1', REQ_GRANTS }, { '2', REQ_RULES }, { '3', REQ_PASSWORDS },
	{ KEY_F(1), REQ_HELP }, { '?', REQ_HELP }, { '4', REQ_HELP },
	{ KEY_F(2), REQ_ADD }, { 'a', REQ_ADD },
	{ KEY_F(4), REQ_FILTER }, { '/', REQ_FILTER },
	{ KEY_F(5), REQ_PIN }, { 'P', REQ_PIN },
	{ KEY_F(6), REQ_SORT }, { 's', REQ_SORT },
	{ KEY_F(7), REQ_EDIT }, { 'e', REQ_EDIT },
	{ KEY_F(8), REQ_DELETE }, { 'd', REQ_DELETE },
	{ KEY_F(9), REQ_UNPIN }, { 'u', REQ_UNPIN },
	{ 't', REQ_TEST },
	{ 'J', REQ_MOVE_DOWN }, { 'K', REQ_MOVE_UP },
	{ 'w', REQ_SAVE },
	{ 'p', REQ_PAUSE },
	{ CTRL('l'), REQ_REDRAW },
	{ KEY_F(10), REQ_QUIT }, { 'q', REQ_QUIT },
};

#define NBINDINGS (sizeof bindings / sizeof bindings[0])

const struct action keys_global[] = {
	{ REQ_UP, "up", 0, 0 },
	{ REQ_DOWN, "down", 0, 0 },
	{ REQ_PGUP, "page up", 0, 0 },
	{ REQ_PGDN, "page down", 0, 0 },
	{ REQ_TOP, "first", 0, 0 },
	{ REQ_BOTTOM, "last", 0, 0 },
	{ REQ_NEXT_SCREEN, "next screen", 0, 0 },
	{ REQ_PREV_SCREEN, "previous screen", 0, 0 },
	{ REQ_GRANTS, "Grants screen", 0, 0 },
	{ REQ_RULES, "Rules screen", 0, 0 },
	{ REQ_PASSWORDS, "Passwords screen", 0, 0 },
	{ REQ_HELP, "help (this screen)", 0, 1 },
	{ REQ_PAUSE, "pause / resume refresh", 0, 1 },
	{ REQ_REDRAW, "redraw the whole terminal", 0, 0 },
	{ REQ_QUIT, "quit", 0, 1 },
	{ REQ_NONE, NULL, 0, 0 },
};

enum request
keys_request(int ch)
{
	size_t i;

	for (i = 0; i < NBINDINGS; i++)
		if (bindings[i].key == ch)
			return bindings[i].req;
	return REQ_NONE;
}

static void
key_name(int key, char *buf, size_t size)
{
	static const struct { int key; const char *name; } named[] = {
		{ KEY_UP, "Up" }, { KEY_DOWN, "Down" }, { KEY_LEFT, "Left" },
		{ KEY_RIGHT, "Right" }, { KEY_HOME, "Home" }, { KEY_END, "End" },
		{ KEY_PPAGE, "PgUp" }, { KEY_NPAGE, "PgDn" }, { '\t', "Tab" },
	};
	size_t i;

	for (i = 0; i < sizeof named / sizeof named[0]; i++)
		if (named[i].key == key) {
			snprintf(buf, size, "%s", named[i].name);
			return;
		}
	if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(buf, size, "F%d", key - KEY_F0);
	else if (key < 0x20)
		snprintf(buf, size, "^%c", key + '@');
	else
		snprintf(buf, size, "%c", key);
}

int
keys_names(enum request r, char *buf, size_t size)
{
	char one[16];
	size_t i, n = 0;
	int k = 0;

	buf[0] = '\0';
	for (i = 0; i < NBINDINGS; i++) {
		if (bindings[i].req != r)
			continue;
		key_name(bindings[i].key, one, sizeof one);
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s", k ? " " : "", one);
		if (n >= size)
			n = size - 1;
		k++;
	}
	return k;
}

int
keys_short(enum request r, char *buf, size_t size)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < NBINDINGS; i++)
		if (bindings[i].req == r && bindings[i].key > 0x20 && bindings[i].key < 0x7f) {
			key_name(bindings[i].key, buf, size);
			return 1;
		}
	return 0;
}

const struct action *
screen_action(const struct screen_ops *ops, enum request r)
{
	const struct action *a;

	for (a = ops->actions; a != NULL && a->req != REQ_NONE; a++)
		if (a->req == r)
			return a;
	return NULL;
}

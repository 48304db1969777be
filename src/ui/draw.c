/*
 * draw: text out, escaped and clipped by display width (see draw.h).
 *
 * Text is decoded in the locale (setlocale in frame.c); a character that
 * is printable and has a width goes out as its own bytes, anything else as
 * an escape: C0 controls and DEL as ^X, other bytes as \xHH.
 */
#define _XOPEN_SOURCE 700	/* wcwidth */
#include <langinfo.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "ui/draw.h"

/*
 * The next piece of s: how many bytes it takes, and either the bytes to
 * send (printable) or the escape to show instead in esc.  Returns the
 * columns it takes.
 */
static int
piece(const char *s, size_t left, size_t *used, char esc[8], int *escaped)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b = (unsigned char)*s;
	mbstate_t st;
	wchar_t wc;
	size_t n;
	int w;

	*escaped = 0;
	if (b < 0x20 || b == 0x7f) {
		esc[0] = '^';
		esc[1] = b == 0x7f ? '?' : (char)(b + '@');
		esc[2] = '\0';
		*used = 1;
		*escaped = 1;
		return 2;
	}
	memset(&st, 0, sizeof st);
	n = mbrtowc(&wc, s, left, &st);
	if (n != (size_t)-1 && n != (size_t)-2 && n != 0 && iswprint((wint_t)wc) &&
	    (w = wcwidth(wc)) >= 0) {
		*used = n;
		return w;
	}
	esc[0] = '\\';
	esc[1] = 'x';
	esc[2] = hex[b >> 4];
	esc[3] = hex[b & 15];
	esc[4] = '\0';
	*used = 1;
	*escaped = 1;
	return 4;
}

/* What marks text cut short: an ellipsis where the locale has one. */
static const char *
cut_mark(void)
{
	return strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ? "\u2026" : ">";
}

int
draw_text(int y, int x, int width, const char *s, attr_t a)
{
	size_t left = strlen(s), used;
	char esc[8];
	int col = 0, w, escaped, room = width;

	if (width <= 0 || move(y, x) == ERR)
		return 0;
	/* Text that does not fit says so in its last column. */
	if (width > 1 && draw_width(s) > width)
		room = width - 1;
	attrset(a);
	while (left > 0) {
		w = piece(s, left, &used, esc, &escaped);
		if (col + w > room) {
			if (room < width) {
				addstr(cut_mark());
				col++;
			}
			break;
		}
		if (escaped)
			addstr(esc);
		else
			addnstr(s, (int)used);
		col += w;
		s += used;
		left -= used;
	}
	attrset(A_NORMAL);
	return col;
}

void
draw_fill(int y, int x, int width, attr_t a)
{
	if (width <= 0 || move(y, x) == ERR)
		return;
	attrset(a);
	while (width-- > 0)
		addch(' ');
	attrset(A_NORMAL);
}

void
draw_cell(int y, int x, int width, const char *s, attr_t a)
{
	int used = draw_text(y, x, width, s, a);

	draw_fill(y, x + used, width - used, a);
}

int
draw_width(const char *s)
{
	size_t left = strlen(s), used;
	char esc[8];
	int col = 0, escaped;

	while (left > 0) {
		col += piece(s, left, &used, esc, &escaped);
		s += used;
		left -= used;
	}
	return col;
}

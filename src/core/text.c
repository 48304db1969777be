/* text: escaping outside text for logs and batch output; see text.h. */
#include <stdio.h>
#include <string.h>

#include "core/text.h"

static int
special(unsigned char c, int backslash)
{
	return c < 0x20 || c == 0x7f || (backslash && c == '\\');
}

static char *
escape(char *out, size_t outsz, const char *s, int backslash)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, need;

	for (; *p != '\0'; p++) {
		need = special(*p, backslash) ? 4 : 1;
		if (o + need + 4 > outsz) {	/* room for "..." and the NUL */
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 4)
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
	return out;
}

char *
text_escape(char *out, size_t outsz, const char *s)
{
	return escape(out, outsz, s, 1);
}

char *
text_field(char *out, size_t outsz, const char *s)
{
	return escape(out, outsz, s, 0);
}

int
text_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (special((unsigned char)*s, 1))
			return 0;
	return 1;
}

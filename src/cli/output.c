/*
 * output: how batch mode writes grants: one line each, tab-separated in a
 * fixed column order, or one JSON object per line.  The engine refuses
 * control characters (and outside text comes in escaped), but a damaged or
 * hostile store may hold them: every text field of the tab-separated form
 * goes through text_field, so a field never holds a tab or a newline.
 */
#include <inttypes.h>
#include <time.h>

#include "cli/cli.h"
#include "core/relay.h"
#include "core/syncstat.h"
#include "core/text.h"

void
out_iso(int64_t t, char buf[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%" PRId64, t);
}

void
out_grant_tsv(FILE *f, const struct config *c, const struct grant *g, int64_t now)
{
	int64_t left = grant_remaining(g, now);
	char when[32] = "", user[4 * GRANT_USER_MAX], proto[4 * GRANT_PROTO_MAX];
	char rc[4 * GRANT_TEXT_MAX], note[4 * GRANT_TEXT_MAX];

	if (g->granted > 0)
		out_iso(g->granted, when);
	if (left < 0)
		fprintf(f, "%s\tpinned", g->addr);
	else if (left > 0)
		fprintf(f, "%s\t%" PRId64, g->addr, left);
	else
		fprintf(f, "%s\texpired", g->addr);
	fprintf(f, "\t%s\t%s\t%s\t%s\t%s\n", text_field(user, sizeof user, g->user),
	    text_field(proto, sizeof proto, g->proto), when,
	    text_field(rc, sizeof rc, relay_relayclient(c, g)),
	    text_field(note, sizeof note, g->note));
}

/* Bytes that are not valid UTF-8 become U+FFFD, so any JSON parser reads the line. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void
out_json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	fputc('"', f);
	while (*s != '\0') {
		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else if ((n = utf8_len(s)) == 0) {
			fputs("\\ufffd", f);
			s++;
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
	fputc('"', f);
}

void
out_grant_json(FILE *f, const struct config *c, const struct grant *g, int64_t now)
{
	int64_t left = grant_remaining(g, now);
	char when[32], host[GRANT_HOST_MAX];

	fputs("{\"address\":", f);
	out_json_string(f, g->addr);
	fprintf(f, ",\"pinned\":%s", g->pinned ? "true" : "false");
	if (g->pinned) {
		fputs(",\"expires\":null,\"remaining\":null", f);
	} else {
		out_iso(g->expires, when);
		fprintf(f, ",\"expires\":\"%s\",\"remaining\":%" PRId64, when, left);
	}
	fprintf(f, ",\"expired\":%s", left == 0 ? "true" : "false");
	fputs(",\"user\":", f);
	out_json_string(f, g->user);
	fputs(",\"protocol\":", f);
	out_json_string(f, g->proto);
	if (g->granted > 0) {
		out_iso(g->granted, when);
		fprintf(f, ",\"granted\":\"%s\"", when);
	} else {
		fputs(",\"granted\":null", f);
	}
	fputs(",\"relayclient\":", f);
	out_json_string(f, relay_relayclient(c, g));
	fprintf(f, ",\"own_relayclient\":%s,\"note\":", g->has_relayclient ? "true" : "false");
	out_json_string(f, g->note);
	/* Added with relaygate sync; the tab-separated columns stay as they were. */
	syncstat_recorded_by(c, g, host, sizeof host);
	fputs(",\"host\":", f);
	out_json_string(f, host);
	fputs("}\n", f);
}

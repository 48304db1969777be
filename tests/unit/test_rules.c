/* test_rules: tcp.smtp parsed, edited, compiled and looked up as ucspi-tcp does. */
#include "helpers.h"
#include "core/rules.h"

static struct rules
parse_ok(const char *text)
{
	struct rules_errors errs;
	struct rules r;

	if (rules_parse(text, strlen(text), &r, &errs) != 0)
		fail_msg("unexpected error: line %zu: %s", errs.e[0].line, errs.e[0].msg);
	return r;
}

/* Records as "key=>data" lines, NULs shown as '|'. */
static int
collect(const char *k, size_t kl, const char *d, size_t dl, void *arg)
{
	char *out = arg;
	size_t n = strlen(out), i;

	memcpy(out + n, k, kl);
	n += kl;
	memcpy(out + n, "=>", 2);
	n += 2;
	for (i = 0; i < dl; i++)
		out[n++] = d[i] ? d[i] : '|';
	out[n++] = '\n';
	out[n] = '\0';
	return 0;
}

static void
records_are_what_tcprules_writes(void **s)
{
	struct rules r = parse_ok("# c\n127.0.0.1:allow,RELAYCLIENT=\"\"\n\n10.0.0.3-5:deny\n"
	    "=mx.example.org:allow,A='x y',B=|p|\n:allow\n1.2.-1.:deny,X=abca\n");
	char out[1024] = "";

	(void)s;
	assert_int_equal(rules_compile(&r, collect, out), 0);
	assert_string_equal(out,
	    "127.0.0.1=>+RELAYCLIENT=|\n"
	    "10.0.0.3=>D|\n10.0.0.4=>D|\n10.0.0.5=>D|\n"
	    "=mx.example.org=>+A=x y|+B=p|\n"
	    "=>\n"
	    "1.2.0.=>D|+X=bc|\n1.2.1.=>D|+X=bc|\n");
	assert_int_equal(rules_count(&r), 5);
	rules_free(&r);
}

static void
ranges_are_capped_at_255_as_tcprules_does(void **s)
{
	struct rules r = parse_ok("10.0.0.254-999:allow\n");
	char out[256] = "";

	(void)s;
	assert_int_equal(rules_compile(&r, collect, out), 0);
	assert_string_equal(out, "10.0.0.254=>\n10.0.0.255=>\n");
	rules_free(&r);
}

static void
text_comes_back_as_written(void **s)
{
	const char *text = "# keep me\n1.2.3.4:allow,A=\"1\"   \n\n\t\n:deny\n";
	struct rules r = parse_ok(text);
	size_t len;
	char *back = rules_text(&r, &len);

	(void)s;
	assert_string_equal(back, text);
	free(back);
	rules_free(&r);
}

static void
errors_carry_line_numbers_and_all_are_found(void **s)
{
	const char *text = "1.2.3.4:allow\n1.2.3.4:allo\n#\nfoo\n1.x-3.:deny\n"
	    "1.2.3.4:allow,A=\"x\n1.2.3.4:allow,9A=\"x\"\n1.2.3.4:allow,A\n"
	    " 1.2.3.4:allow\n1.2.3.4:allow junk\n1.2.3.4:allow\r\n1.2.3.9-2:deny\n";
	struct rules_errors errs;
	struct rules r;
	static const struct { size_t line; const char *msg; } want[] = {
		{ 2, "bad instruction" }, { 4, "no ':'" }, { 5, "bad range \"x-3\"" },
		{ 6, "unterminated quote" }, { 7, "bad variable name \"9A\"" },
		{ 8, "has no '='" }, { 9, "white space in the address" },
		{ 10, "unexpected \" junk\"" }, { 11, "carriage return" },
		{ 12, "empty range" },
	};
	size_t i;

	(void)s;
	assert_int_equal(rules_parse(text, strlen(text), &r, &errs), 10);
	assert_int_equal(r.n, 0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(errs.e[i].line, want[i].line);
		if (strstr(errs.e[i].msg, want[i].msg) == NULL)
			fail_msg("line %zu: \"%s\" lacks \"%s\"", want[i].line, errs.e[i].msg, want[i].msg);
	}
}

static void
ipv6_addresses_hold_colons(void **s)
{
	struct rules r = parse_ok("2001:db8::1:allow,V=\"1\"\n2001:db8::deny\n");
	char out[256] = "";

	(void)s;
	assert_int_equal(rules_compile(&r, collect, out), 0);
	assert_string_equal(out, "2001:db8::1=>+V=1|\n2001:db8:=>D|\n");
	rules_free(&r);
}

static void
insert_delete_move_keep_comments_in_place(void **s)
{
	struct rules r = parse_ok("# top\nA.:allow\n# mid\nB.:allow\nC.:allow\n");
	struct rules_line l;
	struct err e;
	size_t len;
	char *t;

	(void)s;
	assert_int_equal(rules_parse_rule("D.:deny", &l, &e), 0);
	assert_int_equal(rules_insert(&r, &l, 2, &e), 0);	/* before B */
	assert_int_equal(rules_move(&r, 4, 1, &e), 0);		/* C first */
	assert_int_equal(rules_delete(&r, 3, &e), 0);		/* D */
	t = rules_text(&r, &len);
	assert_string_equal(t, "# top\nC.:allow\nA.:allow\n# mid\nB.:allow\n");
	free(t);
	assert_int_equal(rules_delete(&r, 9, &e), -1);
	assert_string_equal(e.msg, "no rule 9: there are 3");
	assert_int_equal(rules_parse_rule("# not a rule", &l, &e), -1);
	rules_free(&r);
}

/* A store for look-ups: the records of a rules text, the first one wins. */

static int
find(const char *key, size_t klen, char *buf, size_t cap, size_t *dlen, void *arg)
{
	struct rules *r = arg;
	char out[4096] = "", want[600], *p, *q;

	rules_compile(r, collect, out);
	snprintf(want, sizeof want, "%.*s=>", (int)klen, key);
	for (p = out; (q = strchr(p, '\n')) != NULL; p = q + 1)
		if (strncmp(p, want, strlen(want)) == 0) {
			size_t i, n = (size_t)(q - p) - strlen(want);
			if (n > cap)
				return -1;
			for (i = 0; i < n; i++)
				buf[i] = p[strlen(want) + i] == '|' ? '\0' : p[strlen(want) + i];
			*dlen = n;
			return 1;
		}
	return 0;
}

static const char *
answer(struct rules *r, const char *ip, const char *host, const char *info)
{
	static char out[600];
	struct rules_answer a;

	assert_int_equal(rules_lookup(find, r, ip, host, info, &a), 0);
	if (!a.found)
		return "default";
	snprintf(out, sizeof out, "%s %s%s%s", a.key, a.deny ? "deny" : "allow",
	    a.nenv ? " " : "", a.nenv ? a.env[0].value : "");
	return out;
}

static void
lookups_follow_tcpservers_order(void **s)
{
	struct rules r = parse_ok(
	    "alice@1.2.3.4:allow,W=\"info@ip\"\nbob@=h.example.org:allow,W=\"info@=host\"\n"
	    "1.2.3.4:allow,W=\"ip\"\n=h.example.org:allow,W=\"=host\"\n1.2.:allow,W=\"1.2.\"\n"
	    "1.:deny\n=.example.org:allow,W=\"=.domain\"\n=:allow,W=\"=\"\n2001:db8::allow,W=\"v6\"\n");

	(void)s;
	assert_string_equal(answer(&r, "1.2.3.4", "h.example.org", "alice"), "alice@1.2.3.4 allow info@ip");
	assert_string_equal(answer(&r, "1.2.3.4", "h.example.org", "bob"), "bob@=h.example.org allow info@=host");
	assert_string_equal(answer(&r, "1.2.3.4", "h.example.org", NULL), "1.2.3.4 allow ip");
	assert_string_equal(answer(&r, "1.2.9.9", "h.example.org", NULL), "=h.example.org allow =host");
	assert_string_equal(answer(&r, "1.2.9.9", NULL, NULL), "1.2. allow 1.2.");
	assert_string_equal(answer(&r, "1.9.9.9", "x.example.org", NULL), "1. deny");
	assert_string_equal(answer(&r, "9.9.9.9", "x.example.org", NULL), "=.example.org allow =.domain");
	assert_string_equal(answer(&r, "9.9.9.9", "x.example.net", NULL), "= allow =");
	assert_string_equal(answer(&r, "9.9.9.9", NULL, NULL), "default");
	assert_string_equal(answer(&r, "2001:db8::5", NULL, NULL), "2001:db8: allow v6");
	rules_free(&r);
}

static void
client_ip_is_written_as_tcpserver_writes_it(void **s)
{
	char ip[64];
	struct err e;
	static const char *cases[][2] = {
		{ "192.0.2.1", "192.0.2.1" }, { "::ffff:192.0.2.1", "192.0.2.1" },
		{ "2001:DB8::1", "2001:db8::1" }, { "2001:db8:0:1:1:1:1:1", "2001:db8::1:1:1:1:1" },
		{ "::", "::" }, { "::1", "::1" }, { "1::", "1::" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
		{ "fe80:0:0:0:0:0:0:0", "fe80::" },
	};
	size_t i;

	(void)s;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(rules_client_ip(cases[i][0], ip, sizeof ip, &e), 0);
		assert_string_equal(ip, cases[i][1]);
	}
	assert_int_equal(rules_client_ip("mail.example.org", ip, sizeof ip, &e), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_are_what_tcprules_writes),
		cmocka_unit_test(ranges_are_capped_at_255_as_tcprules_does),
		cmocka_unit_test(text_comes_back_as_written),
		cmocka_unit_test(errors_carry_line_numbers_and_all_are_found),
		cmocka_unit_test(ipv6_addresses_hold_colons),
		cmocka_unit_test(insert_delete_move_keep_comments_in_place),
		cmocka_unit_test(lookups_follow_tcpservers_order),
		cmocka_unit_test(client_ip_is_written_as_tcpserver_writes_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

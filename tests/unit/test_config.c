/* test_config: defaults, file, environment, relay-ctrl names, setuid distrust. */
#include "helpers.h"

static char path[PATH_MAX];

static int
setup(void **s)
{
	scratch_setup(s);
	snprintf(path, sizeof path, "%s/relaygate.conf", dir);
	unsetenv("RELAYGATE_CONF");
	unsetenv("RELAYGATE_DIR");
	unsetenv("RELAYGATE_EXPIRY");
	unsetenv("RELAY_CTRL_EXPIRY");
	unsetenv("RELAYGATE_RELAYCLIENT");
	unsetenv("RELAY_CTRL_RELAYCLIENT");
	unsetenv("RELAY_CTRL_DIR");
	return 0;
}

static void
defaults_are_system_paths_and_900_seconds(void **s)
{
	struct config c;
	struct err e;

	(void)s;
	write_text(path, "# nothing set\n\n");
	assert_int_equal(config_load(&c, path, 1, &e), 0);
	assert_string_equal(c.dir, "/var/lib/relaygate");
	assert_int_equal(c.expiry, 900);
	assert_string_equal(c.relayclient, "");
	assert_int_equal(c.sync, 1);
	assert_string_equal(c.spool, "/var/spool/relay-ctrl");
}

static void
file_settings_are_read(void **s)
{
	struct config c;
	struct err e;

	(void)s;
	write_text(path, "dir = /srv/rg\n  expiry=1800  \nrelayclient = @relay\nsync = no\n");
	assert_int_equal(config_load(&c, path, 1, &e), 0);
	assert_string_equal(c.dir, "/srv/rg");
	assert_int_equal(c.expiry, 1800);
	assert_string_equal(c.relayclient, "@relay");
	assert_int_equal(c.sync, 0);
}

static void
environment_overrides_file_and_relay_ctrl_names_work(void **s)
{
	struct config c;
	struct err e;

	(void)s;
	write_text(path, "expiry = 1800\n");
	setenv("RELAY_CTRL_EXPIRY", "600", 1);
	setenv("RELAY_CTRL_RELAYCLIENT", "@x", 1);
	setenv("RELAY_CTRL_DIR", "/var/spool/old", 1);
	assert_int_equal(config_load(&c, path, 1, &e), 0);
	assert_int_equal(c.expiry, 600);
	assert_string_equal(c.relayclient, "@x");
	assert_string_equal(c.spool, "/var/spool/old");
	setenv("RELAYGATE_EXPIRY", "300", 1);	/* our own name wins */
	assert_int_equal(config_load(&c, path, 1, &e), 0);
	assert_int_equal(c.expiry, 300);
}

static void
untrusted_environment_is_ignored(void **s)
{
	struct config c;
	struct err e;

	(void)s;
	write_text(path, "dir = /srv/rg\n");
	setenv("RELAYGATE_DIR", "/tmp/evil", 1);
	setenv("RELAYGATE_CONF", "/tmp/evil.conf", 1);
	setenv("RELAYGATE_EXPIRY", "31536000", 1);
	assert_int_equal(config_load(&c, path, 0, &e), 0);
	assert_string_equal(c.dir, "/srv/rg");
	assert_int_equal(c.expiry, 900);
}

static void
conf_variable_names_the_file_and_it_must_exist(void **s)
{
	struct config c;
	struct err e;

	(void)s;
	write_text(path, "expiry = 42\n");
	setenv("RELAYGATE_CONF", path, 1);
	assert_int_equal(config_load(&c, NULL, 1, &e), 0);
	assert_int_equal(c.expiry, 42);
	assert_string_equal(c.file, path);
	setenv("RELAYGATE_CONF", "/nonexistent/relaygate.conf", 1);
	assert_int_equal(config_load(&c, NULL, 1, &e), -1);
	assert_string_equal(e.msg, "open /nonexistent/relaygate.conf: No such file or directory");
}

static void
bad_settings_name_the_line(void **s)
{
	struct config c;
	struct err e;
	char want[PATH_MAX + 100];

	(void)s;
	write_text(path, "# ok\nexpiry = soon\n");
	assert_int_equal(config_load(&c, path, 1, &e), -1);
	snprintf(want, sizeof want, "%s line 2: expiry: \"soon\" is not a whole number of seconds", path);
	assert_string_equal(e.msg, want);

	write_text(path, "colour = blue\n");
	assert_int_equal(config_load(&c, path, 1, &e), -1);
	assert_non_null(strstr(e.msg, "line 1: unknown setting \"colour\""));

	write_text(path, "expiry\n");
	assert_int_equal(config_load(&c, path, 1, &e), -1);
	assert_non_null(strstr(e.msg, "line 1: expected name = value"));

	write_text(path, "dir = relative/path\n");
	assert_int_equal(config_load(&c, path, 1, &e), -1);
	assert_non_null(strstr(e.msg, "must be an absolute path"));

	write_text(path, "expiry = 0\n");
	assert_int_equal(config_load(&c, path, 1, &e), -1);
	assert_non_null(strstr(e.msg, "out of range"));

	setenv("RELAY_CTRL_EXPIRY", "-5", 1);
	write_text(path, "\n");
	assert_int_equal(config_load(&c, path, 1, &e), -1);
	assert_string_equal(e.msg, "RELAY_CTRL_EXPIRY: \"-5\" is not a whole number of seconds");
}

static void
self_service_is_yes_no_or_first(void **s)
{
	struct config c;
	struct err e;

	(void)s;
	write_text(path, "\n");
	assert_int_equal(config_load(&c, path, 1, &e), 0);
	assert_int_equal(c.self_service, CONFIG_SELF_CHANGE);	/* the default */
	write_text(path, "self_service = no\n");
	assert_int_equal(config_load(&c, path, 1, &e), 0);
	assert_int_equal(c.self_service, CONFIG_SELF_NO);
	write_text(path, "self_service = first\n");
	assert_int_equal(config_load(&c, path, 1, &e), 0);
	assert_int_equal(c.self_service, CONFIG_SELF_FIRST);
	write_text(path, "self_service = yes\n");
	assert_int_equal(config_load(&c, path, 1, &e), 0);
	assert_int_equal(c.self_service, CONFIG_SELF_CHANGE);
	write_text(path, "self_service = maybe\n");
	assert_int_equal(config_load(&c, path, 1, &e), -1);
	assert_non_null(strstr(e.msg, "line 1: self_service: must be yes, no or first"));
}

static void
a_bad_network_list_is_refused_at_load_with_its_line(void **s)
{
	struct config c;
	struct err e;

	(void)s;
	write_text(path, "expiry = 600\nplain_networks = 127.0.0.0/8, 10.0.0.0/33\n");
	assert_int_equal(config_load(&c, path, 0, &e), -1);
	assert_non_null(strstr(e.msg, " line 2: plain_networks: bad network \"10.0.0.0/33\""));
	write_text(path, "plain_networks = 127.0.0.0/8, ::1 2001:db8::/32\n");
	assert_int_equal(config_load(&c, path, 0, &e), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(defaults_are_system_paths_and_900_seconds, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(file_settings_are_read, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(environment_overrides_file_and_relay_ctrl_names_work, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(untrusted_environment_is_ignored, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(conf_variable_names_the_file_and_it_must_exist, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(bad_settings_name_the_line, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(self_service_is_yes_no_or_first, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(a_bad_network_list_is_refused_at_load_with_its_line, setup, scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

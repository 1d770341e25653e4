/* test-log.c - sluice's own log in both of server.log_format's formats:
 * logfmt as callers write it, and json built from the same fields (quoted
 * values unescaped, control characters escaped, long lines cut whole). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "sl-test.h"

/* Logs once into a temporary file and returns the line (new string). */
static char *capture(enum sl_log_format format, enum sl_log_level level, const char *msg,
                     const char *fields) {
        FILE *f = tmpfile();
        char *line = calloc(1, 8192);

        ck_assert_ptr_nonnull(f);
        sl_log_set_output(f);
        sl_log_set_format(format);
        sl_log(level, msg, "%s", fields);
        sl_log_set_output(NULL);
        sl_log_set_format(SL_LOG_LOGFMT);
        rewind(f);
        if (!fgets(line, 8192, f))
                line[0] = '\0';
        fclose(f);
        return line;
}

START_TEST(parse_names) {
        enum sl_log_format f;
        enum sl_log_level l;

        ck_assert_int_eq(sl_log_parse_format("logfmt", &f), 0);
        ck_assert_int_eq(f, SL_LOG_LOGFMT);
        ck_assert_int_eq(sl_log_parse_format("json", &f), 0);
        ck_assert_int_eq(f, SL_LOG_JSON);
        ck_assert_int_lt(sl_log_parse_format("JSON", &f), 0);
        ck_assert_int_lt(sl_log_parse_format("text", &f), 0);
        ck_assert_int_eq(sl_log_parse_level("warn", &l), 0);
        ck_assert_int_eq(l, SL_LOG_WARN);
}
END_TEST

START_TEST(logfmt_line) {
        char *line = capture(SL_LOG_LOGFMT, SL_LOG_WARN, "a \"quoted\" msg",
                             "path=\"/var/log/a b.log\" count=3");

        ck_assert_msg(strncmp(line, "ts=", 3) == 0, "%s", line);
        ck_assert_msg(strstr(line, "Z level=warn msg=\"a \\\"quoted\\\" msg\" "
                                   "path=\"/var/log/a b.log\" count=3\n"), "%s", line);
        free(line);
}
END_TEST

START_TEST(json_line) {
        char *line = capture(SL_LOG_JSON, SL_LOG_ERROR, "tab\there \"q\"",
                             "path=\"/var/log/a \\\"b\\\".log\" count=3 flag url=\"http://x/\"");
        json_error_t jerr;
        json_t *o = json_loads(line, 0, &jerr);

        ck_assert_msg(o, "not JSON (%s): %s", jerr.text, line);
        ck_assert_str_eq(json_string_value(json_object_get(o, "level")), "error");
        ck_assert_str_eq(json_string_value(json_object_get(o, "msg")), "tab\there \"q\"");
        ck_assert_str_eq(json_string_value(json_object_get(o, "path")), "/var/log/a \"b\".log");
        ck_assert_str_eq(json_string_value(json_object_get(o, "count")), "3");
        ck_assert_str_eq(json_string_value(json_object_get(o, "flag")), "");
        ck_assert_str_eq(json_string_value(json_object_get(o, "url")), "http://x/");
        ck_assert_msg(strlen(json_string_value(json_object_get(o, "ts"))) == 24, "%s", line);
        ck_assert_uint_eq(json_object_size(o), 7);
        ck_assert(line[strlen(line) - 1] == '\n');
        json_decref(o);
        free(line);
}
END_TEST

START_TEST(json_control_characters) {
        char *line = capture(SL_LOG_JSON, SL_LOG_INFO, "bell\a nl\n", "x=\"\x01\"");
        json_t *o = json_loads(line, 0, NULL);

        ck_assert_msg(o, "%s", line);
        ck_assert_msg(strstr(line, "\\u0007") && strstr(line, "\\n") && strstr(line, "\\u0001"),
                      "%s", line);
        ck_assert_str_eq(json_string_value(json_object_get(o, "msg")), "bell\a nl\n");
        json_decref(o);
        free(line);
}
END_TEST

/* Past 4 KiB the line is cut, and stays one valid line in either format. */
START_TEST(long_lines_cut) {
        char *big = malloc(6000), *fields = malloc(7000), *line;
        json_t *o;

        memset(big, 'm', 5999);
        big[5999] = '\0';
        snprintf(fields, 7000, "a=1 b=\"%.3000s\" c=2", big);

        line = capture(SL_LOG_JSON, SL_LOG_INFO, big, "k=v");
        o = json_loads(line, 0, NULL);
        ck_assert_msg(o, "cut msg: not JSON");
        ck_assert_uint_le(strlen(line), 4096);
        json_decref(o);
        free(line);

        line = capture(SL_LOG_JSON, SL_LOG_INFO, "short", fields);
        o = json_loads(line, 0, NULL);
        ck_assert_msg(o, "cut fields: not JSON");
        ck_assert_str_eq(json_string_value(json_object_get(o, "a")), "1");
        ck_assert_uint_le(strlen(line), 4096);
        json_decref(o);
        free(line);

        line = capture(SL_LOG_LOGFMT, SL_LOG_INFO, big, "k=v");
        ck_assert_uint_le(strlen(line), 4096);
        ck_assert(line[strlen(line) - 1] == '\n');
        free(line);
        free(big);
        free(fields);
}
END_TEST

START_TEST(below_level_dropped) {
        char *line;

        sl_log_set_level(SL_LOG_WARN);
        line = capture(SL_LOG_JSON, SL_LOG_INFO, "quiet", "");
        ck_assert_str_eq(line, "");
        free(line);
        sl_log_set_level(SL_LOG_INFO);
}
END_TEST

static Suite *log_suite(void) {
        Suite *s = suite_create("log");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, parse_names);
        tcase_add_test(tc, logfmt_line);
        tcase_add_test(tc, json_line);
        tcase_add_test(tc, json_control_characters);
        tcase_add_test(tc, long_lines_cut);
        tcase_add_test(tc, below_level_dropped);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(log_suite)

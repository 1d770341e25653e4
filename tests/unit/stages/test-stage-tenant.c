/* test-stage-tenant.c - the tenant stage: the entry's tenant in the
 * reserved label "__tenant_id__", from an extracted value, a label or a
 * fixed value.
 *
 * Cases from Promtail 3.4 stages/tenant_test.go (TestTenantStage_Validation,
 * TestTenantStage_Process, TestPipelineWithMissingKey_Tenant) and the
 * examples of the stage's documentation page. */
#include <check.h>
#include <string.h>

#include "core/labels.h"
#include "sl-test.h"
#include "stage-test.h"

/* TestTenantStage_Validation: exactly one of source, label and value. */
START_TEST(validation) {
        static const struct {
                const char *yaml, *msg;
        } bad[] = {
                { "- tenant: {}\n", "label, source or value config are required" },
                { "- tenant: {source: ''}\n", "label, source or value config are required" },
                { "- tenant: {value: ''}\n", "label, source or value config are required" },
                { "- tenant: {label: ''}\n", "label, source or value config are required" },
                { "- tenant: {source: tenant, value: team-a}\n", "mutually exclusive" },
                { "- tenant: {source: tenant, label: team-a}\n", "mutually exclusive" },
                { "- tenant: {label: tenant, value: team-a}\n", "mutually exclusive" },
                { "- tenant: {label: tenant, source: tenant, value: team-a}\n", "mutually exclusive" },
                { "- tenant: {tenant: x}\n", "tenant" },
        };
        struct sl_cfg_error err;
        char msg[1024];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                st_pipeline_fails(bad[i].yaml, &err, msg, sizeof(msg));
                ck_assert_msg(strstr(msg, bad[i].msg) != NULL, "case %zu: %s", i, msg);
                ck_assert_msg(strncmp(err.key, "pipeline_stages[0].tenant", 25) == 0, "%s", msg);
        }
        sl_pipeline_free(st_pipeline("- tenant: {source: tenant}\n"));
        sl_pipeline_free(st_pipeline("- tenant: {value: team-a}\n"));
        sl_pipeline_free(st_pipeline("- tenant: {label: team}\n"));
}
END_TEST

/* One TestTenantStage_Process case: @yaml on an entry with the label
 * @label_name=@label_value (NULL: none) and the extracted value
 * @ex_name=@ex_value (NULL: none); the tenant is then @want (NULL: none),
 * and nothing else changed. */
static void process_case(const char *yaml, const char *label_name, const char *label_value,
                         const char *ex_name, const char *ex_value, const char *want) {
        struct sl_pipeline *p = st_pipeline(yaml);
        struct sl_entry e;

        sl_entry_init(&e);
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("hello world");
        e.ts_ns = 1000000001;
        if (label_name)
                sl_kvs_set(&e.labels, sl_str_c(label_name), sl_str_c(label_value));
        if (ex_name)
                sl_kvs_set(&e.extracted, sl_str_c(ex_name), sl_str_c(ex_value));
        ck_assert_int_eq(sl_pipeline_run(p, &e), SL_STAGE_KEEP);
        st_assert_kv(&e.labels, SL_TENANT_LABEL, want);
        st_assert_str(e.line, "hello world");
        ck_assert_int_eq(e.ts_ns, 1000000001);
        sl_pipeline_free(p);
        sl_entry_release(&e);
}

START_TEST(process) {
        /* should not set the tenant if the source field is not defined in the extracted map */
        process_case("- tenant: {source: tenant_id}\n", NULL, NULL, NULL, NULL, NULL);
        /* should not override the tenant if the source field is not defined in the extracted map */
        process_case("- tenant: {source: tenant_id}\n", SL_TENANT_LABEL, "foo", NULL, NULL, "foo");
        /* should set the tenant if the source field is defined in the extracted map */
        process_case("- tenant: {source: tenant_id}\n", NULL, NULL, "tenant_id", "bar", "bar");
        /* should set the tenant if the label is defined in the label map */
        process_case("- tenant: {label: tenant_id}\n", "tenant_id", "bar", NULL, NULL, "bar");
        /* should override the tenant if the source field is defined in the extracted map */
        process_case("- tenant: {source: tenant_id}\n", SL_TENANT_LABEL, "foo", "tenant_id", "bar",
                     "bar");
        /* should set the tenant with the configured static value */
        process_case("- tenant: {value: bar}\n", NULL, NULL, NULL, NULL, "bar");
        /* should override the tenant with the configured static value */
        process_case("- tenant: {value: bar}\n", SL_TENANT_LABEL, "foo", NULL, NULL, "bar");
        /* "should not set the tenant if the source field data type can't be
         * converted to string" ([]string{"bar"}): sluice's extracted values
         * are text, so a JSON array taken by json is its JSON text and is a
         * tenant (a difference the README lists). An empty value is none. */
        process_case("- tenant: {source: tenant_id}\n", NULL, NULL, "tenant_id", "", NULL);
        /* A missing label leaves it as it was. */
        process_case("- tenant: {label: tenant_id}\n", SL_TENANT_LABEL, "foo", NULL, NULL, "foo");
}
END_TEST

/* TestPipelineWithMissingKey_Tenant: json's expression finds no
 * customer_id; no tenant is set (Promtail logs why at debug level). */
START_TEST(missing_key) {
        struct sl_pipeline *p = st_pipeline("- json:\n"
                                            "    expressions:\n"
                                            "      customer_id:\n"
                                            "- tenant:\n"
                                            "    source: customer_id\n");
        struct sl_entry e;

        sl_entry_init(&e);
        ck_assert_int_eq(st_run(p, &e, 1,
                                "{\"time\":\"2012-11-01T22:08:41+00:00\",\"app\":\"loki\","
                                "\"component\": [\"parser\",\"type\"],\"level\" : \"WARN\"}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.labels, SL_TENANT_LABEL, NULL);
        ck_assert_int_eq(st_run(p, &e, 1, "{\"customer_id\":\"acme\"}"), SL_STAGE_KEEP);
        st_assert_kv(&e.labels, SL_TENANT_LABEL, "acme");
        sl_pipeline_free(p);
        sl_entry_release(&e);
}
END_TEST

/* The documentation page's examples: the tenant from a JSON field; a
 * fixed tenant in a match for one app's lines; a label's value (the
 * Kubernetes namespace). */
START_TEST(documentation) {
        struct sl_pipeline *p = st_pipeline("- json:\n"
                                            "    expressions:\n"
                                            "      customer_id: customer_id\n"
                                            "- tenant:\n"
                                            "    source: customer_id\n");
        struct sl_pipeline *m = st_pipeline("- json:\n"
                                            "    expressions:\n"
                                            "      app:\n"
                                            "      message:\n"
                                            "- labels:\n"
                                            "    app:\n"
                                            "- match:\n"
                                            "    selector: '{app=\"api\"}'\n"
                                            "    stages:\n"
                                            "      - tenant:\n"
                                            "          value: \"team-api\"\n"
                                            "- output:\n"
                                            "    source: message\n");
        struct sl_pipeline *k = st_pipeline("- match:\n"
                                            "    selector: '{namespace=~\".+\"}'\n"
                                            "    stages:\n"
                                            "      - tenant:\n"
                                            "          label: \"namespace\"\n");
        struct sl_entry e;

        sl_entry_init(&e);
        ck_assert_int_eq(st_run(p, &e, 1, "{\"customer_id\":\"1\",\"log\":\"log message\\n\","
                                          "\"stream\":\"stderr\",\"time\":\"2019-04-30T02:12:41.8443515Z\"}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.labels, SL_TENANT_LABEL, "1");

        ck_assert_int_eq(st_run(m, &e, 1, "{\"app\":\"api\",\"log\":\"log message\\n\","
                                          "\"stream\":\"stderr\",\"time\":\"2019-04-30T02:12:41.8443515Z\"}"),
                         SL_STAGE_KEEP);
        st_assert_kv(&e.labels, SL_TENANT_LABEL, "team-api");
        st_assert_kv(&e.labels, "app", "api");
        ck_assert_int_eq(st_run(m, &e, 1, "{\"app\":\"web\",\"message\":\"m\"}"), SL_STAGE_KEEP);
        st_assert_kv(&e.labels, SL_TENANT_LABEL, NULL);
        st_assert_str(e.line, "m");

        sl_entry_reset(&e);
        e.line = SL_STR_LIT("x");
        sl_kvs_set(&e.labels, SL_STR_LIT("namespace"), SL_STR_LIT("shop"));
        ck_assert_int_eq(sl_pipeline_run(k, &e), SL_STAGE_KEEP);
        st_assert_kv(&e.labels, SL_TENANT_LABEL, "shop");
        sl_pipeline_free(p);
        sl_pipeline_free(m);
        sl_pipeline_free(k);
        sl_entry_release(&e);
}
END_TEST

static Suite *tenant_suite(void) {
        Suite *s = suite_create("stage-tenant");
        TCase *tc = tcase_create("tenant");

        tcase_add_test(tc, validation);
        tcase_add_test(tc, process);
        tcase_add_test(tc, missing_key);
        tcase_add_test(tc, documentation);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(tenant_suite)

/* test-docker-meta.c - the Engine API's and config.v2.json's descriptions
 * of containers, and the __meta_docker_* labels made of them.
 *
 * data/dockerprom/ holds the container and network lists of Prometheus'
 * discovery/moby/testdata/dockerprom (v0.55); the expected labels are those
 * of TestDockerSDRefresh in discovery/moby/docker_test.go, the first target
 * of each container (the one Promtail keeps per container).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fs-util.h"
#include "discovery/docker-meta.h"
#include "sl-test.h"

#define D "__meta_docker_"

static char *read_data(const char *name, size_t *len) {
        char path[512];
        char *data = NULL;

        snprintf(path, sizeof(path), "%s/tests/unit/discovery/data/dockerprom/%s",
                 sl_test_source_root(), name);
        ck_assert_int_eq(sl_read_file(path, 1u << 20, &data, len), 0);
        return data;
}

static void expect(const struct sl_label_set *ls, const char *const *pairs) {
        size_t n = 0;

        for (; pairs[n]; n += 2) {
                const char *v = sl_label_set_get(ls, sl_str_c(pairs[n]));
                ck_assert_msg(v != NULL, "%s missing", pairs[n]);
                ck_assert_msg(strcmp(v, pairs[n + 1]) == 0, "%s=%s, want %s", pairs[n], v,
                              pairs[n + 1]);
        }
        ck_assert_msg(ls->len == n / 2, "%zu labels, want %zu", ls->len, n / 2);
}

#define COMPOSE(project, service, version)                                               \
        D "container_label_com_docker_compose_project", project,                           \
        D "container_label_com_docker_compose_service", service,                           \
        D "container_label_com_docker_compose_version", version
#define MAINTAINER                                                                         \
        D "container_label_maintainer",                                                    \
        "The Prometheus Authors <prometheus-developers@googlegroups.com>"
#define DEFAULT_NET(ip)                                                                    \
        D "network_id", "7189986ab399e144e52a71b7451b4e04e2158c044b4cd2f3ae26fc3a285d3798", \
        D "network_ingress", "false", D "network_internal", "false", D "network_ip", ip,    \
        D "network_label_com_docker_compose_network", "default",                           \
        D "network_label_com_docker_compose_project", "dockersd",                          \
        D "network_label_com_docker_compose_version", "1.25.0",                            \
        D "network_name", "dockersd_default", D "network_scope", "local"
#define PRIVATE_NET(ip)                                                                    \
        D "network_id", "e804771e55254a360fdb70dfdd78d3610fdde231b14ef2f837a00ac1eeb9e601", \
        D "network_ingress", "false", D "network_internal", "false", D "network_ip", ip,    \
        D "network_name", "dockersd_private", D "network_scope", "local"
#define IMAGE(name)                                                                        \
        D "container_image", name

START_TEST(prometheus_dockerprom_first_targets)
{
        static const char *const expected[][40] = {
                { "__address__", "172.19.0.2:9100",
                  D "container_id", "c301b928faceb1a18fe379f6bc178727ef920bb30b0f9b8592b32b36255a0eca",
                  COMPOSE("dockersd", "node", "1.25.0"), MAINTAINER,
                  D "container_label_prometheus_job", "node",
                  D "container_name", "/dockersd_node_1",
                  D "container_network_mode", "dockersd_default", DEFAULT_NET("172.19.0.2"),
                  D "port_private", "9100", NULL },
                { "__address__", "172.19.0.3:80",
                  D "container_id", "c301b928faceb1a18fe379f6bc178727ef920bb30b0f9b8592b32b36255a0eca",
                  COMPOSE("dockersd", "noport", "1.25.0"), MAINTAINER,
                  D "container_label_prometheus_job", "noport",
                  D "container_name", "/dockersd_noport_1",
                  D "container_network_mode", "dockersd_default", DEFAULT_NET("172.19.0.3"),
                  NULL },
                { "__address__", "localhost",
                  D "container_id", "54ed6cc5c0988260436cb0e739b7b6c9cad6c439a93b4c4fdbe9753e1c94b189",
                  COMPOSE("dockersd", "host_networking", "1.25.0"),
                  D "container_name", "/dockersd_host_networking_1",
                  D "container_network_mode", "host", NULL },
                { "__address__", "172.20.0.2:3306",
                  D "container_id", "f9ade4b83199d6f83020b7c0bfd1e8281b19dbf9e6cef2cf89bc45c8f8d20fe8",
                  COMPOSE("dockersd", "mysql", "2.2.2"),
                  D "container_name", "/dockersd_mysql",
                  D "container_network_mode", "dockersd_private", PRIVATE_NET("172.20.0.2"),
                  D "port_private", "3306", NULL },
                { "__address__", "172.20.0.2:9104",
                  D "container_id", "59bf76e8816af98856b90dd619c91027145ca501043b1c51756d03b085882e06",
                  COMPOSE("dockersd", "mysqlexporter", "2.2.2"), MAINTAINER,
                  D "container_name", "/dockersd_mysql_exporter",
                  D "container_network_mode",
                  "container:f9ade4b83199d6f83020b7c0bfd1e8281b19dbf9e6cef2cf89bc45c8f8d20fe8",
                  PRIVATE_NET("172.20.0.2"), D "port_private", "9104", NULL },
                { "__address__", "172.20.0.3:3306",
                  D "container_id", "f84b2a0cfaa58d9e70b0657e2b3c6f44f0e973de4163a871299b4acf127b224f",
                  COMPOSE("dockersd", "mysql", "2.2.2"),
                  D "container_name", "/dockersd_multi_networks",
                  D "container_network_mode", "dockersd_private_none", PRIVATE_NET("172.20.0.3"),
                  D "port_private", "3306", NULL },
        };
        struct sl_docker_container *cs = NULL;
        struct sl_docker_network_info *ns = NULL;
        size_t n = 0, n_ns = 0, len;
        char *data;

        data = read_data("containers.json", &len);
        ck_assert_int_eq(sl_docker_container_list_parse(data, len, &cs, &n), 0);
        free(data);
        data = read_data("networks.json", &len);
        ck_assert_int_eq(sl_docker_network_list_parse(data, len, &ns, &n_ns), 0);
        free(data);
        ck_assert_uint_eq(n, 6);
        sl_docker_containers_share_networks(cs, n);
        for (size_t i = 0; i < n; i++) {
                struct sl_docker_meta_options o = { .port = 80, .host_networking_host = "localhost",
                                                    .networks = ns, .n_networks = n_ns };
                struct sl_label_set ls;

                sl_label_set_init(&ls);
                ck_assert(sl_docker_container_meta(&cs[i], &o, true, &ls));
                /* Prometheus v0.55 has no image labels; later versions add
                 * them (and so does sluice): checked, then set aside. */
                ck_assert_str_eq(sl_label_set_get(&ls, SL_STR_LIT(D "container_image_id")),
                                 cs[i].image_id);
                ck_assert(sl_label_set_del(&ls, SL_STR_LIT(D "container_image")));
                ck_assert(sl_label_set_del(&ls, SL_STR_LIT(D "container_image_id")));
                expect(&ls, expected[i]);
                sl_label_set_release(&ls);
        }
        sl_docker_containers_free(cs, n);
        sl_docker_networks_free(ns, n_ns);
}
END_TEST

/* config.v2.json and hostconfig.json as Docker 20.10 writes them (cut to
 * the keys that matter and a few that do not). */
static const char config_v2[] =
        "{\"StreamConfig\":{},\"State\":{\"Running\":true,\"Pid\":4242},"
        "\"ID\":\"3f1c0e0a9b7d\",\"Created\":\"2026-01-02T03:04:05Z\","
        "\"Path\":\"/usr/local/bin/node\",\"Config\":{\"Hostname\":\"3f1c0e0a9b7d\","
        "\"Image\":\"registry.local/w40k-api:1.4\",\"Labels\":{"
        "\"com.docker.compose.project\":\"w40k\",\"com.docker.compose.service\":\"api\","
        "\"org.opencontainers.image.version\":\"1.4\",\"é-x\":\"y\"}},"
        "\"Image\":\"sha256:0123abcd\",\"NetworkSettings\":{\"Ports\":{"
        "\"53/udp\":null,\"3333/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}]},"
        "\"Networks\":{\"w40k_default\":{\"NetworkID\":\"net0\",\"IPAddress\":\"172.18.0.5\"},"
        "\"a_net\":{\"NetworkID\":\"net1\",\"IPAddress\":\"10.1.0.5\"}}},"
        "\"LogPath\":\"/var/lib/docker/containers/3f1c0e0a9b7d/3f1c0e0a9b7d-json.log\","
        "\"Name\":\"/w40k-api\",\"Driver\":\"overlay2\"}";
static const char hostconfig[] =
        "{\"NetworkMode\":\"w40k_default\",\"LogConfig\":{\"Type\":\"json-file\","
        "\"Config\":{\"max-size\":\"1m\"}}}";

START_TEST(config_v2_json_without_the_api)
{
        struct sl_docker_container c = { 0 };
        struct sl_docker_meta_options o = { .port = 80, .host_networking_host = "localhost" };
        struct sl_label_set ls;

        ck_assert_int_eq(sl_docker_container_parse(config_v2, strlen(config_v2), &c), 0);
        ck_assert_int_eq(sl_docker_hostconfig_parse(hostconfig, strlen(hostconfig), &c), 0);
        ck_assert_str_eq(c.log_path, "/var/lib/docker/containers/3f1c0e0a9b7d/3f1c0e0a9b7d-json.log");
        ck_assert_str_eq(c.log_driver, "json-file");
        ck_assert(c.running);
        sl_label_set_init(&ls);
        ck_assert(sl_docker_container_meta(&c, &o, false, &ls));
        expect(&ls, (const char *const[]){
                D "container_id", "3f1c0e0a9b7d", D "container_name", "/w40k-api",
                D "container_image", "registry.local/w40k-api:1.4",
                D "container_image_id", "sha256:0123abcd",
                D "container_network_mode", "w40k_default",
                D "container_label_com_docker_compose_project", "w40k",
                D "container_label_com_docker_compose_service", "api",
                D "container_label_org_opencontainers_image_version", "1.4",
                D "container_label___x", "y",
                /* The first network by name; no network list: id and name
                 * from the container's own entry. */
                D "network_id", "net1", D "network_name", "a_net", D "network_ip", "10.1.0.5",
                D "port_private", "3333", D "port_public", "8080", D "port_public_ip", "0.0.0.0",
                "__address__", "10.1.0.5:3333", NULL });
        sl_label_set_release(&ls);
        sl_docker_container_release(&c);
}
END_TEST

START_TEST(bad_documents_are_refused_without_harm)
{
        static const char *const bad[] = { "", "[", "{\"Name\":", "42", "\"x\"", "nul\0l" };
        struct sl_docker_container *cs = NULL;
        struct sl_docker_network_info *ns = NULL;
        size_t n;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct sl_docker_container c = { 0 };
                ck_assert_int_eq(sl_docker_container_parse(bad[i], strlen(bad[i]), &c), -EBADMSG);
                sl_docker_container_release(&c);
                ck_assert_int_eq(sl_docker_container_list_parse(bad[i], strlen(bad[i]), &cs, &n),
                                 -EBADMSG);
                ck_assert_int_eq(sl_docker_network_list_parse(bad[i], strlen(bad[i]), &ns, &n),
                                 -EBADMSG);
        }
        /* Wrong types are left out, not trusted. */
        {
                static const char odd[] = "{\"ID\":7,\"Name\":[1],\"Config\":{\"Labels\":"
                                          "{\"a\":1,\"b\":\"x\"}},\"NetworkSettings\":"
                                          "{\"Networks\":{\"n\":null}}}";
                struct sl_docker_container c = { 0 };
                struct sl_docker_meta_options o = { .port = 80, .host_networking_host = "h" };
                struct sl_label_set ls;

                ck_assert_int_eq(sl_docker_container_parse(odd, strlen(odd), &c), 0);
                sl_label_set_init(&ls);
                ck_assert(!sl_docker_container_meta(&c, &o, true, &ls));
                expect(&ls, (const char *const[]){ D "container_label_b", "x", NULL });
                sl_label_set_release(&ls);
                sl_docker_container_release(&c);
        }
}
END_TEST

START_TEST(label_names_are_sanitized_per_character)
{
        char *s = sl_docker_label_name("p_", "com.docker.compose.service");

        ck_assert_str_eq(s, "p_com_docker_compose_service");
        free(s);
        s = sl_docker_label_name("p_", "été-2");
        ck_assert_str_eq(s, "p__t__2");
        free(s);
}
END_TEST

static Suite *docker_meta_suite(void) {
        Suite *s = suite_create("docker-meta");
        TCase *tc = tcase_create("docker-meta");

        tcase_add_test(tc, prometheus_dockerprom_first_targets);
        tcase_add_test(tc, config_v2_json_without_the_api);
        tcase_add_test(tc, bad_documents_are_refused_without_harm);
        tcase_add_test(tc, label_names_are_sanitized_per_character);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(docker_meta_suite)

/* main.c - command line: parse flags, load the config, run the agent.
 *
 * Flags follow Promtail's spelling (-config.file, -check-config, -dry-run),
 * with one or two dashes and either "-flag value" or "-flag=value".
 * Exit codes: 0 success, 1 configuration or runtime failure, 2 usage error.
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "base/log.h"
#include "base/tls-lib.h"
#include "config/config.h"
#include "pipeline/pipeline.h"
#include "pipeline/stage.h"
#include "sl-version.h"
#include "stages/stage-registry.h"

struct cli {
        const char *config_file;    /* -config.file */
        const char *pipelines_dir;  /* -pipelines.dir */
        const char *log_level;      /* -log.level, overrides server.log_level */
        const char *log_format;     /* -log.format, overrides server.log_format */
        bool expand_env;            /* -config.expand-env */
        bool check_config;
        bool print_config;          /* -print-config: print it, exit */
        bool promtail_names;        /* -metrics.promtail-names */
        bool print_config_stderr;   /* -print-config-stderr (Promtail's): print it, go on */
        bool dry_run;
        bool inspect;               /* -inspect: what each stage changed, on stderr */
        bool version;
        bool help;
        const char *help_topic;     /* -help stages */
};

static void usage(FILE *out) {
        fprintf(out,
                "Usage: sluice -config.file FILE [options]\n"
                "\n"
                "Ships log files (Docker json-file logs first of all) to Grafana Loki,\n"
                "reading Promtail-shaped configuration.\n"
                "\n"
                "Options:\n"
                "  -config.file FILE     the configuration (YAML) to run\n"
                "  -config.expand-env    replace ${VAR} and ${VAR:-default} in the config file\n"
                "                        with environment variables\n"
                "  -pipelines.dir DIR    where `pipeline: NAME` finds NAME.yaml (default: the\n"
                "                        pipelines/ directory next to the config, else\n"
                "                        /etc/sluice/pipelines)\n"
                "  -check-config         validate the configuration and its pipelines, then exit\n"
                "                        0 (valid) or 1 (the error names file, line and key)\n"
                "  -print-config         print the effective configuration (defaults filled in,\n"
                "                        secrets as <secret>) and exit; -print-config-stderr\n"
                "                        prints it to stderr and runs\n"
                "  -dry-run              print the entries that would be pushed (timestamp,\n"
                "                        labels, structured metadata, line) and push nothing\n"
                "  -inspect              for each entry, print on stderr what each pipeline\n"
                "                        stage changed (extracted values, labels, timestamp,\n"
                "                        line, structured metadata; slow: for debugging,\n"
                "                        with -dry-run)\n"
                "  -metrics.promtail-names  also export Promtail's metric names (promtail_*), so\n"
                "                        the Promtail mixin's dashboards and alerts work\n"
                "  -log.level LEVEL      debug, info, warn or error (default: server.log_level)\n"
                "  -log.format FORMAT    logfmt or json (default: server.log_format)\n"
                "  -version              print the version and exit\n"
                "  -help [stages]        print this help, or the list of pipeline stages\n");
}

static void help_stages(void) {
        printf("Pipeline stages (pipeline_stages: - NAME: {keys}):\n\n");
        for (const struct sl_stage_type *const *t = sl_stage_registry; *t; t++) {
                printf("  %-20s %s\n", (*t)->name, (*t)->help ? (*t)->help : "");
                if ((*t)->keys && (*t)->keys[0]) {
                        printf("  %-20s keys:", "");
                        for (const char *const *k = (*t)->keys; *k; k++)
                                printf(" %s", *k);
                        printf("\n");
                }
        }
}

/* Matches "-name", "--name", "-name=v", "--name=v"; sets *ret_inline to v. */
static bool flag_is(const char *arg, const char *name, const char **ret_inline) {
        size_t n = strlen(name);

        if (arg[0] != '-')
                return false;
        arg += arg[1] == '-' ? 2 : 1;
        if (strncmp(arg, name, n) != 0)
                return false;
        if (arg[n] == '\0') {
                *ret_inline = NULL;
                return true;
        }
        if (arg[n] == '=') {
                *ret_inline = arg + n + 1;
                return true;
        }
        return false;
}

static bool flag_bool(const char *v) {
        return !v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

/* Returns 0, or 2 after printing a usage error. */
static int parse_args(int argc, char **argv, struct cli *cli) {
        static const char *const with_value[] = { "config.file", "pipelines.dir", "log.level",
                                                  "log.format" };

        for (int i = 1; i < argc; i++) {
                const char *arg = argv[i], *v = NULL;
                const char **slot[] = { &cli->config_file, &cli->pipelines_dir, &cli->log_level,
                                        &cli->log_format };
                bool matched = false;

                for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++) {
                        if (!flag_is(arg, with_value[k], &v))
                                continue;
                        if (!v) {
                                if (i + 1 >= argc) {
                                        fprintf(stderr, "sluice: flag -%s needs a value\n", with_value[k]);
                                        return 2;
                                }
                                v = argv[++i];
                        }
                        *slot[k] = v;
                        matched = true;
                }
                if (matched)
                        continue;
                if (flag_is(arg, "config.expand-env", &v))
                        cli->expand_env = flag_bool(v);
                else if (flag_is(arg, "check-config", &v))
                        cli->check_config = flag_bool(v);
                else if (flag_is(arg, "metrics.promtail-names", &v))
                        cli->promtail_names = flag_bool(v);
                else if (flag_is(arg, "print-config-stderr", &v))
                        cli->print_config_stderr = flag_bool(v);
                else if (flag_is(arg, "print-config", &v))
                        cli->print_config = flag_bool(v);
                else if (flag_is(arg, "dry-run", &v))
                        cli->dry_run = flag_bool(v);
                else if (flag_is(arg, "inspect", &v))
                        cli->inspect = flag_bool(v);
                else if (flag_is(arg, "version", &v))
                        cli->version = true;
                else if (flag_is(arg, "help", &v) || flag_is(arg, "h", &v)) {
                        cli->help = true;
                        if (!v && i + 1 < argc && argv[i + 1][0] != '-')
                                v = argv[++i];
                        cli->help_topic = v;
                } else {
                        fprintf(stderr, "sluice: unknown flag %s (see sluice -help)\n", arg);
                        return 2;
                }
        }
        return 0;
}

/* -inspect's report of one stage on one entry (pipeline/inspect.h). */
static void inspect_to_stderr(void *ud, struct sl_str text) {
        (void)ud;
        fwrite(text.ptr, 1, text.len, stderr);
}

static void print_cfg_error(const struct sl_cfg_error *err, int r) {
        char text[1200];

        if (err->msg[0]) {
                sl_cfg_error_format(err, text, sizeof(text));
                fprintf(stderr, "sluice: %s\n", text);
        } else {
                fprintf(stderr, "sluice: %s\n", strerror(-r));
        }
}

/* One line per config key accepted without effect: at start-up in the log,
 * with -check-config on stderr. */
static void report_warnings(const struct sl_config *config, bool to_log) {
        for (size_t i = 0; i < config->n_warnings; i++) {
                const struct sl_cfg_error *w = &config->warnings[i];
                char text[1200];

                if (to_log) {
                        sl_log_warn("config key accepted without effect, ignoring",
                                    "file=\"%s\" line=%u key=\"%s\" reason=\"%s\"", w->file,
                                    w->line, w->key, w->msg);
                } else {
                        sl_cfg_error_format(w, text, sizeof(text));
                        fprintf(stderr, "sluice: warning: %s\n", text);
                }
        }
}

/* -check-config also compiles every pipeline, so a stage error is found too. */
static int check_pipelines(const struct sl_config *config, struct sl_cfg_error *err) {
        for (size_t i = 0; i < config->n_scrape_configs; i++) {
                const struct sl_scrape_config *sc = &config->scrape_configs[i];
                struct sl_pipeline *p = NULL;
                int r = sl_stages_pipeline_new(sc->pipeline_stages,
                                               sc->pipeline_file ? sc->pipeline_file : config->file,
                                               err, &p);
                if (r < 0)
                        return r;
                sl_pipeline_free(p);
        }
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_(sl_config_freep) struct sl_config *config = NULL;
        _cleanup_(sl_agent_freep) struct sl_agent *agent = NULL;
        struct sl_cfg_error err = { 0 };
        struct sl_agent_options opts = { 0 };
        struct sl_config_load_options load_opts = { 0 };
        struct cli cli = { 0 };
        enum sl_log_level level;
        enum sl_log_format format;
        int r;

        /* Batch after batch, sluice frees and allocates blocks of the same
         * sizes (arena chunks, entry arrays, encoded bodies). glibc's
         * defaults give them back to the kernel and take fresh pages for
         * the next batch (about 10,000 page faults per million lines, a
         * few percent of CPU); these keep them in the heap for reuse.
         * Blocks over 4 MiB (a huge line) are still mapped apart. */
        mallopt(M_MMAP_THRESHOLD, 4 << 20);
        mallopt(M_TRIM_THRESHOLD, 2 << 20);

        r = parse_args(argc, argv, &cli);
        if (r)
                return r;
        if (cli.help) {
                if (cli.help_topic && strcmp(cli.help_topic, "stages") == 0)
                        help_stages();
                else
                        usage(stdout);
                return 0;
        }
        if (cli.version) {
                printf("sluice %s\n", SL_VERSION);
                return 0;
        }
        if (!cli.config_file) {
                fprintf(stderr, "sluice: -config.file is required\n\n");
                usage(stderr);
                return 2;
        }

        load_opts.pipelines_dir = cli.pipelines_dir;
        load_opts.expand_env = cli.expand_env;
        r = sl_config_load_opts(cli.config_file, &load_opts, &config, &err);
        if (r < 0) {
                print_cfg_error(&err, r);
                return 1;
        }
        if (cli.print_config || cli.print_config_stderr) {
                struct sl_buf out;
                sl_buf_init(&out, 64u << 20);
                sl_config_print(config, &out);
                fwrite(out.data, 1, out.len, cli.print_config ? stdout : stderr);
                sl_buf_release(&out);
                if (cli.print_config)
                        return 0;
        }
        if (cli.check_config) {
                report_warnings(config, false);
                r = check_pipelines(config, &err);
                if (r < 0) {
                        print_cfg_error(&err, r);
                        return 1;
                }
                printf("%s: valid (%zu scrape configs, %zu clients)\n", cli.config_file,
                       config->n_scrape_configs, config->n_clients);
                return 0;
        }

        if (sl_log_parse_level(cli.log_level ? cli.log_level : config->server.log_level, &level) < 0) {
                fprintf(stderr, "sluice: unknown log level \"%s\"; expected debug, info, warn or error\n",
                        cli.log_level);
                return 2;
        }
        sl_log_set_level(level);
        if (sl_log_parse_format(cli.log_format ? cli.log_format : config->server.log_format,
                                &format) < 0) {
                fprintf(stderr, "sluice: unknown log format \"%s\"; expected logfmt or json\n",
                        cli.log_format);
                return 2;
        }
        sl_log_set_format(format);
        report_warnings(config, true);

        if (cli.inspect)
                /* Colored on a terminal, as Promtail's. */
                sl_pipeline_set_inspector(inspect_to_stderr, NULL, isatty(STDERR_FILENO));
        opts.dry_run = cli.dry_run;
        opts.config_file = cli.config_file;
        opts.load = load_opts;
        opts.log_level_fixed = cli.log_level != NULL;
        opts.promtail_metric_names = cli.promtail_names;
        /* Before libcurl starts the TLS library (tls-lib.h). */
        sl_tls_lib_init(sl_config_may_use_tls(config));
        r = sl_agent_new(TAKE_PTR(config), &opts, &err, &agent);
        if (r < 0) {
                print_cfg_error(&err, r);
                return 1;
        }
        return sl_agent_run(agent);
}

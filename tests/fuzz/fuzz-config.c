/* fuzz-config.c - the configuration loader (config/config.h), pipelines
 * included, on hostile YAML.
 *
 * Input: the config file, optionally followed by a line "#--" and a
 * pipeline file, which is then the pipelines directory's p.yaml (so
 * `pipeline: p` finds it; without the second part there is no p.yaml). A
 * config holding "${" is loaded with -config.expand-env. When the config is
 * accepted, every scrape config's pipeline is built, as -check-config
 * does. Checks, beyond the sanitizers: a refusal names a file and says why;
 * an accepted config has at least one client.
 * The files live in a directory of their own (on /dev/shm when there is
 * one), removed at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "fuzz-util.h"
#include "stages/stage-registry.h"

static char dir[256], config_path[300], pipes[300], pipe_path[320];

static void write_file(const char *path, struct sl_str s) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        FUZZ_CHECK(fd >= 0, "open %s", path);
        FUZZ_CHECK(s.len == 0 || write(fd, s.ptr, s.len) == (ssize_t)s.len, "write %s", path);
        close(fd);
}

static void remove_dir(void) {
        unlink(pipe_path);
        unlink(config_path);
        rmdir(pipes);
        rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

        snprintf(dir, sizeof(dir), "%s/sluice-fuzz-config-XXXXXX", base && *base ? base : "/tmp");
        FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp %s", dir);
        snprintf(config_path, sizeof(config_path), "%s/sluice.yaml", dir);
        snprintf(pipes, sizeof(pipes), "%s/pipes", dir);
        snprintf(pipe_path, sizeof(pipe_path), "%s/p.yaml", pipes);
        FUZZ_CHECK(mkdir(pipes, 0700) == 0, "mkdir %s", pipes);
        atexit(remove_dir);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fz in = fz_init(data, size);
        struct sl_str config = fz_before(&in, "\n#--\n");
        bool has_pipeline = config.len < size;
        struct sl_config_load_options opts = { .pipelines_dir = pipes };
        struct sl_config *c = NULL;
        struct sl_cfg_error err = { 0 };
        int r;

        write_file(config_path, config);
        if (has_pipeline)
                write_file(pipe_path, sl_str_from(in.p, fz_left(&in)));
        else
                unlink(pipe_path);
        opts.expand_env = memmem(config.ptr, config.len, "${", 2) != NULL;
        r = sl_config_load_opts(config_path, &opts, &c, &err);
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL, "load returned %d", r);
                FUZZ_CHECK(err.file[0] != '\0' && err.msg[0] != '\0', "a refusal without file or message");
                FUZZ_CHECK(c == NULL, "a config on failure");
                return 0;
        }
        FUZZ_CHECK(c->n_clients >= 1, "no client");
        for (size_t i = 0; i < c->n_scrape_configs; i++) {
                const struct sl_scrape_config *sc = &c->scrape_configs[i];
                struct sl_pipeline *p = NULL;

                memset(&err, 0, sizeof(err));
                r = sl_stages_pipeline_new(sc->pipeline_stages, sc->pipeline_file, &err, &p);
                FUZZ_CHECK(r == 0 ? p != NULL : (r == -EINVAL && err.msg[0] != '\0'), "pipeline %zu: %d", i, r);
                sl_pipeline_free(p);
        }
        sl_config_free(c);
        return 0;
}

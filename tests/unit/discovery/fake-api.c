/* fake-api.c - see fake-api.h. */
#include "fake-api.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs-util.h"
#include "base/time-util.h"
#include "base/xalloc.h"
#include "sl-test.h"

void fake_api_start(struct fake_api *f, const char *dir, const char *script,
                    const char *const *args) {
        char *argv[32], *path, line[64];
        size_t n = 0;
        int out[2];
        ssize_t got;

        f->state = sl_path_join(dir, "fake-state.json");
        f->requests = sl_path_join(dir, "fake-requests.log");
        sl_test_write_file(f->state, "{}", 2);
        path = sl_xasprintf("%s/tests/fakes/%s", sl_test_source_root(), script);
        argv[n++] = (char *)"python3";
        argv[n++] = path;
        for (size_t i = 0; args && args[i] && n < 26; i++)
                argv[n++] = (char *)args[i];
        argv[n++] = (char *)"--state";
        argv[n++] = f->state;
        argv[n++] = (char *)"--requests";
        argv[n++] = f->requests;
        argv[n] = NULL;
        ck_assert_int_eq(pipe(out), 0);
        f->pid = fork();
        ck_assert_int_ge(f->pid, 0);
        if (f->pid == 0) {
                dup2(out[1], STDOUT_FILENO);
                close(out[0]);
                close(out[1]);
                execvp("python3", argv);
                _exit(127);
        }
        close(out[1]);
        /* Its "ready[ ARG]" line; the pipe stays open until it stops, so
         * that nothing it prints can fail. */
        f->out = out[0];
        got = 0;
        while ((size_t)got < sizeof(line) - 1) {
                ssize_t r = read(f->out, line + got, 1);
                if (r <= 0 || line[got] == '\n')
                        break;
                got += r;
        }
        line[got] = '\0';
        free(path);
        ck_assert_msg(strncmp(line, "ready", 5) == 0, "the fake %s did not start", script);
        f->port = line[5] == ' ' ? atoi(line + 6) : 0;
}

void fake_api_stop(struct fake_api *f) {
        if (f->pid > 0) {
                kill(f->pid, SIGTERM);
                waitpid(f->pid, NULL, 0);
                f->pid = 0;
                close(f->out);
        }
        free(f->state);
        free(f->requests);
        f->state = f->requests = NULL;
}

void fake_api_set_state(struct fake_api *f, const char *json) {
        char *tmp = sl_xasprintf("%s.tmp", f->state);

        sl_test_write_file(tmp, json, strlen(json));
        ck_assert_int_eq(rename(tmp, f->state), 0);
        free(tmp);
}

size_t fake_api_requests(const struct fake_api *f, const char *needle) {
        char *data = NULL;
        size_t len = 0, n = 0;

        if (sl_read_file(f->requests, 64u << 20, &data, &len) < 0)
                return 0;
        for (char *p = data; (p = strstr(p, needle)); p++)
                n++;
        free(data);
        return n;
}

bool run_until(struct sl_loop *loop, bool (*cond)(void *ud), void *ud, unsigned timeout_ms) {
        uint64_t deadline = sl_now_ns() + (uint64_t)timeout_ms * SL_NSEC_PER_MSEC;

        while (!cond(ud)) {
                uint64_t now = sl_now_ns();
                if (now >= deadline)
                        return cond(ud);
                ck_assert_int_eq(sl_loop_run_once(loop, SL_MIN(deadline - now,
                                                               50 * SL_NSEC_PER_MSEC)), 0);
        }
        return true;
}

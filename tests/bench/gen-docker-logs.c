/* gen-docker-logs.c - writes Docker json-file logs of realistic pino records
 * for the benchmark.
 *
 * Usage: sluice-bench-gen DIR LINES [CONTAINERS] [SEED]
 * Creates DIR/<id>/<id>-json.log for each container (ids are 64 hex digits,
 * as Docker's) and spreads LINES across them. The mix is what a Node API
 * writes in production with debug left on: 5% trace, 35% debug, 40% info,
 * 10% warn, 7% error, 1% fatal, and about 2% plain-text lines (stack traces,
 * messages printed without the logger). Prints, on stdout, one line of JSON:
 * {"lines": N, "bytes": B, "at_or_above_info": K, "plain": P}
 * so the runner knows how many entries should arrive.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void) {
        uint64_t x = rng_state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return rng_state = x;
}

static const char *const routes[] = {
        "/api/v1/armies", "/api/v1/armies/:id/score", "/api/v1/matches", "/api/v1/players/:id",
        "/api/v1/tournaments/:id/standings", "/health",
};
static const char *const methods[] = { "GET", "GET", "GET", "POST", "PUT", "DELETE" };
static const char *const messages[] = {
        "request completed", "score computed", "cache miss, loading army list",
        "validating detachment rules", "database query", "incoming request",
        "mission objective scored", "player rating updated",
};

static void hex(char *out, size_t n) {
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++)
                out[i] = digits[rnd() & 15];
        out[n] = '\0';
}

/* Writes the Docker wrapper around @log (a JSON-escaped body without the \n). */
static size_t wrap(FILE *f, const char *log, size_t len, int64_t ns, int stderr_stream) {
        time_t secs = (time_t)(ns / 1000000000);
        struct tm tm;
        char ts[40];
        int n;

        gmtime_r(&secs, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
        n = fprintf(f, "{\"log\":\"%.*s\\n\",\"stream\":\"%s\",\"time\":\"%s.%09" PRId64 "Z\"}\n",
                    (int)len, log, stderr_stream ? "stderr" : "stdout", ts, ns % 1000000000);
        return n > 0 ? (size_t)n : 0;
}

int main(int argc, char **argv) {
        static const int level_values[] = { 10, 20, 30, 40, 50, 60 };
        static const int level_weights[] = { 5, 35, 40, 10, 7, 1 };
        uint64_t lines, containers = 3, total_bytes = 0, at_or_above_info = 0, plain = 0;
        FILE **files;
        char body[2048];
        int64_t ns = 1764115200LL * 1000000000LL; /* a fixed start: runs are repeatable */

        if (argc < 3) {
                fprintf(stderr, "usage: %s DIR LINES [CONTAINERS] [SEED]\n", argv[0]);
                return 2;
        }
        lines = strtoull(argv[2], NULL, 10);
        if (argc > 3)
                containers = strtoull(argv[3], NULL, 10);
        if (argc > 4)
                rng_state ^= strtoull(argv[4], NULL, 10) * 0x9e3779b97f4a7c15ULL;
        if (containers == 0 || containers > 10000)
                return 2;
        if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
                perror(argv[1]);
                return 1;
        }
        files = calloc(containers, sizeof(*files));
        for (uint64_t c = 0; c < containers; c++) {
                char id[65], path[4096];
                hex(id, 64);
                snprintf(path, sizeof(path), "%s/%s", argv[1], id);
                if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                        perror(path);
                        return 1;
                }
                snprintf(path, sizeof(path), "%s/%s/%s-json.log", argv[1], id, id);
                files[c] = fopen(path, "w");
                if (!files[c]) {
                        perror(path);
                        return 1;
                }
                setvbuf(files[c], NULL, _IOFBF, 1 << 20);
        }

        for (uint64_t i = 0; i < lines; i++) {
                FILE *f = files[i % containers];
                uint64_t r = rnd();
                size_t len;

                ns += 10000 + (int64_t)(r % 200000);
                if (r % 100 < 2) {
                        /* Plain text, as printed by a stack trace or console.log. */
                        len = (size_t)snprintf(body, sizeof(body),
                                               "    at Object.handler (/app/build/app/Controllers/Http/ScoreController.js:%d:%d)",
                                               (int)(r % 300), (int)(r % 40));
                        plain++;
                        at_or_above_info++;
                        total_bytes += wrap(f, body, len, ns, 1);
                        continue;
                }
                int w = (int)((r >> 8) % 98), level = 0;
                while (w >= level_weights[level]) {
                        w -= level_weights[level];
                        level++;
                }
                char trace[33], span[17], req[9];
                hex(trace, 32);
                hex(span, 16);
                hex(req, 8);
                size_t route = (r >> 16) % (sizeof(routes) / sizeof(routes[0]));
                len = (size_t)snprintf(body, sizeof(body),
                        "{\\\"level\\\":%d,\\\"time\\\":%" PRId64 ",\\\"pid\\\":1,\\\"hostname\\\":\\\"w40k-api-%u\\\","
                        "\\\"reqId\\\":\\\"%s\\\",\\\"req\\\":{\\\"method\\\":\\\"%s\\\",\\\"url\\\":\\\"%s\\\"},"
                        "\\\"trace_id\\\":\\\"%s\\\",\\\"span_id\\\":\\\"%s\\\",\\\"responseTime\\\":%u.%u,"
                        "\\\"msg\\\":\\\"%s\\\"}",
                        level_values[level], ns / 1000000, (unsigned)(i % containers), req,
                        methods[route], routes[route], trace, span, (unsigned)(r % 900),
                        (unsigned)((r >> 20) % 10),
                        messages[(r >> 24) % (sizeof(messages) / sizeof(messages[0]))]);
                if (level_values[level] >= 30)
                        at_or_above_info++;
                total_bytes += wrap(f, body, len, ns, 0);
        }
        for (uint64_t c = 0; c < containers; c++)
                if (fclose(files[c]) != 0) {
                        perror("fclose");
                        return 1;
                }
        free(files);
        printf("{\"lines\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"at_or_above_info\": %" PRIu64
               ", \"plain\": %" PRIu64 "}\n", lines, total_bytes, at_or_above_info, plain);
        return 0;
}

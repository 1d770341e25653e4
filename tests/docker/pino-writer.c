/* pino-writer.c - the container of the real-Docker test: writes COUNT pino
 * JSON lines to stdout at RATE lines/s, as the W40K Scoring API would, then
 * exits. Each line has a unique "seq"; levels cycle through pino's 10-60
 * (a third of them below info), and every line carries a trace_id.
 *
 * Usage: pino-writer COUNT RATE
 * Built static, it is the only file in the test's image. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const int levels[] = { 10, 20, 30, 40, 50, 60 };

int main(int argc, char **argv) {
        long count = argc > 1 ? atol(argv[1]) : 1000, rate = argc > 2 ? atol(argv[2]) : 1000;
        struct timespec t0, now;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (long i = 0; i < count; i++) {
                struct timespec wall;
                long long ms;
                double ahead;

                clock_gettime(CLOCK_REALTIME, &wall);
                ms = (long long)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
                printf("{\"level\":%d,\"time\":%lld,\"pid\":1,\"hostname\":\"w40k-api\","
                       "\"seq\":%ld,\"trace_id\":\"%032lx\",\"msg\":\"score submitted\","
                       "\"req\":{\"method\":\"POST\",\"url\":\"/api/scores/%ld\"}}\n",
                       levels[i % 6], ms, i, (unsigned long)i * 2654435761u, i);
                /* Pace to RATE lines/s. */
                clock_gettime(CLOCK_MONOTONIC, &now);
                ahead = (double)(i + 1) / (double)rate -
                        ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9);
                if (ahead > 0)
                        usleep((useconds_t)(ahead * 1e6));
        }
        return 0;
}

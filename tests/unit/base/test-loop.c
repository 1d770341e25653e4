/* test-loop.c - descriptors, timers in deadline order, removal inside a callback. */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/time-util.h"
#include "sl-test.h"

struct pipe_ctx {
        struct sl_loop *loop;
        int reads;
        int other_fd;   /* removed from inside the callback */
};

static void on_readable(int fd, uint32_t events, void *userdata) {
        struct pipe_ctx *c = userdata;
        char buf[16];
        ck_assert(events & EPOLLIN);
        ck_assert_int_gt(read(fd, buf, sizeof(buf)), 0);
        c->reads++;
        if (c->other_fd >= 0) {
                sl_loop_del_fd(c->loop, c->other_fd);
                c->other_fd = -1;
        }
}

START_TEST(fd_callbacks_and_removal)
{
        struct sl_loop *loop = sl_loop_new();
        int a[2], b[2];
        struct pipe_ctx ca = { loop, 0, -1 }, cb = { loop, 0, -1 };

        ck_assert_int_eq(pipe(a), 0);
        ck_assert_int_eq(pipe(b), 0);
        ck_assert_int_eq(sl_loop_add_fd(loop, a[0], EPOLLIN, on_readable, &ca), 0);
        ck_assert_int_eq(sl_loop_add_fd(loop, b[0], EPOLLIN, on_readable, &cb), 0);
        ck_assert_int_eq(sl_loop_add_fd(loop, b[0], EPOLLIN, on_readable, &cb), -EEXIST);
        /* Whichever runs first removes the other: exactly one read happens. */
        ca.other_fd = b[0];
        cb.other_fd = a[0];
        ck_assert_int_eq(write(a[1], "x", 1), 1);
        ck_assert_int_eq(write(b[1], "y", 1), 1);
        ck_assert_int_eq(sl_loop_run_once(loop, 1000 * SL_NSEC_PER_MSEC), 0);
        ck_assert_int_eq(ca.reads + cb.reads, 1);
        sl_loop_free(loop);
        close(a[0]); close(a[1]); close(b[0]); close(b[1]);
}
END_TEST

struct timer_ctx {
        int order[3];
        int n;
        struct sl_loop *loop;
};

static void on_timer(struct sl_timer *t, uint64_t now, void *userdata) {
        struct timer_ctx *c = userdata;
        ck_assert_uint_ge(now, t->deadline_ns);
        c->order[c->n++] = (int)(t->deadline_ns % 10);
        if (c->n == 3)
                sl_loop_stop(c->loop);
}

START_TEST(timers_fire_in_deadline_order)
{
        struct sl_loop *loop = sl_loop_new();
        struct timer_ctx c = { .loop = loop };
        struct sl_timer t[3];
        uint64_t now = sl_now_ns() / 10 * 10;

        for (int i = 0; i < 3; i++)
                sl_timer_init(&t[i], on_timer, &c);
        /* Deadlines end in the timer's rank so the callback can tell them apart. */
        sl_loop_timer_arm(loop, &t[0], now + 30 * SL_NSEC_PER_MSEC + 2);
        sl_loop_timer_arm(loop, &t[1], now + 10 * SL_NSEC_PER_MSEC + 0);
        sl_loop_timer_arm(loop, &t[2], now + 20 * SL_NSEC_PER_MSEC + 1);
        ck_assert_int_eq(sl_loop_run(loop), 0);
        /* In deadline order even when the loop wakes after all three are
         * due (a loaded machine), which the next case forces. */
        ck_assert_int_eq(c.order[0], 0);
        ck_assert_int_eq(c.order[1], 1);
        ck_assert_int_eq(c.order[2], 2);
        sl_loop_free(loop);
}
END_TEST

START_TEST(timers_due_together_fire_in_deadline_order)
{
        struct sl_loop *loop = sl_loop_new();
        struct timer_ctx c = { .loop = loop };
        struct sl_timer t[3];
        uint64_t past = sl_now_ns() / 10 * 10 - 100 * SL_NSEC_PER_MSEC;

        for (int i = 0; i < 3; i++)
                sl_timer_init(&t[i], on_timer, &c);
        /* All already due; armed in an order that is neither theirs nor its reverse. */
        sl_loop_timer_arm(loop, &t[0], past + 20 * SL_NSEC_PER_MSEC + 1);
        sl_loop_timer_arm(loop, &t[1], past + 30 * SL_NSEC_PER_MSEC + 2);
        sl_loop_timer_arm(loop, &t[2], past + 10 * SL_NSEC_PER_MSEC + 0);
        ck_assert_int_eq(sl_loop_run(loop), 0);
        ck_assert_int_eq(c.order[0], 0);
        ck_assert_int_eq(c.order[1], 1);
        ck_assert_int_eq(c.order[2], 2);
        sl_loop_free(loop);
}
END_TEST

START_TEST(disarmed_timer_does_not_fire)
{
        struct sl_loop *loop = sl_loop_new();
        struct timer_ctx c = { .loop = loop };
        struct sl_timer t;
        sl_timer_init(&t, on_timer, &c);
        sl_loop_timer_arm(loop, &t, sl_now_ns());
        sl_loop_timer_disarm(loop, &t);
        ck_assert_int_eq(sl_loop_run_once(loop, 5 * SL_NSEC_PER_MSEC), 0);
        ck_assert_int_eq(c.n, 0);
        sl_loop_free(loop);
}
END_TEST

static Suite *loop_suite(void) {
        Suite *s = suite_create("loop");
        TCase *tc = tcase_create("loop");
        tcase_add_test(tc, fd_callbacks_and_removal);
        tcase_add_test(tc, timers_fire_in_deadline_order);
        tcase_add_test(tc, timers_due_together_fire_in_deadline_order);
        tcase_add_test(tc, disarmed_timer_does_not_fire);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(loop_suite)

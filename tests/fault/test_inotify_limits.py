#!/usr/bin/env python3
"""Fault test: inotify cannot be set up. The kernel's per-user limit on
inotify instances (fs.inotify.max_user_instances) is used up by another
process of the same user before sluice starts, so sluice's inotify_init1()
fails with EMFILE: it must fall back to polling (stat() of its files and a
rescan of its globs on the poll timer) and still ship every line while the
log rotates, exactly once.

This needs root, to run sluice and the helper that holds the instances as
another user ("nobody") without touching the limit itself, which is
system-wide. Without root it is skipped. (Running out of watches, ENOSPC
from inotify_add_watch, is the same fallback per file or directory: the
tail unit tests cover it with the tailer's max_watches option.)

Usage: test_inotify_limits.py BUILD_DIR [TEST_NAME...]
"""
import ctypes
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import EntryReader, LogWriter, Timer, harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
LINES = 30_000
CID = "a" * 64



class InstanceHolder:
    """A forked child that, as `uid`, takes every inotify instance its user
    may have and holds them until release(). `count` and `errno` say how
    many it got and why it stopped."""

    def __init__(self, uid, gid):
        r1, w1 = os.pipe()   # child -> parent: "count errno"
        r2, w2 = os.pipe()   # parent -> child: closed to release
        self.pid = os.fork()
        if self.pid == 0:
            try:
                os.close(r1)
                os.close(w2)
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
                libc = ctypes.CDLL(None, use_errno=True)
                n = 0
                while n < 100000 and libc.inotify_init1(os.O_CLOEXEC) >= 0:
                    n += 1
                os.write(w1, b"%d %d\n" % (n, ctypes.get_errno()))
                os.read(r2, 1)
            finally:
                os._exit(0)
        os.close(w1)
        os.close(r2)
        self.release_fd = w2
        with os.fdopen(r1) as f:
            self.count, self.errno = (int(x) for x in f.readline().split())

    def release(self):
        if self.release_fd is not None:
            os.close(self.release_fd)
            self.release_fd = None
            os.waitpid(self.pid, 0)


def as_user(uid, gid):
    def demote():
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    return demote


class SluiceAs(harness.Sluice):
    """harness.Sluice, run as another user."""

    def __init__(self, *args, uid, gid, exe_dir, **kw):
        super().__init__(*args, **kw)
        self.uid, self.gid = uid, gid
        # The build tree may sit where the other user cannot reach (a home
        # directory of mode 700): run a copy of the binary from the test's
        # own directory instead.
        copy = os.path.join(exe_dir, "sluice")
        shutil.copy2(self.exe, copy)
        os.chmod(copy, 0o755)
        self.exe = copy
        self.argv[0] = copy

    def start(self):
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, **(self.env or {}))
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=env,
                                     preexec_fn=as_user(self.uid, self.gid))
        return self


@unittest.skipUnless(os.geteuid() == 0, "needs root to run sluice as another user")
class InotifyLimitsTest(unittest.TestCase):
    def setUp(self):
        try:
            pw = pwd.getpwnam("nobody")
        except KeyError:
            self.skipTest("no user 'nobody'")
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.tmp = tempfile.mkdtemp(prefix="sluice-fault-")
        os.chmod(self.tmp, 0o755)
        self.state = os.path.join(self.tmp, "state")   # sluice writes here
        os.mkdir(self.state)
        os.chown(self.state, self.uid, self.gid)
        self.dir = os.path.join(self.tmp, "containers", CID)
        os.makedirs(self.dir)
        os.chmod(os.path.join(self.tmp, "containers"), 0o755)
        os.chmod(self.dir, 0o755)
        self.live = os.path.join(self.dir, CID + "-json.log")
        self.positions = os.path.join(self.state, "positions")
        self.holder = None

    def tearDown(self):
        if self.holder is not None:
            self.holder.release()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def fully_acked(self, gen):
        off = faultlib.saved_offset(faultlib.read_positions(self.positions), gen)
        return off is not None and gen.ends and off >= gen.ends[-1]

    def wait_acked(self, gen):
        """Deletes only what sluice acknowledged (see test_crash_loop.py)."""
        harness.wait_until(lambda: self.fully_acked(gen), 60,
                           "positions to cover %r before it is deleted" % (gen,))

    def test_no_inotify_instance_left_falls_back_to_polling(self):
        timer = Timer("inotify limits")
        self.holder = InstanceHolder(self.uid, self.gid)
        self.assertGreater(self.holder.count, 0)
        self.assertEqual(self.holder.errno, 24, "the holder stopped for another reason than EMFILE")
        timer.mark("%d instances held" % self.holder.count)

        config = os.path.join(self.tmp, "sluice.yaml")
        with harness.Receiver(BUILD, self.tmp, verbose=False) as rx:
            harness.write_config(config, rx.url, self.positions,
                                 [(os.path.join(self.tmp, "containers", "*", "*-json.log*"),
                                   {"job": "fault"})],
                                 pipeline_stages_yaml=faultlib.DOCKER_STAGES,
                                 extra={"positions": {"sync_period": "200ms"}})
            reader = EntryReader(rx.entries_path)
            with SluiceAs(BUILD, config, log_path=os.path.join(self.state, "sluice.log"),
                          uid=self.uid, gid=self.gid, exe_dir=self.tmp) as agent:
                agent.wait_metrics()
                fds = faultlib.fd_targets(agent.proc.pid)
                self.assertNotIn("anon_inode:inotify", fds, "sluice has inotify after all")
                writer = LogWriter(self.live, LINES, 256 << 10, max_files=4, mode="rename",
                                   rate=10_000, seed=3, before_delete=self.wait_acked)
                writer.start()
                harness.wait_until(writer.done.is_set, 120, "the writer")
                self.assertIsNone(writer.error)
                timer.mark("write, %d rotations" % writer.rotations)
                reader.wait_all(writer.expected_ids(), 60, detail=agent.log)
                timer.mark("arrive")
                self.assertEqual(agent.stop(), 0, agent.log())
            reader.poll()
        timer.report(lines=LINES, received=reader.n, duplicates=reader.duplicates(),
                     rotations=writer.rotations)
        self.assertEqual(reader.missing(writer.expected_ids()), [])
        self.assertEqual(reader.duplicates(), 0)
        self.assertEqual(reader.order_breaks(writer.gen_of), [])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)

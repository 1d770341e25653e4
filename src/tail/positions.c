/* positions.c - see positions.h. */
#include "tail/positions.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fs-util.h"
#include "base/time-util.h"
#include "base/xalloc.h"
#include "base/yaml-doc.h"
#include "tail/tail-map.h"

#define POSITIONS_HEADER "# sluice positions v5"
#define POSITIONS_HEADER_V4 "# sluice positions v4"
#define POSITIONS_HEADER_V3 "# sluice positions v3"
#define POSITIONS_HEADER_V2 "# sluice positions v2"
#define POSITIONS_HEADER_V1 "# sluice positions v1"
#define POSITIONS_HEADER_ANY "# sluice positions v"
/* Far above what hundreds of files take (a line is ~100 bytes); past it the
 * file is not ours. */
#define POSITIONS_MAX_BYTES (64u << 20)
/* The journal is folded into a new snapshot once it outgrows this plus
 * twice the snapshot: a file that is mostly journal costs a long replay. */
#define JOURNAL_SLACK_BYTES (256u << 10)

struct pos_entry {
        uint64_t dev;              /* device of the file */
        uint64_t ino;              /* inode of the file */
        uint64_t offset;           /* acknowledged offset: resume here */
        struct sl_fingerprint fp;  /* the file's first bytes; len 0: none known (v1) */
        uint64_t size;             /* the file's size when last seen (if size_known) */
        bool size_known;           /* false: loaded from v1/v2, not followed since */
        uint64_t read_end;         /* what the tailer read of the file followed now;
                                    * acks past it are stale (not saved) */
        uint64_t source;           /* the tailer's id of the file followed now, 0:
                                    * none since load (not saved) */
        char *path;                /* owned; last path the file was followed by */
        bool active;               /* the tailer has the file open (not saved) */
        bool resolved;             /* false: loaded, neither tracked nor resolved since
                                    * (not saved) */
        uint64_t released_ns;      /* monotonic time of the last release, 0: never
                                    * (not saved) */
        bool journal;              /* changed since the last flush: its key is in
                                    * struct sl_positions.pending */
        bool done;                 /* released and acknowledged to its end: nothing
                                    * of the file is left to read (saved) */
};

struct sl_positions {
        char *filename;           /* owned; where load reads and save writes */
        struct sl_tail_map map;   /* (dev, ino) -> struct pos_entry (owned) */
        size_t n_unresolved;      /* entries with resolved false */
        bool dirty;               /* entries changed since the last save or load */
        bool existed;             /* the last load found a file */
        int journal_fd;           /* owned; O_APPEND on the file the last save wrote,
                                   * -1: none (the next flush saves whole) */
        uint64_t snapshot_bytes;  /* size of that file's snapshot part */
        uint64_t journal_bytes;   /* bytes appended to it since */
        uint64_t *pending;        /* owned; (dev, ino) pairs of entries to journal */
        size_t n_pending;         /* pairs used */
        size_t cap_pending;       /* pairs allocated */
        struct sl_buf records;    /* owned; journal text not written yet (removals
                                   * first, then the pending entries at flush) */
        size_t replayed;          /* journal records the last load applied */
        bool journal_torn;        /* the last load stopped at a torn journal record */
        bool has_error;           /* the last load failed */
        unsigned error_line;      /* line of the last load error, 0: none */
        char error[192];          /* text of the last load error */
};

static void entry_free(struct pos_entry *e) {
        if (!e)
                return;
        free(e->path);
        free(e);
}

/* Frees every entry of @map and the map's slots. */
static void map_clear(struct sl_tail_map *map) {
        size_t cursor = 0;
        struct pos_entry *e;

        while ((e = sl_tail_map_next(map, &cursor)))
                entry_free(e);
        sl_tail_map_release(map);
}

struct sl_positions *sl_positions_new(const char *filename) {
        struct sl_positions *p = sl_xnew(struct sl_positions);

        p->filename = sl_xstrdup(filename);
        p->journal_fd = -1;
        sl_tail_map_init(&p->map);
        sl_buf_init(&p->records, POSITIONS_MAX_BYTES);
        return p;
}

void sl_positions_free(struct sl_positions *p) {
        if (!p)
                return;
        map_clear(&p->map);
        if (p->journal_fd >= 0)
                close(p->journal_fd);
        free(p->pending);
        sl_buf_release(&p->records);
        free(p->filename);
        free(p);
}

const char *sl_positions_error(const struct sl_positions *p) {
        return p->has_error ? p->error : NULL;
}

unsigned sl_positions_error_line(const struct sl_positions *p) {
        return p->has_error ? p->error_line : 0;
}

/* Records the reason of a failed load and returns @r. */
__attribute__((format(printf, 4, 5)))
static int load_error(struct sl_positions *p, int r, unsigned line, const char *fmt, ...) {
        va_list ap;
        int n = 0;

        if (line)
                n = snprintf(p->error, sizeof(p->error), "line %u: ", line);
        va_start(ap, fmt);
        vsnprintf(p->error + n, sizeof(p->error) - (size_t)n, fmt, ap);
        va_end(ap);
        p->has_error = true;
        p->error_line = line;
        return r;
}

/* Parses an unsigned decimal from the front of [*@s, @end), up to a space.
 * Returns false unless there is at least one digit and no overflow. */
static bool parse_u64(const char **s, const char *end, uint64_t *ret) {
        const char *q = *s;
        uint64_t v = 0;

        if (q == end || *q < '0' || *q > '9')
                return false;
        for (; q < end && *q >= '0' && *q <= '9'; q++) {
                unsigned d = (unsigned)(*q - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        *s = q;
        *ret = v;
        return true;
}

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Decodes the escaped path in [@s, @end) into a new string, or NULL when it
 * has a bad escape or a raw control byte (which save never writes). */
static char *unescape_path(const char *s, const char *end) {
        _cleanup_free_ char *out = sl_xmalloc((size_t)(end - s) + 1);
        size_t n = 0;

        while (s < end) {
                unsigned char c = (unsigned char)*s++;
                if (c < 0x20 || c == 0x7f)
                        return NULL;
                if (c != '\\') {
                        out[n++] = (char)c;
                        continue;
                }
                if (s == end)
                        return NULL;
                c = (unsigned char)*s++;
                if (c == '\\') {
                        out[n++] = '\\';
                } else if (c == 'n') {
                        out[n++] = '\n';
                } else if (c == 'x') {
                        int hi, lo;
                        if (end - s < 2)
                                return NULL;
                        hi = hex_digit(s[0]);
                        lo = hex_digit(s[1]);
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                                return NULL;
                        out[n++] = (char)(hi << 4 | lo);
                        s += 2;
                } else {
                        return NULL;
                }
        }
        out[n] = '\0';
        return TAKE_PTR(out);
}

/* Parses exactly 16 hex digits from the front of [*@s, @end). */
static bool parse_hash(const char **s, const char *end, uint64_t *ret) {
        const char *q = *s;
        uint64_t v = 0;

        if (end - q < 16)
                return false;
        for (int i = 0; i < 16; i++) {
                int d = hex_digit(q[i]);
                if (d < 0)
                        return false;
                v = v << 4 | (uint64_t)d;
        }
        *s = q + 16;
        *ret = v;
        return true;
}

/* Parses one entry line [@s, @end) (no '\n') of a file of @version (1 to
 * 5) into @map; with @replace (a journal record) it replaces an entry of
 * the same file, else that is an error. Returns 0 or -EBADMSG with the
 * reason recorded for line @lineno. */
static int parse_entry(struct sl_positions *p, struct sl_tail_map *map, int version,
                       unsigned lineno, const char *s, const char *end, bool replace) {
        struct pos_entry *e;
        struct sl_fingerprint fp;
        uint64_t dev, ino, offset, fp_len, size = 0;
        bool size_known = false, done = false;
        char *path;

        sl_fingerprint_init(&fp);
        if (!parse_u64(&s, end, &dev) || s == end || *s++ != ' ')
                return load_error(p, -EBADMSG, lineno, "device is not a number");
        if (!parse_u64(&s, end, &ino) || s == end || *s++ != ' ')
                return load_error(p, -EBADMSG, lineno, "inode is not a number");
        if (!parse_u64(&s, end, &offset) || s == end || *s++ != ' ')
                return load_error(p, -EBADMSG, lineno, "offset is not a number");
        if (version >= 2) {
                if (!parse_u64(&s, end, &fp_len) || s == end || *s++ != ' ')
                        return load_error(p, -EBADMSG, lineno,
                                          "fingerprint length is not a number");
                if (fp_len > SL_FINGERPRINT_MAX)
                        return load_error(p, -EBADMSG, lineno,
                                          "fingerprint length is above %u", SL_FINGERPRINT_MAX);
                if (!parse_hash(&s, end, &fp.hash) || s == end || *s++ != ' ')
                        return load_error(p, -EBADMSG, lineno,
                                          "fingerprint is not 16 hex digits");
                fp.len = (uint32_t)fp_len;
        }
        if (version >= 3) {
                if (s < end && *s == '-') {
                        s++;
                } else if (parse_u64(&s, end, &size)) {
                        size_known = true;
                } else {
                        return load_error(p, -EBADMSG, lineno,
                                          "size is neither a number nor \"-\"");
                }
                if (s == end || *s++ != ' ')
                        return load_error(p, -EBADMSG, lineno,
                                          "size is neither a number nor \"-\"");
        }
        if (version >= 5) {
                if (end - s < 2 || (s[0] != 'd' && s[0] != '-') || s[1] != ' ')
                        return load_error(p, -EBADMSG, lineno, "state is neither \"d\" nor \"-\"");
                done = s[0] == 'd';
                s += 2;
        }
        if (s == end)
                return load_error(p, -EBADMSG, lineno, "path is missing");
        path = unescape_path(s, end);
        if (!path)
                return load_error(p, -EBADMSG, lineno, "path has a bad escape or control byte");
        e = sl_tail_map_get(map, dev, ino);
        if (e && !replace) {
                free(path);
                return load_error(p, -EBADMSG, lineno,
                                  "device %" PRIu64 " inode %" PRIu64 " is listed twice", dev, ino);
        }
        if (e)
                entry_free(sl_tail_map_remove(map, dev, ino));
        e = sl_xnew(struct pos_entry);
        *e = (struct pos_entry){ .dev = dev, .ino = ino, .offset = offset, .fp = fp,
                                 .size = size, .size_known = size_known,
                                 .read_end = offset, .path = path, .done = done };
        sl_tail_map_put(map, dev, ino, e);
        return 0;
}

/* Reads a Promtail positions file (`positions: {<path>: "<offset>"}`), so
 * that moving from Promtail does not ship every file again: each path that
 * exists now becomes an entry for the file it names, at Promtail's offset.
 * There is no fingerprint to check, so the entry is matched like a v1 one
 * (device, inode, and the offset must follow a '\n' when the file is
 * opened). Keys that are not absolute paths (journal cursors) and paths that
 * no longer exist are skipped. Returns 0 or -EBADMSG. */
static int parse_promtail(struct sl_positions *p, struct sl_tail_map *map, const char *data,
                          size_t len) {
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = NULL;
        struct sl_cfg_error err = { 0 };
        const struct sl_yaml_node *positions;

        if (sl_yaml_doc_parse(p->filename, data, len, &doc, &err) < 0)
                return load_error(p, -EBADMSG, err.line, "Promtail positions: %s", err.msg);
        positions = sl_yaml_get(doc->root, "positions");
        if (!positions || positions->kind == SL_YAML_NULL)
                return 0;
        if (positions->kind != SL_YAML_MAP)
                return load_error(p, -EBADMSG, positions->line,
                                  "Promtail positions: expected a map of path: offset");
        for (size_t i = 0; i < positions->count; i++) {
                const struct sl_yaml_node *key = positions->keys[i];
                const struct sl_yaml_node *value = positions->values[i];
                struct pos_entry *e;
                struct stat st;
                uint64_t offset;
                const char *v;

                if (key->kind != SL_YAML_SCALAR || key->text[0] != '/' ||
                    value->kind != SL_YAML_SCALAR)
                        continue;
                v = value->text;
                if (!parse_u64(&v, value->text + value->text_len, &offset) ||
                    v != value->text + value->text_len)
                        continue;
                if (stat(key->text, &st) < 0 || !S_ISREG(st.st_mode) ||
                    sl_tail_map_get(map, (uint64_t)st.st_dev, (uint64_t)st.st_ino))
                        continue;
                e = sl_xnew(struct pos_entry);
                *e = (struct pos_entry){ .dev = (uint64_t)st.st_dev, .ino = (uint64_t)st.st_ino,
                                         .offset = offset, .read_end = offset,
                                         .path = sl_xstrdup(key->text) };
                sl_fingerprint_init(&e->fp);
                sl_tail_map_put(map, e->dev, e->ino, e);
        }
        return 0;
}

/* Applies journal record [@s, @end) (no '\n') to @map: "+ <entry>"
 * replaces or adds an entry, "- <device> <inode>" removes one. Returns 0,
 * or -EBADMSG when it is not a whole record (nothing applied). */
static int apply_record(struct sl_positions *p, struct sl_tail_map *map, int version,
                        unsigned lineno, const char *s, const char *end) {
        uint64_t dev, ino;

        if (end - s < 2 || s[1] != ' ')
                return -EBADMSG;
        if (s[0] == '+')
                return parse_entry(p, map, version, lineno, s + 2, end, true);
        if (s[0] != '-')
                return -EBADMSG;
        s += 2;
        if (!parse_u64(&s, end, &dev) || s == end || *s++ != ' ' || !parse_u64(&s, end, &ino) ||
            s != end)
                return -EBADMSG;
        entry_free(sl_tail_map_remove(map, dev, ino));
        return 0;
}

/* Parses the whole file content into @map. Returns 0 or -EBADMSG. */
static int parse(struct sl_positions *p, struct sl_tail_map *map, const char *data, size_t len) {
        const char *s = data, *end = data + len;
        unsigned lineno = 0;
        bool in_journal = false;
        int version = 0;

        p->replayed = 0;
        p->journal_torn = false;
        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t)(end - s));
                int r;

                lineno++;
                if (!nl && in_journal) {
                        /* A record cut short by a crash while it was being
                         * appended: the state before it stands. */
                        p->journal_torn = true;
                        break;
                }
                if (!nl)
                        return load_error(p, -EBADMSG, lineno, "no newline at the end (truncated?)");
                if (lineno == 1) {
                        size_t n = (size_t)(nl - s);
                        if (n == strlen(POSITIONS_HEADER) && memcmp(s, POSITIONS_HEADER, n) == 0) {
                                version = 5;
                        } else if (n == strlen(POSITIONS_HEADER_V4) &&
                                   memcmp(s, POSITIONS_HEADER_V4, n) == 0) {
                                version = 4;
                        } else if (n == strlen(POSITIONS_HEADER_V3) &&
                                   memcmp(s, POSITIONS_HEADER_V3, n) == 0) {
                                version = 3;
                        } else if (n == strlen(POSITIONS_HEADER_V2) &&
                                   memcmp(s, POSITIONS_HEADER_V2, n) == 0) {
                                version = 2;
                        } else if (n == strlen(POSITIONS_HEADER_V1) &&
                                   memcmp(s, POSITIONS_HEADER_V1, n) == 0) {
                                version = 1;
                        } else if (n > strlen(POSITIONS_HEADER_ANY) &&
                                   memcmp(s, POSITIONS_HEADER_ANY, strlen(POSITIONS_HEADER_ANY)) == 0) {
                                return load_error(p, -EBADMSG, lineno,
                                                  "unsupported version (this sluice reads v1 to v5)");
                        } else if (n >= 10 && memcmp(s, "positions:", 10) == 0) {
                                return parse_promtail(p, map, data, len);
                        } else {
                                return load_error(p, -EBADMSG, lineno,
                                                  "not a sluice positions file (expected \"%s\")",
                                                  POSITIONS_HEADER);
                        }
                } else if (version >= 4 && (*s == '+' || *s == '-')) {
                        /* The journal: appended after the snapshot, never
                         * synced on its own. A record that does not parse
                         * was being written when the machine went down
                         * (the snapshot was synced; records after it may
                         * not have been): replay stops there. */
                        in_journal = true;
                        if (apply_record(p, map, version, lineno, s, nl) < 0) {
                                p->has_error = false;
                                p->error_line = 0;
                                p->journal_torn = true;
                                break;
                        }
                        p->replayed++;
                } else if (in_journal && *s != '#') {
                        p->journal_torn = true;
                        break;
                } else if (*s != '#') {
                        r = parse_entry(p, map, version, lineno, s, nl, false);
                        if (r < 0)
                                return r;
                }
                s = nl + 1;
        }
        if (lineno == 0)
                return load_error(p, -EBADMSG, 0, "empty file (expected \"%s\")", POSITIONS_HEADER);
        return 0;
}

int sl_positions_load(struct sl_positions *p) {
        _cleanup_free_ char *data = NULL;
        struct sl_tail_map map;
        size_t len;
        int r;

        p->has_error = false;
        p->error_line = 0;
        r = sl_read_file(p->filename, POSITIONS_MAX_BYTES, &data, &len);
        if (r == -ENOENT) {
                p->existed = false;
                return 0;
        }
        if (r == -EFBIG)
                return load_error(p, -EBADMSG, 0, "larger than %u bytes", POSITIONS_MAX_BYTES);
        if (r < 0)
                return load_error(p, r, 0, "cannot read: %s", strerror(-r));

        sl_tail_map_init(&map);
        r = parse(p, &map, data, len);
        if (r < 0) {
                map_clear(&map);
                return r;
        }
        map_clear(&p->map);
        p->map = map;
        p->n_unresolved = map.len;
        p->existed = true;
        /* What is on disk is what was loaded; the next flush writes it
         * whole in this version's format before appending to it. */
        p->dirty = false;
        p->n_pending = 0;
        sl_buf_reset(&p->records);
        if (p->journal_fd >= 0)
                close(p->journal_fd);
        p->journal_fd = -1;
        return 0;
}

bool sl_positions_existed(const struct sl_positions *p) {
        return p->existed;
}

size_t sl_positions_replayed(const struct sl_positions *p, bool *ret_torn) {
        if (ret_torn)
                *ret_torn = p->journal_torn;
        return p->replayed;
}

/* Writes @path so that unescape_path() gives it back. */
static int escape_path(struct sl_buf *b, const char *path) {
        int r = 0;

        for (const unsigned char *c = (const unsigned char *)path; *c && r >= 0; c++) {
                if (*c == '\\')
                        r = sl_buf_append(b, "\\\\", 2);
                else if (*c == '\n')
                        r = sl_buf_append(b, "\\n", 2);
                else if (*c < 0x20 || *c == 0x7f)
                        r = sl_buf_printf(b, "\\x%02x", *c);
                else
                        r = sl_buf_putc(b, (char)*c);
        }
        return r;
}

/* Sorted by path, then identity, so the file reads well and diffs small. */
static int entry_cmp(const void *x, const void *y) {
        const struct pos_entry *a = *(const struct pos_entry *const *)x;
        const struct pos_entry *b = *(const struct pos_entry *const *)y;
        int c = strcmp(a->path, b->path);

        if (c)
                return c;
        if (a->dev != b->dev)
                return a->dev < b->dev ? -1 : 1;
        if (a->ino != b->ino)
                return a->ino < b->ino ? -1 : 1;
        return 0;
}

/* Writes @e as an entry line (without '\n'). */
static int write_entry(struct sl_buf *b, const struct pos_entry *e) {
        int r = sl_buf_printf(b, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu32 " %016" PRIx64 " ",
                              e->dev, e->ino, e->offset, e->fp.len, e->fp.hash);

        if (r >= 0 && e->size_known)
                r = sl_buf_printf(b, "%" PRIu64 " ", e->size);
        else if (r >= 0)
                r = sl_buf_append(b, "- ", 2);
        if (r >= 0)
                r = sl_buf_append(b, e->done ? "d " : "- ", 2);
        if (r >= 0)
                r = escape_path(b, e->path);
        return r;
}

/* Forgets what was to be journaled: a snapshot holds it all. */
static void pending_clear(struct sl_positions *p) {
        struct pos_entry *e;

        for (size_t i = 0; i < p->n_pending; i++) {
                e = sl_tail_map_get(&p->map, p->pending[2 * i], p->pending[2 * i + 1]);
                if (e)
                        e->journal = false;
        }
        p->n_pending = 0;
        sl_buf_reset(&p->records);
}

/* Opens the file just written for appending journal records to it. On
 * failure there is no journal, and the next flush saves whole again. */
static void journal_open(struct sl_positions *p) {
        if (p->journal_fd >= 0)
                close(p->journal_fd);
        p->journal_fd = open(p->filename, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
        p->journal_bytes = 0;
}

int sl_positions_save(struct sl_positions *p) {
        _cleanup_free_ struct pos_entry **sorted = NULL;
        struct sl_buf b;
        struct pos_entry *e;
        size_t n = 0, cursor = 0;
        int r;

        if (!p->dirty && p->n_pending == 0 && p->records.len == 0)
                return 0;
        sorted = sl_xcalloc(p->map.len ? p->map.len : 1, sizeof(*sorted));
        while ((e = sl_tail_map_next(&p->map, &cursor)))
                sorted[n++] = e;
        qsort(sorted, n, sizeof(*sorted), entry_cmp);

        sl_buf_init(&b, POSITIONS_MAX_BYTES);
        r = sl_buf_printf(&b, "%s\n# device inode offset fingerprint-length fingerprint-hash size state path\n",
                          POSITIONS_HEADER);
        for (size_t i = 0; i < n && r >= 0; i++) {
                r = write_entry(&b, sorted[i]);
                if (r >= 0)
                        r = sl_buf_putc(&b, '\n');
        }
        if (r >= 0)
                r = sl_buf_printf(&b, "# journal: \"+ <entry>\" adds or replaces, \"- <device> <inode>\" removes\n");
        if (r >= 0)
                r = sl_write_atomic(p->filename, b.data, b.len);
        if (r >= 0)
                p->snapshot_bytes = b.len;
        sl_buf_release(&b);
        if (r < 0)
                return r;
        p->dirty = false;
        pending_clear(p);
        journal_open(p);
        return 0;
}

/* Appends what changed since the last flush to the file: removals (already
 * in p->records), then the current state of every pending entry. */
static int journal_append(struct sl_positions *p) {
        struct pos_entry *e;
        ssize_t n;
        int r = 0;

        for (size_t i = 0; i < p->n_pending && r >= 0; i++) {
                e = sl_tail_map_get(&p->map, p->pending[2 * i], p->pending[2 * i + 1]);
                if (!e || !e->journal)
                        continue;
                e->journal = false;
                r = sl_buf_append(&p->records, "+ ", 2);
                if (r >= 0)
                        r = write_entry(&p->records, e);
                if (r >= 0)
                        r = sl_buf_putc(&p->records, '\n');
        }
        p->n_pending = 0;
        if (r < 0)
                return r;
        /* One write(2): the page cache has it once it returns, so a crash
         * of the process loses nothing; a crash of the machine may lose
         * the tail, which load treats as torn. */
        do
                n = write(p->journal_fd, p->records.data, p->records.len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if ((size_t)n != p->records.len)
                return -EIO;
        p->journal_bytes += p->records.len;
        sl_buf_reset(&p->records);
        return 0;
}

int sl_positions_flush(struct sl_positions *p) {
        int r;

        if (p->n_pending == 0 && p->records.len == 0)
                return 0;
        if (p->journal_fd < 0 ||
            p->journal_bytes + p->records.len > JOURNAL_SLACK_BYTES + 2 * p->snapshot_bytes)
                return sl_positions_save(p);
        r = journal_append(p);
        if (r < 0) {
                /* The file may end in part of a record now, which load
                 * stops at; a whole save replaces it. */
                close(p->journal_fd);
                p->journal_fd = -1;
                sl_buf_reset(&p->records);
                p->dirty = true;
                return sl_positions_save(p) < 0 ? r : 0;
        }
        return 0;
}

bool sl_positions_pending(const struct sl_positions *p) {
        return p->n_pending > 0 || p->records.len > 0;
}

bool sl_positions_get(const struct sl_positions *p, uint64_t dev, uint64_t ino,
                      uint64_t *ret_offset) {
        const struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (!e)
                return false;
        *ret_offset = e->offset;
        return true;
}

bool sl_positions_get_fingerprint(const struct sl_positions *p, uint64_t dev, uint64_t ino,
                                  struct sl_fingerprint *ret_fp) {
        const struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (!e)
                return false;
        *ret_fp = e->fp;
        return true;
}

/* Whether an inactive entry's path no longer leads to its file. */
static bool entry_is_stale(const struct pos_entry *e) {
        struct stat st;

        if (stat(e->path, &st) < 0)
                return errno == ENOENT || errno == ENOTDIR;
        return (uint64_t)st.st_dev != e->dev || (uint64_t)st.st_ino != e->ino;
}

/* @e changed in what is saved: dirty for the next save, and pending for
 * the next flush's journal. */
static void entry_changed(struct sl_positions *p, struct pos_entry *e) {
        p->dirty = true;
        if (e->journal)
                return;
        e->journal = true;
        sl_xgrow((void **)&p->pending, 2 * sizeof(*p->pending), &p->cap_pending,
                 p->n_pending + 1);
        p->pending[2 * p->n_pending] = e->dev;
        p->pending[2 * p->n_pending + 1] = e->ino;
        p->n_pending++;
}

/* Replaces @e's path with a copy of @path if it differs. */
static void entry_set_path(struct sl_positions *p, struct pos_entry *e, const char *path) {
        if (strcmp(e->path, path) == 0)
                return;
        free(e->path);
        e->path = sl_xstrdup(path);
        entry_changed(p, e);
}

/* Records @size as @e's size last seen. */
static void entry_set_size(struct sl_positions *p, struct pos_entry *e, uint64_t size) {
        if (e->size_known && e->size == size)
                return;
        e->size = size;
        e->size_known = true;
        p->dirty = true;
}

/* @e is no longer from before a restart: the tailer knows its file. Not a
 * change to save (resolved is not saved). */
static void entry_set_resolved(struct sl_positions *p, struct pos_entry *e) {
        if (e->resolved)
                return;
        e->resolved = true;
        p->n_unresolved--;
}

/* Takes @e out of the map and frees it; the journal records the removal
 * (a buffer too full for it leaves the next flush to save whole). */
static void entry_remove(struct sl_positions *p, struct pos_entry *e) {
        entry_set_resolved(p, e);
        if (sl_buf_printf(&p->records, "- %" PRIu64 " %" PRIu64 "\n", e->dev, e->ino) < 0) {
                if (p->journal_fd >= 0)
                        close(p->journal_fd);
                p->journal_fd = -1;
        }
        sl_tail_map_remove(&p->map, e->dev, e->ino);
        entry_free(e);
        p->dirty = true;
}

void sl_positions_track(struct sl_positions *p, uint64_t dev, uint64_t ino, const char *path,
                        uint64_t offset, const struct sl_fingerprint *fp, uint64_t source_id) {
        struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (!e) {
                e = sl_xnew(struct pos_entry);
                *e = (struct pos_entry){ .dev = dev, .ino = ino, .offset = offset, .fp = *fp,
                                         .path = sl_xstrdup(path), .resolved = true };
                sl_tail_map_put(&p->map, dev, ino, e);
                entry_changed(p, e);
        } else {
                entry_set_path(p, e, path);
                if (e->offset != offset || !sl_fingerprint_equal(&e->fp, fp)) {
                        e->offset = offset;
                        e->fp = *fp;
                        entry_changed(p, e);
                }
        }
        entry_set_size(p, e, offset);
        entry_set_resolved(p, e);
        e->read_end = offset;
        e->source = source_id;
        e->active = true;
        if (e->done) {
                e->done = false;
                entry_changed(p, e);
        }
}

void sl_positions_set_path(struct sl_positions *p, uint64_t dev, uint64_t ino, const char *path) {
        struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (e)
                entry_set_path(p, e, path);
}

void sl_positions_note_read(struct sl_positions *p, uint64_t dev, uint64_t ino,
                            uint64_t read_end, const struct sl_fingerprint *fp) {
        struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (!e)
                return;
        if (read_end > e->read_end)
                e->read_end = read_end;
        if (!sl_fingerprint_equal(&e->fp, fp)) {
                e->fp = *fp;
                entry_changed(p, e);
        }
}

static int cmp_path(const void *a, const void *b) {
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether another entry follows @e's path now (its file open) and knows it
 * by its bytes: then @e is not the newest known generation of its log. */
static bool has_known_successor(const struct sl_positions *p, const struct pos_entry *e) {
        const struct pos_entry *o;
        size_t cursor = 0;

        while ((o = sl_tail_map_next(&p->map, &cursor)))
                if (o != e && o->active && o->fp.len > 0 && strcmp(o->path, e->path) == 0)
                        return true;
        return false;
}

/* @e, released, is done with (acknowledged to its end, or waited for long
 * enough). Marked done, and forgotten once its path leads elsewhere and
 * another entry knows the file there by its bytes, or nothing is there: as
 * long as it is the newest generation of its log that is known by its
 * bytes, a restart needs it to tell the generations rotated before it
 * (read) from those rotated after it while sluice was stopped (unread). A
 * done entry whose file is gone at a restart is no loss. */
static void entry_finish(struct sl_positions *p, struct pos_entry *e, const char *const *known,
                         size_t n_known) {
        struct stat st;
        bool successor;

        if (!e->done) {
                e->done = true;
                entry_changed(p, e);
        }
        if (!entry_is_stale(e))
                return;
        if (known)
                successor = bsearch(&e->path, known, n_known, sizeof(*known), cmp_path) != NULL;
        else
                successor = has_known_successor(p, e);
        if (successor || stat(e->path, &st) < 0)
                entry_remove(p, e);
}

void sl_positions_ack(struct sl_positions *p, uint64_t dev, uint64_t ino, uint64_t offset) {
        struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (e && offset > e->offset && offset <= e->read_end) {
                e->offset = offset;
                entry_changed(p, e);
                /* A released file acknowledged to the end of what was read
                 * of it is done with: nothing at a restart is to be read
                 * again of it (see sl_positions_release). */
                if (e->released_ns && !e->active && e->offset >= e->read_end)
                        entry_finish(p, e, NULL, 0);
        }
}

void sl_positions_ack_source(struct sl_positions *p, uint64_t dev, uint64_t ino,
                             uint64_t source_id, uint64_t offset) {
        struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (e && e->source == source_id)
                sl_positions_ack(p, dev, ino, offset);
}

void sl_positions_reset(struct sl_positions *p, uint64_t dev, uint64_t ino) {
        struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (!e)
                return;
        e->read_end = 0;
        entry_set_size(p, e, 0);
        if (e->offset != 0 || e->fp.len != 0) {
                e->offset = 0;
                sl_fingerprint_init(&e->fp);
                entry_changed(p, e);
        }
}

void sl_positions_release(struct sl_positions *p, uint64_t dev, uint64_t ino) {
        struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (!e)
                return;
        e->active = false;
        e->released_ns = sl_now_ns();
        if (e->offset >= e->read_end)
                entry_finish(p, e, NULL, 0);
}

/* Whether Loki has acknowledged everything read of a released file, or the
 * wait for that has lasted long enough (a line held in pieces by a stage
 * when its file ended is never acknowledged). Until then the entry stays,
 * so a crash before the acknowledgement still finds the file (renamed away)
 * at the next start and reads the rest again. */
static bool entry_done(const struct pos_entry *e) {
        return e->offset >= e->read_end ||
               sl_now_ns() - e->released_ns >= SL_POSITIONS_UNACKED_GRACE_NS;
}

void sl_positions_prune(struct sl_positions *p) {
        _cleanup_free_ struct pos_entry **stale = NULL;
        _cleanup_free_ const char **known = NULL;
        struct pos_entry *e;
        size_t n = 0, n_known = 0, cursor = 0;

        if (p->map.len == 0)
                return;
        stale = sl_xcalloc(p->map.len, sizeof(*stale));
        known = sl_xcalloc(p->map.len, sizeof(*known));
        while ((e = sl_tail_map_next(&p->map, &cursor))) {
                if (!e->active && entry_done(e))
                        stale[n++] = e;
                /* The paths whose file an entry knows by its bytes (see
                 * entry_finish), sorted: one look per done entry. */
                if (e->active && e->fp.len > 0)
                        known[n_known++] = e->path;
        }
        qsort(known, n_known, sizeof(*known), cmp_path);
        for (size_t i = 0; i < n; i++) {
                /* One neither released nor found done (loaded, and no glob
                 * leads to its log any more) goes once its path leads
                 * elsewhere. */
                if (stale[i]->done || stale[i]->released_ns)
                        entry_finish(p, stale[i], known, n_known);
                else if (entry_is_stale(stale[i]))
                        entry_remove(p, stale[i]);
        }
}

size_t sl_positions_count(const struct sl_positions *p) {
        return p->map.len;
}

/* Copies what @e holds into *@ret (the path borrowed). */
static void entry_view(const struct pos_entry *e, struct sl_position *ret) {
        *ret = (struct sl_position){ .dev = e->dev, .ino = e->ino, .offset = e->offset,
                                     .fp = e->fp, .size = e->size,
                                     .size_known = e->size_known, .active = e->active,
                                     .resolved = e->resolved, .source = e->source,
                                     .done = e->done, .path = e->path };
}

bool sl_positions_find(const struct sl_positions *p, uint64_t dev, uint64_t ino,
                       struct sl_position *ret) {
        const struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (!e)
                return false;
        entry_view(e, ret);
        return true;
}

void sl_positions_note_size(struct sl_positions *p, uint64_t dev, uint64_t ino, uint64_t size) {
        struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (e)
                entry_set_size(p, e, size);
}

size_t sl_positions_unresolved(const struct sl_positions *p) {
        return p->n_unresolved;
}

bool sl_positions_next_unresolved(const struct sl_positions *p, size_t *cursor,
                                  struct sl_position *ret) {
        const struct pos_entry *e;

        if (p->n_unresolved == 0)
                return false;
        while ((e = sl_tail_map_next(&p->map, cursor))) {
                if (!e->resolved) {
                        entry_view(e, ret);
                        return true;
                }
        }
        return false;
}

bool sl_positions_next(const struct sl_positions *p, size_t *cursor, struct sl_position *ret) {
        const struct pos_entry *e = sl_tail_map_next(&p->map, cursor);

        if (!e)
                return false;
        entry_view(e, ret);
        return true;
}

void sl_positions_resolve(struct sl_positions *p, uint64_t dev, uint64_t ino) {
        struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (e)
                entry_set_resolved(p, e);
}

void sl_positions_finish(struct sl_positions *p, uint64_t dev, uint64_t ino) {
        struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (!e)
                return;
        entry_set_resolved(p, e);
        if (!e->done) {
                e->done = true;
                entry_changed(p, e);
        }
}

void sl_positions_remove(struct sl_positions *p, uint64_t dev, uint64_t ino) {
        struct pos_entry *e = sl_tail_map_get(&p->map, dev, ino);

        if (e)
                entry_remove(p, e);
}

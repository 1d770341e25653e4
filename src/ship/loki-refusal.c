/* loki-refusal.c - see loki-refusal.h. */
#include "ship/loki-refusal.h"

#include <string.h>

#include "base/cleanup.h"

enum scope {
        SCOPE_NONE,   /* not one of Loki's messages about this stream */
        SCOPE_STREAM, /* the whole stream was refused */
        SCOPE_ENTRY,  /* one entry was refused */
};

/* Whether the @n bytes before @at in @text are @s. */
static bool before_is(const char *text, size_t at, const char *s) {
        size_t n = strlen(s);
        return at >= n && memcmp(text + at - n, s, n) == 0;
}

/* Whether the text at @at starts with @s. */
static bool after_is(const char *text, size_t len, size_t at, const char *s) {
        size_t n = strlen(s);
        return len - at >= n && memcmp(text + at, s, n) == 0;
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* Where the digits ending just before @at start (@at when there are none). */
static size_t digits_before(const char *text, size_t at) {
        while (at > 0 && is_digit(text[at - 1]))
                at--;
        return at;
}

/* What the message whose stream quote opens at @q and closes before @after
 * says, and where it starts (*@ret_start). */
static enum scope classify(const char *text, size_t len, size_t q, size_t after, size_t *ret_start) {
        static const struct {
                const char *prefix;
                const char *suffix;
                enum scope scope;
        } forms[] = {
                { "Error parsing labels ", " with error: ", SCOPE_STREAM },
                { "entry for stream ", " has timestamp too old", SCOPE_ENTRY },
                { "entry for stream ", " has timestamp too new", SCOPE_ENTRY },
                { "stream ", " has label name too long", SCOPE_STREAM },
                { "stream ", " has label value too long", SCOPE_STREAM },
                { "stream ", " has duplicate label name", SCOPE_STREAM },
                { "stream ", " includes structured metadata", SCOPE_ENTRY },
                { "stream ", " has structured metadata too large", SCOPE_ENTRY },
                { "stream ", " has too many structured metadata labels", SCOPE_ENTRY },
        };
        size_t d;

        for (size_t i = 0; i < SL_ARRAY_SIZE(forms); i++) {
                if (!before_is(text, q, forms[i].prefix) || !after_is(text, len, after, forms[i].suffix))
                        continue;
                /* "stream " also ends the longer openings; those are not this form. */
                if (strcmp(forms[i].prefix, "stream ") == 0 &&
                    (before_is(text, q, "entry for stream ") || before_is(text, q, "exceeded for stream ")))
                        continue;
                *ret_start = q - strlen(forms[i].prefix);
                return forms[i].scope;
        }
        /* entry for stream '<labels>' has N label names; limit M */
        if (before_is(text, q, "entry for stream ") && after_is(text, len, after, " has ")) {
                size_t p = after + 5;
                if (p < len && is_digit(text[p])) {
                        while (p < len && is_digit(text[p]))
                                p++;
                        if (after_is(text, len, p, " label names; limit ")) {
                                *ret_start = q - strlen("entry for stream ");
                                return SCOPE_STREAM;
                        }
                }
        }
        /* Max entry size 'N' bytes exceeded for stream '<labels>' while adding ... */
        if (before_is(text, q, "' bytes exceeded for stream ") &&
            after_is(text, len, after, " while adding an entry")) {
                size_t end = q - strlen("' bytes exceeded for stream ");
                d = digits_before(text, end);
                if (d < end && before_is(text, d, "Max entry size '")) {
                        *ret_start = d - strlen("Max entry size '");
                        return SCOPE_ENTRY;
                }
        }
        return SCOPE_NONE;
}

/* How many times the message starting at @start came: N for "N errors like: ". */
static size_t multiplier(const char *text, size_t start) {
        static const char like[] = " errors like: ";
        size_t end, d, n = 0;

        if (!before_is(text, start, like))
                return 1;
        end = start - strlen(like);
        d = digits_before(text, end);
        if (d == end || end - d > 9)
                return 1;
        for (size_t i = d; i < end; i++)
                n = n * 10 + (size_t)(text[i] - '0');
        return n ? n : 1;
}

/* The entries of the stream with label text @labels that the messages of
 * @text refuse, at most @in_part; -1 when no message names it. */
static ssize_t refused_in_stream(struct sl_str labels, size_t in_part, const char *text, size_t len) {
        size_t refused = 0, from = 0;
        bool named = false;

        if (labels.len == 0)
                return -1;
        while (from < len) {
                const char *hit = memmem(text + from, len - from, labels.ptr, labels.len);
                size_t pos, after, start = 0;
                enum scope scope;

                if (!hit)
                        break;
                pos = (size_t)(hit - text);
                from = pos + 1;
                after = pos + labels.len;
                if (pos == 0 || text[pos - 1] != '\'' || after >= len || text[after] != '\'')
                        continue;
                scope = classify(text, len, pos - 1, after + 1, &start);
                if (scope == SCOPE_NONE)
                        continue;
                named = true;
                if (scope == SCOPE_STREAM)
                        return (ssize_t)in_part;
                refused += multiplier(text, start);
                if (refused >= in_part)
                        return (ssize_t)in_part;
        }
        return named ? (ssize_t)refused : -1;
}

ssize_t sl_loki_refused_entries(const struct sl_batch *batch, size_t first, size_t count, const char *text,
                                size_t len, bool complete) {
        size_t n_streams, at = 0, end = first + count, refused = 0;
        const struct sl_batch_stream *streams = sl_batch_streams(batch, &n_streams);
        bool named = false;

        if (!text)
                return -1;
        for (size_t i = 0; i < n_streams && at < end; i++) {
                size_t lo = SL_MAX(at, first), hi = SL_MIN(at + streams[i].n_entries, end);
                ssize_t r;

                at += streams[i].n_entries;
                if (lo >= hi)
                        continue;
                r = refused_in_stream(streams[i].labels, hi - lo, text, len);
                if (r >= 0) {
                        named = true;
                        refused += (size_t)r;
                } else if (!complete) {
                        refused += hi - lo;
                }
        }
        return named ? (ssize_t)refused : -1;
}

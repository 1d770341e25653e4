/* fuzz-level.c - the level parser (pipeline/level.h) on hostile text.
 *
 * The whole input is the text. Checks, beyond the sanitizers:
 *   - the answer is one of the levels;
 *   - a level read reads again from its canonical name (idempotence);
 *   - ASCII case and surrounding blanks do not change the answer;
 *   - sl_level_from_name() agrees with sl_level_parse() on a word (no
 *     digits first, no blanks around, no NUL inside).
 */
#include <ctype.h>
#include <stdint.h>

#include "fuzz-util.h"
#include "pipeline/level.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct sl_str s = sl_str_from((const char *)data, size);
        enum sl_level level = sl_level_parse(s), other;
        char *upper = malloc(size + 4), *padded = malloc(size + 4), *copy;

        FUZZ_CHECK(level >= SL_LEVEL_UNKNOWN && level <= SL_LEVEL_FATAL, "level %d", level);
        if (level != SL_LEVEL_UNKNOWN)
                FUZZ_CHECK(sl_level_parse(sl_str_c(sl_level_name(level))) == level, "%s does not read back",
                           sl_level_name(level));

        for (size_t i = 0; i < size; i++) {
                unsigned char c = (unsigned char)data[i];
                upper[i] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        }
        other = sl_level_parse(sl_str_from(upper, size));
        FUZZ_CHECK(other == level, "upper case: %d, as written: %d", other, level);

        padded[0] = ' ';
        padded[1] = '\t';
        if (size)
                memcpy(padded + 2, data, size);
        padded[size + 2] = '\n';
        other = sl_level_parse(sl_str_from(padded, size + 3));
        FUZZ_CHECK(other == level, "with blanks: %d, without: %d", other, level);

        if (size && memchr(data, '\0', size) == NULL && !isdigit(data[0]) && !isspace(data[0]) &&
            !isspace(data[size - 1])) {
                copy = fz_strdup(s);
                other = sl_level_from_name(copy);
                FUZZ_CHECK(other == level, "from_name: %d, parse: %d", other, level);
                free(copy);
        }
        free(upper);
        free(padded);
        return 0;
}

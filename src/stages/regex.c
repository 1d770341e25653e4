/* regex.c - see regex.h. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "stages/regex.h"

#include <errno.h>
#include <pcre2.h>
#include <stdlib.h>

#include "base/xalloc.h"

struct sl_regex {
        pcre2_code *code;          /* owned: the compiled pattern */
        pcre2_match_data *match;   /* owned: reused by every search */
        pcre2_match_context *mctx; /* owned: the limits */
};

void sl_regex_free(struct sl_regex *re) {
        if (!re)
                return;
        pcre2_match_context_free(re->mctx);
        pcre2_match_data_free(re->match);
        pcre2_code_free(re->code);
        free(re);
}

int sl_regex_new(const char *pattern, struct sl_regex **ret, char *errbuf, size_t errsize,
                 size_t *ret_offset) {
        _cleanup_(sl_regex_freep) struct sl_regex *re = sl_xnew(struct sl_regex);
        PCRE2_SIZE offset = 0;
        int code;

        re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &offset, NULL);
        if (!re->code) {
                if (errsize)
                        pcre2_get_error_message(code, (PCRE2_UCHAR *)errbuf, errsize);
                *ret_offset = (size_t)offset;
                return -EINVAL;
        }
        /* Without JIT (not built in, or refused by the system) the
         * interpreter runs, under the same limits. */
        (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
        re->match = pcre2_match_data_create_from_pattern(re->code, NULL);
        re->mctx = pcre2_match_context_create(NULL);
        if (!re->match || !re->mctx)
                abort(); /* OOM, as sl_xmalloc */
        pcre2_set_match_limit(re->mctx, SL_REGEX_MATCH_LIMIT);
        pcre2_set_depth_limit(re->mctx, SL_REGEX_DEPTH_LIMIT);
        pcre2_set_heap_limit(re->mctx, SL_REGEX_HEAP_KIB);
        *ret = TAKE_PTR(re);
        return 0;
}

int sl_regex_search(struct sl_regex *re, struct sl_str subject) {
        int r = pcre2_match(re->code, (PCRE2_SPTR)(subject.ptr ? subject.ptr : ""), subject.len, 0, 0,
                            re->match, re->mctx);

        if (r >= 0)
                return 1;
        if (r == PCRE2_ERROR_NOMATCH)
                return 0;
        /* PCRE2_ERROR_MATCHLIMIT, _DEPTHLIMIT, _HEAPLIMIT, _JIT_STACKLIMIT,
         * or no memory for the frames: no answer. */
        return -E2BIG;
}

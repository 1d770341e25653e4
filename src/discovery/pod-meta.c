/* pod-meta.c - see pod-meta.h. */
#include "discovery/pod-meta.h"

#include <string.h>

static void set_absent(struct sl_label_set *out, const char *name, struct sl_str value) {
        if (!sl_label_set_get(out, sl_str_c(name)))
                sl_label_set_set(out, sl_str_c(name), value);
}

bool sl_pod_path_labels(const char *path, struct sl_label_set *out) {
        const char *p = path, *pod_dir, *container, *file, *u1, *u2;

        /* The last "/pods/" followed by exactly three more components. */
        for (const char *q = strstr(p, "/pods/"); q; q = strstr(q + 1, "/pods/")) {
                pod_dir = q + 6;
                container = strchr(pod_dir, '/');
                if (!container)
                        continue;
                container++;
                file = strchr(container, '/');
                if (!file || strchr(file + 1, '/') || !file[1])
                        continue;
                file++;
                /* <ns>_<pod>_<uid>: exactly two '_'. */
                u1 = memchr(pod_dir, '_', (size_t)(container - 1 - pod_dir));
                if (!u1)
                        continue;
                u2 = memchr(u1 + 1, '_', (size_t)(container - 1 - u1 - 1));
                if (!u2 || memchr(u2 + 1, '_', (size_t)(container - 1 - u2 - 1)) ||
                    u1 == pod_dir || u2 == u1 + 1 || u2 + 1 == container - 1 ||
                    file - 1 == container)
                        continue;
                set_absent(out, "namespace", sl_str_from(pod_dir, (size_t)(u1 - pod_dir)));
                set_absent(out, "pod", sl_str_from(u1 + 1, (size_t)(u2 - u1 - 1)));
                set_absent(out, "pod_uid", sl_str_from(u2 + 1, (size_t)(container - 1 - u2 - 1)));
                set_absent(out, "container",
                           sl_str_from(container, (size_t)(file - 1 - container)));
                return true;
        }
        return false;
}

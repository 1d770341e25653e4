/* kube-api.c - see kube-api.h. The kubeconfig is YAML: read with the same
 * yaml-doc reader as sluice's config. */
#include "discovery/kube-api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fs-util.h"
#include "base/xalloc.h"
#include "base/yaml-doc.h"

static int fail(char *errbuf, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail(char *errbuf, size_t errlen, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

void sl_kube_api_release(struct sl_kube_api *a) {
        free(a->server);
        free(a->token);
        free(a->token_file);
        free(a->ca_file);
        free(a->ca_pem);
        free(a->cert_file);
        free(a->key_file);
        free(a->cert_pem);
        free(a->key_pem);
        free(a->server_name);
        free(a->own_namespace);
        *a = (struct sl_kube_api){ 0 };
}

static char *dup_opt(const char *s) {
        return s ? sl_xstrdup(s) : NULL;
}

static void trim_server(char *s) {
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == '/')
                s[--n] = '\0';
}

/* Standard base64 (padding optional, whitespace skipped) into a new
 * NUL-terminated string; NULL when it is not base64. */
static char *base64_decode(const char *in) {
        size_t n = strlen(in), o = 0;
        char *out = sl_xmalloc(n * 3 / 4 + 4);
        unsigned acc = 0;
        int bits = 0;

        for (const char *p = in; *p; p++) {
                const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                const char *pos;

                if (*p == '=' || *p == '\n' || *p == '\r' || *p == ' ')
                        continue;
                pos = strchr(alpha, *p);
                if (!pos) {
                        free(out);
                        return NULL;
                }
                acc = (acc << 6) | (unsigned)(pos - alpha);
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (char)((acc >> bits) & 0xff);
                }
        }
        out[o] = '\0';
        return out;
}

/* The item of list @seq (of maps with "name") named @name: its @field. */
static const struct sl_yaml_node *named(const struct sl_yaml_node *seq, const char *name,
                                        const char *field) {
        for (size_t i = 0; seq && seq->kind == SL_YAML_SEQ && i < seq->count; i++) {
                const struct sl_yaml_node *n = sl_yaml_get(seq->values[i], "name");
                if (n && n->kind == SL_YAML_SCALAR && strcmp(n->text, name) == 0)
                        return sl_yaml_get(seq->values[i], field);
        }
        return NULL;
}

static const char *text_of(const struct sl_yaml_node *map, const char *key) {
        const struct sl_yaml_node *v = sl_yaml_get(map, key);
        return v && v->kind == SL_YAML_SCALAR ? v->text : NULL;
}

/* A path of the kubeconfig, relative to its directory. New string. */
static char *kc_path(const char *dir, const char *p) {
        return p[0] == '/' ? sl_xstrdup(p) : sl_path_join(dir, p);
}

static int read_kubeconfig(const char *file, struct sl_kube_api *a, char *errbuf,
                           size_t errlen) {
        _cleanup_(sl_yaml_doc_freep) struct sl_yaml_doc *doc = NULL;
        _cleanup_free_ char *dir = sl_path_dirname(file);
        const struct sl_yaml_node *root, *ctx, *cluster, *user;
        struct sl_cfg_error err = { 0 };
        const char *current, *cname, *uname, *v;
        int r;

        r = sl_yaml_doc_load(file, &doc, &err);
        if (r < 0)
                return fail(errbuf, errlen, "kubeconfig_file %s: %s", file,
                            r == -EINVAL ? err.msg : strerror(-r));
        root = doc->root;
        current = text_of(root, "current-context");
        if (!current)
                return fail(errbuf, errlen, "kubeconfig_file %s: no current-context", file);
        ctx = named(sl_yaml_get(root, "contexts"), current, "context");
        cname = text_of(ctx, "cluster");
        uname = text_of(ctx, "user");
        if (!cname)
                return fail(errbuf, errlen, "kubeconfig_file %s: context %s has no cluster",
                            file, current);
        cluster = named(sl_yaml_get(root, "clusters"), cname, "cluster");
        user = uname ? named(sl_yaml_get(root, "users"), uname, "user") : NULL;
        v = text_of(cluster, "server");
        if (!v)
                return fail(errbuf, errlen, "kubeconfig_file %s: cluster %s has no server", file,
                            cname);
        a->server = sl_xstrdup(v);
        if ((v = text_of(cluster, "certificate-authority")))
                a->ca_file = kc_path(dir, v);
        if ((v = text_of(cluster, "certificate-authority-data")) && !(a->ca_pem = base64_decode(v)))
                return fail(errbuf, errlen, "kubeconfig_file %s: bad certificate-authority-data",
                            file);
        if ((v = text_of(cluster, "insecure-skip-tls-verify")))
                a->insecure = strcmp(v, "true") == 0;
        if ((v = text_of(cluster, "tls-server-name")))
                a->server_name = sl_xstrdup(v);
        if (user) {
                if (sl_yaml_get(user, "exec") || sl_yaml_get(user, "auth-provider") ||
                    sl_yaml_get(user, "password"))
                        return fail(errbuf, errlen, "kubeconfig_file %s: user %s authenticates "
                                    "with exec, auth-provider or a password, which sluice does "
                                    "not support (use a token or a client certificate)", file,
                                    uname);
                if ((v = text_of(user, "token")))
                        a->token = sl_xstrdup(v);
                if ((v = text_of(user, "tokenFile")))
                        a->token_file = kc_path(dir, v);
                if ((v = text_of(user, "client-certificate")))
                        a->cert_file = kc_path(dir, v);
                if ((v = text_of(user, "client-key")))
                        a->key_file = kc_path(dir, v);
                if ((v = text_of(user, "client-certificate-data")) &&
                    !(a->cert_pem = base64_decode(v)))
                        return fail(errbuf, errlen, "kubeconfig_file %s: bad "
                                    "client-certificate-data", file);
                if ((v = text_of(user, "client-key-data")) && !(a->key_pem = base64_decode(v)))
                        return fail(errbuf, errlen, "kubeconfig_file %s: bad client-key-data",
                                    file);
        }
        return 0;
}

int sl_kube_api_resolve(const struct sl_kube_sd_config *cfg, const char *sa_dir,
                        struct sl_kube_api *a, char *errbuf, size_t errlen) {
        int r = 0;

        *a = (struct sl_kube_api){ 0 };
        if (cfg->api_server) {
                a->server = sl_xstrdup(cfg->api_server);
                a->token = dup_opt(cfg->bearer_token);
                a->token_file = dup_opt(cfg->bearer_token_file);
                a->ca_file = dup_opt(cfg->tls.ca_file);
                a->cert_file = dup_opt(cfg->tls.cert_file);
                a->key_file = dup_opt(cfg->tls.key_file);
                a->server_name = dup_opt(cfg->tls.server_name);
                a->insecure = cfg->tls.insecure_skip_verify;
        } else if (cfg->kubeconfig_file) {
                r = read_kubeconfig(cfg->kubeconfig_file, a, errbuf, errlen);
        } else {
                const char *host = getenv("KUBERNETES_SERVICE_HOST");
                const char *port = getenv("KUBERNETES_SERVICE_PORT");
                _cleanup_free_ char *token = sl_path_join(sa_dir, "token");
                _cleanup_free_ char *ca = sl_path_join(sa_dir, "ca.crt");

                if (!host || !*host || !port || !*port) {
                        r = fail(errbuf, errlen, "not running in a Kubernetes cluster: "
                                 "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
                                 "set (or give api_server or kubeconfig_file)");
                } else if (access(token, R_OK) < 0) {
                        r = fail(errbuf, errlen, "cannot read the service account token %s: "
                                 "%s", token, strerror(errno));
                } else {
                        a->server = strchr(host, ':') ? sl_xasprintf("https://[%s]:%s", host, port)
                                                      : sl_xasprintf("https://%s:%s", host, port);
                        a->token_file = TAKE_PTR(token);
                        if (access(ca, R_OK) == 0)
                                a->ca_file = TAKE_PTR(ca);
                        if (cfg->own_namespace) {
                                _cleanup_free_ char *nsf = sl_path_join(sa_dir, "namespace");
                                char *data = NULL;
                                size_t len = 0;

                                if (sl_read_file(nsf, 4096, &data, &len) < 0 || len == 0) {
                                        free(data);
                                        r = fail(errbuf, errlen, "could not determine the pod's "
                                                 "namespace from %s", nsf);
                                } else {
                                        while (len > 0 && (data[len - 1] == '\n' ||
                                                           data[len - 1] == ' '))
                                                data[--len] = '\0';
                                        a->own_namespace = data;
                                }
                        }
                }
        }
        if (r < 0) {
                sl_kube_api_release(a);
                return r;
        }
        trim_server(a->server);
        return 0;
}

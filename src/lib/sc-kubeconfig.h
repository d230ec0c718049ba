/* Where the API server is and how to authenticate to it: kubeconfig files as
 * kubectl reads them, or the in-cluster service account.
 *
 * Order (sc_kube_config_load), as kubectl and client-go do it:
 *   1. an explicit path (--kubeconfig): only that file, which must exist;
 *   2. $KUBECONFIG: a ':'-separated list of files, merged — for clusters,
 *      users and contexts the first file that defines a name wins, and
 *      current-context comes from the first file that sets it; files in the
 *      list that do not exist are skipped;
 *   3. ~/.kube/config when it exists;
 *   4. in-cluster: $KUBERNETES_SERVICE_HOST/PORT and the service-account
 *      directory (token, ca.crt, namespace).
 *
 * Relative file paths in a kubeconfig (certificate-authority,
 * client-certificate, client-key, tokenFile) are resolved against the
 * directory of the file that defined that cluster or user. A token given
 * inline wins over tokenFile. The namespace is the context's, else "default".
 *
 * Every error names the file and the key:
 *   kubeconfig /x/y: contexts[1].context.cluster: missing
 *
 * Not supported (an error says so when nothing else can authenticate):
 * exec credential plugins and auth-provider. Ignored: tls-server-name,
 * proxy-url, extensions, preferences. YAML aliases are refused. */
#ifndef SC_KUBECONFIG_H
#define SC_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/sc-error.h"

/* Kubeconfig files are small; the cap keeps a wrong path (a log file, a
 * device) from eating memory. */
#define SC_KUBECONFIG_MAX_SIZE (4u << 20)
/* Token, CA and namespace files of the service account. */
#define SC_KUBE_SA_FILE_MAX_SIZE    (1u << 20)
#define SC_KUBE_SERVICE_ACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct sc_kube_config {
	char *server; /* "https://host:port", no trailing '/' */
	/* TLS material: a file path or in-memory PEM data (the -data keys,
	 * base64-decoded), never both for the same item. */
	char *ca_file;
	char *ca_data;
	size_t ca_data_len;
	char *cert_file;
	char *cert_data;
	size_t cert_data_len;
	char *key_file;
	char *key_data;
	size_t key_data_len;
	bool insecure_skip_tls_verify;
	/* Credentials. token_file is re-read by the client when it changes
	 * (rotated service-account tokens); token is its value at load time. */
	char *token;
	char *token_file;
	char *username;
	char *password;
	char *namespace; /* never NULL */
	char *context;   /* the context used; NULL in-cluster */
	char *source;    /* the file(s) it came from, or "in-cluster" */
	bool in_cluster;
};

struct sc_kubeconfig_options {
	const char *path;    /* --kubeconfig; NULL: $KUBECONFIG, ~/.kube/config, in-cluster */
	const char *context; /* --context; NULL: current-context */
	/* Service-account directory for in-cluster config; NULL means
	 * SC_KUBE_SERVICE_ACCOUNT_DIR (tests point it elsewhere). */
	const char *service_account_dir;
};

/* The whole lookup above. */
int sc_kube_config_load(const struct sc_kubeconfig_options *opts, struct sc_kube_config **out,
			sc_error_t *err);
/* Merge the given files (kubectl's rules; missing files skipped unless
 * must_exist) and resolve one context. */
int sc_kube_config_from_files(char *const *paths, bool must_exist, const char *context,
			      struct sc_kube_config **out, sc_error_t *err);
/* One kubeconfig from memory; name is used in messages and its directory
 * for relative paths. Reads no file except those the config names. */
int sc_kube_config_from_data(const char *name, const char *data, size_t len, const char *context,
			     struct sc_kube_config **out, sc_error_t *err);
/* In-cluster configuration from host/port (NULL: the environment) and a
 * service-account directory (NULL: the default). */
int sc_kube_config_in_cluster(const char *host, const char *port, const char *sa_dir,
			      struct sc_kube_config **out, sc_error_t *err);

struct sc_kube_config *sc_kube_config_dup(const struct sc_kube_config *cfg);
void sc_kube_config_free(struct sc_kube_config *cfg);
void sc_cleanup_kube_configp(struct sc_kube_config **cfg);
#define cleanup_kube_config __attribute__((cleanup(sc_cleanup_kube_configp)))

/* Strict base64 (standard alphabet, '=' padding; CR and LF ignored, as Go's
 * decoder does). The result is NUL-terminated for convenience. */
int sc_base64_decode(const char *in, size_t len, char **out, size_t *out_len, sc_error_t *err);

#endif

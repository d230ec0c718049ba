/* Kubeconfig loading: variants kubectl accepts, and errors that name the
 * file and the key. Fixtures live in data/kubeconfig/ (SC_TEST_DATA). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/sc-kubeconfig.h"
#include "sc-test.h"

static const char *data_dir(void)
{
	const char *d = getenv("SC_TEST_DATA");
	if (d == NULL)
		sc_test_fail(__FILE__, __LINE__, "SC_TEST_DATA is not set");
	return d;
}

static char *fixture(const char *name)
{
	return sc_xasprintf("%s/kubeconfig/%s", data_dir(), name);
}

/* Parse an inline kubeconfig as if it sat in the fixture directory. */
static int from_data(const char *yaml, const char *context, struct sc_kube_config **out,
		     sc_error_t *err)
{
	cleanup_free char *name = fixture("inline.yaml");
	return sc_kube_config_from_data(name, yaml, strlen(yaml), context, out, err);
}

static void expect_error(const char *yaml, const char *context, const char *needle)
{
	struct sc_kube_config *cfg = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(from_data(yaml, context, &cfg, &err), -1);
	SC_ASSERT(cfg == NULL);
	SC_ASSERT_STR_CONTAINS(err->message, "kubeconfig ");
	SC_ASSERT_STR_CONTAINS(err->message, "inline.yaml");
	SC_ASSERT_STR_CONTAINS(err->message, needle);
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/sc-test-kubeconfig-XXXXXX";
	SC_ASSERT(mkdtemp(tmpl) != NULL);
	return sc_xstrdup(tmpl);
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	SC_ASSERT(fd >= 0);
	SC_ASSERT_INT_EQ(write(fd, data, len), (long long)len);
	close(fd);
}

static void clear_env(void)
{
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

SC_TEST(current_context_with_relative_files)
{
	cleanup_free char *path = fixture("basic.yaml");
	char *paths[] = {path, NULL};
	cleanup_kube_config struct sc_kube_config *cfg = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_kube_config_from_files(paths, true, NULL, &cfg, &err), 0);
	SC_ASSERT_STR_EQ(cfg->server, "https://dev.example:6443");
	cleanup_free char *ca = fixture("ca.crt");
	cleanup_free char *crt = fixture("client.crt");
	cleanup_free char *key = fixture("client.key");
	SC_ASSERT_STR_EQ(cfg->ca_file, ca);
	SC_ASSERT_STR_EQ(cfg->cert_file, crt);
	SC_ASSERT_STR_EQ(cfg->key_file, key);
	SC_ASSERT(cfg->ca_data == NULL && cfg->cert_data == NULL && cfg->key_data == NULL);
	SC_ASSERT_STR_EQ(cfg->namespace, "team-dev");
	SC_ASSERT_STR_EQ(cfg->context, "dev");
	SC_ASSERT_STR_EQ(cfg->source, path);
	SC_ASSERT(!cfg->insecure_skip_tls_verify);
	SC_ASSERT(cfg->token == NULL);
}

SC_TEST(explicit_context_token_file_insecure_default_namespace)
{
	cleanup_free char *path = fixture("basic.yaml");
	char *paths[] = {path, NULL};
	cleanup_kube_config struct sc_kube_config *cfg = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_kube_config_from_files(paths, true, "prod", &cfg, &err), 0);
	SC_ASSERT_STR_EQ(cfg->server, "https://prod.example:6443");
	SC_ASSERT(cfg->insecure_skip_tls_verify);
	SC_ASSERT_STR_EQ(cfg->token, "token-from-file");
	cleanup_free char *tok = fixture("token");
	SC_ASSERT_STR_EQ(cfg->token_file, tok);
	SC_ASSERT_STR_EQ(cfg->namespace, "default");
	SC_ASSERT(cfg->cert_file == NULL && cfg->ca_file == NULL);
}

SC_TEST(data_keys_are_decoded_and_win_over_files)
{
	/* "CA PEM", "CERT", "KEY!" in base64; the data key beats the file key. */
	const char *y = "current-context: c\n"
			"clusters:\n- name: k\n  cluster:\n    server: https://h\n"
			"    certificate-authority-data: Q0EgUEVN\n"
			"    certificate-authority: /does/not/matter\n"
			"users:\n- name: u\n  user:\n    client-certificate-data: |\n"
			"      Q0VS\n      VA==\n"
			"    client-key-data: S0VZIQ==\n"
			"contexts:\n- name: c\n  context: {cluster: k, user: u}\n";
	cleanup_kube_config struct sc_kube_config *cfg = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(from_data(y, NULL, &cfg, &err), 0);
	SC_ASSERT_INT_EQ(cfg->ca_data_len, 6);
	SC_ASSERT(memcmp(cfg->ca_data, "CA PEM", 6) == 0);
	SC_ASSERT(cfg->ca_file == NULL);
	SC_ASSERT_INT_EQ(cfg->cert_data_len, 4);
	SC_ASSERT(memcmp(cfg->cert_data, "CERT", 4) == 0);
	SC_ASSERT_INT_EQ(cfg->key_data_len, 4);
	SC_ASSERT(memcmp(cfg->key_data, "KEY!", 4) == 0);
	/* dup copies the blobs */
	cleanup_kube_config struct sc_kube_config *d = sc_kube_config_dup(cfg);
	SC_ASSERT(d->key_data != cfg->key_data);
	SC_ASSERT(memcmp(d->key_data, "KEY!", 4) == 0);
	SC_ASSERT_STR_EQ(d->server, "https://h");
}

SC_TEST(inline_token_wins_over_token_file)
{
	const char *y = "current-context: c\n"
			"clusters:\n- name: k\n  cluster: {server: 'http://h:8080'}\n"
			"users:\n- name: u\n  user: {token: inline-tok, tokenFile: token}\n"
			"contexts:\n- name: c\n  context: {cluster: k, user: u, namespace: n1}\n";
	cleanup_kube_config struct sc_kube_config *cfg = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(from_data(y, NULL, &cfg, &err), 0);
	SC_ASSERT_STR_EQ(cfg->token, "inline-tok");
	SC_ASSERT(cfg->token_file == NULL);
	SC_ASSERT_STR_EQ(cfg->namespace, "n1");
	SC_ASSERT_STR_EQ(cfg->server, "http://h:8080");
}

SC_TEST(insecure_as_quoted_string_and_user_optional)
{
	const char *y = "current-context: c\n"
			"clusters:\n- name: k\n  cluster: {server: https://h, "
			"insecure-skip-tls-verify: \"True\"}\n"
			"contexts:\n- name: c\n  context: {cluster: k}\n";
	cleanup_kube_config struct sc_kube_config *cfg = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(from_data(y, NULL, &cfg, &err), 0);
	SC_ASSERT(cfg->insecure_skip_tls_verify);
	SC_ASSERT(cfg->token == NULL && cfg->cert_data == NULL);
	/* YAML 1.1 spellings, as kubectl's loader reads them */
	const char *spellings[][2] = {{"yes", "1"}, {"On", "1"}, {"no", "0"}, {"OFF", "0"}};
	for (size_t i = 0; i < SC_ARRAY_SIZE(spellings); i++) {
		cleanup_free char *y2 = sc_xasprintf(
		    "current-context: c\nclusters:\n- name: k\n  cluster: {server: https://h, "
		    "insecure-skip-tls-verify: %s}\ncontexts:\n- name: c\n  context: {cluster: "
		    "k}\n",
		    spellings[i][0]);
		cleanup_kube_config struct sc_kube_config *c2 = NULL;
		SC_ASSERT_INT_EQ(from_data(y2, NULL, &c2, &err), 0);
		SC_ASSERT_INT_EQ(c2->insecure_skip_tls_verify, spellings[i][1][0] == '1');
	}
}

static int load_env(const char *kubeconfig, const char *context, struct sc_kube_config **out,
		    sc_error_t *err)
{
	clear_env();
	setenv("KUBECONFIG", kubeconfig, 1);
	struct sc_kubeconfig_options o = {.context = context};
	int r = sc_kube_config_load(&o, out, err);
	unsetenv("KUBECONFIG");
	return r;
}

SC_TEST(kubeconfig_env_merges_first_wins)
{
	cleanup_free char *a = fixture("merge-a.yaml");
	cleanup_free char *b = fixture("merge-b.yaml");
	cleanup_free char *c = fixture("merge-c.yaml");
	cleanup_free char *ab = sc_xasprintf("%s:%s", a, b);
	cleanup_error sc_error_t err = NULL;
	{
		/* current-context only in b; context "both" defined in a first;
		 * cluster "shared" and user "u" from a. */
		cleanup_kube_config struct sc_kube_config *cfg = NULL;
		SC_ASSERT_INT_EQ(load_env(ab, NULL, &cfg, &err), 0);
		SC_ASSERT_STR_EQ(cfg->context, "both");
		SC_ASSERT_STR_EQ(cfg->namespace, "ns-from-a");
		SC_ASSERT_STR_EQ(cfg->server, "https://from-a.example");
		SC_ASSERT_STR_EQ(cfg->token, "token-a");
		SC_ASSERT_STR_EQ(cfg->source, ab);
	}
	{
		/* a context only b has, pointing at a cluster only b has */
		cleanup_kube_config struct sc_kube_config *cfg = NULL;
		SC_ASSERT_INT_EQ(load_env(ab, "only-b", &cfg, &err), 0);
		SC_ASSERT_STR_EQ(cfg->server, "https://b-only.example");
		SC_ASSERT_STR_EQ(cfg->namespace, "default");
	}
	{
		/* the first file that sets current-context wins, even one with
		 * nothing else in it; missing and empty entries are skipped */
		cleanup_free char *cab = sc_xasprintf("/nonexistent/kc::%s:%s:%s", c, a, b);
		cleanup_kube_config struct sc_kube_config *cfg = NULL;
		SC_ASSERT_INT_EQ(load_env(cab, NULL, &cfg, &err), 0);
		SC_ASSERT_STR_EQ(cfg->context, "only-b");
		SC_ASSERT_STR_EQ(cfg->server, "https://b-only.example");
		SC_ASSERT_STR_EQ(cfg->token, "token-a");
	}
	{
		/* order matters: b first now */
		cleanup_free char *ba = sc_xasprintf("%s:%s", b, a);
		cleanup_kube_config struct sc_kube_config *cfg = NULL;
		SC_ASSERT_INT_EQ(load_env(ba, "only-a", &cfg, &err), 0);
		SC_ASSERT_STR_EQ(cfg->server, "https://from-b.example");
		SC_ASSERT_STR_EQ(cfg->token, "token-b");
		SC_ASSERT_STR_EQ(cfg->namespace, "ns-a");
	}
}

SC_TEST(explicit_path_beats_env_and_must_exist)
{
	cleanup_free char *basic = fixture("basic.yaml");
	cleanup_free char *a = fixture("merge-a.yaml");
	clear_env();
	setenv("KUBECONFIG", a, 1);
	struct sc_kubeconfig_options o = {.path = basic};
	cleanup_kube_config struct sc_kube_config *cfg = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_kube_config_load(&o, &cfg, &err), 0);
	SC_ASSERT_STR_EQ(cfg->context, "dev");
	o.path = "/nonexistent/dir/kubeconfig";
	struct sc_kube_config *none = NULL;
	SC_ASSERT_INT_EQ(sc_kube_config_load(&o, &none, &err), -1);
	SC_ASSERT_INT_EQ(err->code, ENOENT);
	SC_ASSERT_STR_CONTAINS(err->message, "kubeconfig /nonexistent/dir/kubeconfig: ");
	unsetenv("KUBECONFIG");
}

SC_TEST(home_kube_config_fallback)
{
	clear_env();
	cleanup_free char *home = tmpdir();
	cleanup_free char *kdir = sc_xasprintf("%s/.kube", home);
	SC_ASSERT_INT_EQ(mkdir(kdir, 0700), 0);
	cleanup_free char *path = sc_xasprintf("%s/config", kdir);
	const char *y =
	    "current-context: c\nclusters:\n- name: k\n  cluster: {server: https://home}\n"
	    "contexts:\n- name: c\n  context: {cluster: k}\n";
	write_file(path, y, strlen(y));
	cleanup_free char *old_home = sc_xstrdup(getenv("HOME"));
	setenv("HOME", home, 1);
	cleanup_kube_config struct sc_kube_config *cfg = NULL;
	cleanup_error sc_error_t err = NULL;
	int r = sc_kube_config_load(NULL, &cfg, &err);
	/* and with neither a file nor in-cluster variables: a clear error */
	unlink(path);
	struct sc_kube_config *none = NULL;
	cleanup_error sc_error_t err2 = NULL;
	int r2 = sc_kube_config_load(NULL, &none, &err2);
	if (old_home)
		setenv("HOME", old_home, 1);
	rmdir(kdir);
	rmdir(home);
	SC_ASSERT_INT_EQ(r, 0);
	SC_ASSERT_STR_EQ(cfg->server, "https://home");
	SC_ASSERT_INT_EQ(r2, -1);
	SC_ASSERT_INT_EQ(err2->code, ENOENT);
	SC_ASSERT_STR_CONTAINS(err2->message, "no Kubernetes configuration");
}

SC_TEST(in_cluster_config)
{
	cleanup_free char *sa = fixture("sa");
	cleanup_kube_config struct sc_kube_config *cfg = NULL;
	cleanup_error sc_error_t err = NULL;
	SC_ASSERT_INT_EQ(sc_kube_config_in_cluster("10.96.0.1", "443", sa, &cfg, &err), 0);
	SC_ASSERT_STR_EQ(cfg->server, "https://10.96.0.1:443");
	SC_ASSERT_STR_EQ(cfg->token, "sa-token-1");
	cleanup_free char *tok = sc_xasprintf("%s/token", sa);
	cleanup_free char *ca = sc_xasprintf("%s/ca.crt", sa);
	SC_ASSERT_STR_EQ(cfg->token_file, tok);
	SC_ASSERT_STR_EQ(cfg->ca_file, ca);
	SC_ASSERT_STR_EQ(cfg->namespace, "team-a");
	SC_ASSERT(cfg->in_cluster);
	cleanup_kube_config struct sc_kube_config *v6 = NULL;
	SC_ASSERT_INT_EQ(sc_kube_config_in_cluster("fd00::1", "6443", sa, &v6, &err), 0);
	SC_ASSERT_STR_EQ(v6->server, "https://[fd00::1]:6443");
}

SC_TEST(in_cluster_through_load_and_errors)
{
	clear_env();
	cleanup_free char *home = tmpdir();
	cleanup_free char *old_home = sc_xstrdup(getenv("HOME"));
	setenv("HOME", home, 1);
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "8443", 1);
	cleanup_free char *sa = fixture("sa");
	struct sc_kubeconfig_options o = {.service_account_dir = sa};
	cleanup_kube_config struct sc_kube_config *cfg = NULL;
	cleanup_error sc_error_t err = NULL;
	int r = sc_kube_config_load(&o, &cfg, &err);
	/* no token file: the error names it */
	o.service_account_dir = "/nonexistent/sa";
	struct sc_kube_config *bad = NULL;
	cleanup_error sc_error_t err2 = NULL;
	int r2 = sc_kube_config_load(&o, &bad, &err2);
	clear_env();
	if (old_home)
		setenv("HOME", old_home, 1);
	rmdir(home);
	SC_ASSERT_INT_EQ(r, 0);
	SC_ASSERT_STR_EQ(cfg->server, "https://10.0.0.1:8443");
	SC_ASSERT_INT_EQ(r2, -1);
	SC_ASSERT_STR_CONTAINS(err2->message, "in-cluster config: opening /nonexistent/sa/token");

	struct sc_kube_config *none = NULL;
	cleanup_error sc_error_t err3 = NULL;
	SC_ASSERT_INT_EQ(sc_kube_config_in_cluster("", "443", sa, &none, &err3), -1);
	SC_ASSERT_STR_CONTAINS(err3->message, "KUBERNETES_SERVICE_HOST");
	cleanup_error sc_error_t err4 = NULL;
	SC_ASSERT_INT_EQ(sc_kube_config_in_cluster("h", "99999", sa, &none, &err4), -1);
	SC_ASSERT_STR_CONTAINS(err4->message, "\"99999\" is not a port number");
	cleanup_error sc_error_t err5 = NULL;
	SC_ASSERT_INT_EQ(sc_kube_config_in_cluster("h/x", "1", sa, &none, &err5), -1);
	SC_ASSERT_STR_CONTAINS(err5->message, "not a host name");
}

SC_TEST(error_malformed_yaml)
{
	expect_error("clusters:\n- name: a\n  cluster: {server: x\n", NULL, ": line ");
	expect_error("- just\n- a list\n", NULL, "top level must be a mapping");
	expect_error("clusters: {a: b}\n", NULL, "clusters: must be a list");
	expect_error("users:\n- user: {}\n", NULL, "users[0].name: missing");
	expect_error("contexts:\n- name: x\n  context: [1]\n", NULL,
		     "contexts[0].context: must be a mapping");
	expect_error("current-context: [a]\n", NULL, "current-context: must be a string");
}

static const char *two_contexts = "current-context: good\n"
				  "clusters:\n- name: k\n  cluster: {server: https://h}\n"
				  "- name: noserver\n  cluster: {certificate-authority: ca.crt}\n"
				  "users:\n- name: u\n  user: {token: t}\n"
				  "contexts:\n"
				  "- name: good\n  context: {cluster: k, user: u}\n"
				  "- name: nocluster\n  context: {user: u}\n"
				  "- name: badcluster\n  context: {cluster: nope, user: u}\n"
				  "- name: baduser\n  context: {cluster: k, user: ghost}\n"
				  "- name: emptyserver\n  context: {cluster: noserver}\n";

SC_TEST(error_missing_context_cluster_user)
{
	expect_error(two_contexts, "absent", "context \"absent\" not found");
	expect_error(two_contexts, "nocluster", "contexts[1].context.cluster: missing");
	expect_error(two_contexts, "badcluster",
		     "contexts[2].context.cluster: cluster \"nope\" not found");
	expect_error(two_contexts, "baduser", "contexts[3].context.user: user \"ghost\" not found");
	expect_error(two_contexts, "emptyserver", "clusters[1].cluster.server: missing");
	expect_error("clusters: []\n", NULL, "current-context: not set and no context given");
}

SC_TEST(error_bad_values_name_the_key)
{
	const char *head =
	    "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n";
	struct {
		const char *rest, *needle;
	} cases[] = {
	    {"clusters:\n- name: k\n  cluster: {server: https://h, certificate-authority-data: "
	     "'!!!'}\n",
	     "clusters[0].cluster.certificate-authority-data: invalid base64"},
	    {"clusters:\n- name: k\n  cluster: {server: https://h, certificate-authority: "
	     "missing.crt}\n",
	     "clusters[0].cluster.certificate-authority: "},
	    {"clusters:\n- name: k\n  cluster: {server: ftp://h}\n",
	     "clusters[0].cluster.server: \"ftp://h\" is not an http(s) URL"},
	    {"clusters:\n- name: k\n  cluster: {server: https://h, insecure-skip-tls-verify: "
	     "maybe}\n",
	     "clusters[0].cluster.insecure-skip-tls-verify: must be true or false"},
	    {"clusters:\n- name: k\n  cluster: {server: https://h, insecure-skip-tls-verify: true, "
	     "certificate-authority: ca.crt}\n",
	     "insecure-skip-tls-verify together with a certificate authority"},
	    {"clusters:\n- name: k\n  cluster: {server: https://h}\nusers:\n- name: u\n  user: "
	     "{client-certificate: client.crt}\n",
	     "users[0].user.client-key: missing"},
	    {"clusters:\n- name: k\n  cluster: {server: https://h}\nusers:\n- name: u\n  user: "
	     "{tokenFile: no-such-token}\n",
	     "users[0].user.tokenFile: opening "},
	    {"clusters:\n- name: k\n  cluster: {server: https://h}\nusers:\n- name: u\n  user: "
	     "{exec: {command: aws}}\n",
	     "users[0].user.exec: exec credential plugins are not supported"},
	    {"clusters:\n- name: k\n  cluster: {server: https://h}\nusers:\n- name: u\n  user: "
	     "{token: {a: b}}\n",
	     "users[0].user.token: must be a string"},
	};
	for (size_t i = 0; i < SC_ARRAY_SIZE(cases); i++) {
		cleanup_free char *y = sc_xasprintf("%s%s", head, cases[i].rest);
		expect_error(y, NULL, cases[i].needle);
	}
}

SC_TEST(error_unreadable_and_oversized_files)
{
	cleanup_free char *dir = tmpdir();
	cleanup_error sc_error_t err = NULL;
	struct sc_kube_config *cfg = NULL;
	/* a directory where a file should be */
	char *paths[] = {dir, NULL};
	SC_ASSERT_INT_EQ(sc_kube_config_from_files(paths, true, NULL, &cfg, &err), -1);
	SC_ASSERT_STR_CONTAINS(err->message, dir);
	SC_ASSERT_STR_CONTAINS(err->message, "kubeconfig ");
	sc_error_release(&err);

	cleanup_free char *big = sc_xasprintf("%s/big", dir);
	size_t n = SC_KUBECONFIG_MAX_SIZE + 1;
	cleanup_free char *blob = sc_xmalloc(n);
	memset(blob, '#', n);
	write_file(big, blob, n);
	char *bigpaths[] = {big, NULL};
	SC_ASSERT_INT_EQ(sc_kube_config_from_files(bigpaths, true, NULL, &cfg, &err), -1);
	SC_ASSERT_INT_EQ(err->code, EMSGSIZE);
	SC_ASSERT_STR_CONTAINS(err->message, big);
	SC_ASSERT_STR_CONTAINS(err->message, "exceeds the limit");
	unlink(big);
	rmdir(dir);
}

SC_TEST(base64_strict)
{
	struct {
		const char *in, *out;
	} ok[] = {{"", ""}, {"YQ==", "a"}, {"YWI=", "ab"}, {"YWJj", "abc"}, {"YW\nJj\r\n", "abc"}};
	for (size_t i = 0; i < SC_ARRAY_SIZE(ok); i++) {
		cleanup_free char *o = NULL;
		size_t len = 0;
		cleanup_error sc_error_t err = NULL;
		SC_ASSERT_INT_EQ(sc_base64_decode(ok[i].in, strlen(ok[i].in), &o, &len, &err), 0);
		SC_ASSERT_STR_EQ(o, ok[i].out);
		SC_ASSERT_INT_EQ(len, strlen(ok[i].out));
	}
	const char *bad[] = {"Y", "YQ=", "YQ", "YQ===", "Y===", "YR==", "YQ==YQ==", "Y!==", "===="};
	for (size_t i = 0; i < SC_ARRAY_SIZE(bad); i++) {
		char *o = NULL;
		size_t len = 0;
		cleanup_error sc_error_t err = NULL;
		if (sc_base64_decode(bad[i], strlen(bad[i]), &o, &len, &err) != -1)
			sc_test_fail(__FILE__, __LINE__, "\"%s\" decoded", bad[i]);
		SC_ASSERT(o == NULL);
		SC_ASSERT_INT_EQ(err->code, EINVAL);
	}
}

int main(void)
{
	return sc_test_run();
}

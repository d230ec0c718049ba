#include "lib/sc-tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#ifdef SC_TLS_MBEDTLS
#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509.h>
#include <mbedtls/x509_crt.h>
#endif

static bool curl_uses_mbedtls(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	return v != NULL && v->ssl_version != NULL && strncmp(v->ssl_version, "mbedTLS/", 8) == 0;
}

/* The host of SERVER as an address in *host (len 0 for a DNS name). */
static int parse_host(const char *server, struct sc_tls_host *host, sc_error_t *err)
{
	CURLU *u = curl_url();
	char *name = NULL;
	memset(host, 0, sizeof(*host));
	if (u == NULL)
		return sc_error_make(err, ENOMEM, "parsing the server URL");
	if (curl_url_set(u, CURLUPART_URL, server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &name, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return sc_error_make(err, EINVAL, "the server URL %s has no host", server);
	}
	curl_url_cleanup(u);
	size_t n = strlen(name);
	if (n > 2 && name[0] == '[' && name[n - 1] == ']') {
		/* "[fd00::1]" or "[fe80::1%25eth0]": the zone is not part of the address */
		name[n - 1] = '\0';
		char *zone = strchr(name + 1, '%');
		if (zone != NULL)
			*zone = '\0';
		if (inet_pton(AF_INET6, name + 1, host->addr) == 1)
			host->len = 16;
	} else if (inet_pton(AF_INET, name, host->addr) == 1) {
		host->len = 4;
	}
	curl_free(name);
	return 0;
}

#ifdef SC_TLS_MBEDTLS

static bool crt_has_ip(const mbedtls_x509_crt *crt, const struct sc_tls_host *host)
{
	if (!(crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME))
		return false;
	for (const mbedtls_x509_sequence *cur = &crt->subject_alt_names; cur != NULL;
	     cur = cur->next) {
		if (cur->buf.p != NULL &&
		    cur->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS) &&
		    cur->buf.len == host->len && memcmp(cur->buf.p, host->addr, host->len) == 0)
			return true;
	}
	return false;
}

/* mbedTLS's verify callback, once per certificate of the chain: only the
 * server's own (depth 0) name mismatch is ever cleared. */
static int verify_ip(void *data, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	const struct sc_tls_host *host = data;
	if (depth == 0 && (*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) && crt_has_ip(crt, host))
		*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
	return 0;
}

static CURLcode ssl_ctx(CURL *h, void *conf, void *data)
{
	(void)h;
	mbedtls_ssl_conf_verify(conf, verify_ip, data);
	return CURLE_OK;
}

int sc_tls_cert_has_ip(const unsigned char *der, size_t der_len, const struct sc_tls_host *host)
{
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	int rc = mbedtls_x509_crt_parse_der(&crt, der, der_len) == 0 ? crt_has_ip(&crt, host) : -1;
	mbedtls_x509_crt_free(&crt);
	return rc;
}

#else

int sc_tls_cert_has_ip(const unsigned char *der, size_t der_len, const struct sc_tls_host *host)
{
	(void)der, (void)der_len, (void)host;
	return -1;
}

#endif

size_t sc_tls_key_blob_len(const char *data, size_t len)
{
	return curl_uses_mbedtls() && data[len] == '\0' ? len + 1 : len;
}

int sc_tls_setup(CURL *h, const char *server, struct sc_tls_host *host, sc_error_t *err)
{
	if (parse_host(server, host, err) < 0)
		return -1;
	if (host->len == 0 || !curl_uses_mbedtls())
		return 0;
#ifdef SC_TLS_MBEDTLS
	if (curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, host) != CURLE_OK)
		return sc_error_make(
		    err, ENOTSUP, "this libcurl cannot verify the certificate of %s, an IP address",
		    server);
	return 0;
#else
	(void)h;
	return sc_error_make(err, ENOTSUP,
			     "libcurl's mbedTLS cannot match %s, an IP address, against the "
			     "certificate, and this build was made without SC_TLS_MBEDTLS",
			     server);
#endif
}

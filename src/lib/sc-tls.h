/* What the TLS library under libcurl needs beyond curl's own options.
 *
 * The daemon images link libcurl over mbedTLS 2.28 (hack/build-lean-deps.sh,
 * docs/architecture.md "The daemon images"), whose host name check knows only
 * DNS names: it cannot match an API server given by IP address (in-cluster,
 * https://$KUBERNETES_SERVICE_HOST) against the certificate's iPAddress
 * subjectAltNames and fails every such handshake. sc_tls_setup gives that
 * check the missing half on a curl handle whose server host is an IP literal:
 * the name mismatch is cleared only when an iPAddress entry of the server
 * certificate equals the address connected to, byte for byte. The chain, the
 * CA, the validity and every other check stay mbedTLS's.
 *
 *   struct sc_tls_host host;                  // lives as long as the handle
 *   if (sc_tls_setup(curl, "https://10.96.0.1:443", &host, err) < 0) ...
 *
 * With another TLS library (OpenSSL, GnuTLS: the development build) or a
 * DNS host, it does nothing. A libcurl over mbedTLS in a build without this
 * support (SC_TLS_MBEDTLS undefined) and an IP host is an error, not a
 * silently unverified host. */
#ifndef SC_TLS_H
#define SC_TLS_H

#include <curl/curl.h>
#include <stddef.h>

#include "lib/sc-error.h"

struct sc_tls_host {
	unsigned char addr[16]; /* the server's IPv4 or IPv6 address */
	size_t len;             /* 4 or 16; 0: a DNS host */
};

/* Parses SERVER's host into *host and, for an IP literal under mbedTLS,
 * installs the iPAddress check on H (CURLOPT_SSL_CTX_FUNCTION, data: host).
 * Copies of H (curl_easy_duphandle) share *host. */
int sc_tls_setup(CURL *h, const char *server, struct sc_tls_host *host, sc_error_t *err);

/* The length to give CURLOPT_SSLKEY_BLOB for the PEM key of LEN bytes at
 * DATA, which must be NUL-terminated at DATA[LEN] (sc_kube_config's key_data
 * is). libcurl 7.88's mbedTLS backend hands the blob to mbedtls_pk_parse_key
 * as it is, and mbedTLS takes PEM only with its terminating NUL counted (else
 * it parses DER and fails: "Invalid key tag or value"); the CA and the
 * certificate blobs it terminates itself. OpenSSL reads the PEM either way:
 * LEN elsewhere. */
size_t sc_tls_key_blob_len(const char *data, size_t len);

/* The check itself, for the unit tests: 1 when DER-encoded certificate DER
 * has an iPAddress subjectAltName equal to host's address, 0 when not, -1
 * when DER is not a certificate or this build has no mbedTLS. */
int sc_tls_cert_has_ip(const unsigned char *der, size_t der_len, const struct sc_tls_host *host);

#endif

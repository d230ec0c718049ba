/* libFuzzer target: what the NRI plugin reads from the runtime's socket —
 * multiplexed frames, ttrpc messages, and the NRI messages it decodes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "nri/sc-nri.h"
#include "nri/sc-ttrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_payload(const struct sc_ttrpc_msg *m)
{
	sc_error_t err = NULL;
	struct sc_nri_create_request req;
	if (sc_nri_decode_create(m->payload, m->payload_len, &req, &err) == 0)
		sc_nri_create_request_clear(&req);
	sc_error_release(&err);
	char *name = NULL, *version = NULL;
	(void)sc_nri_decode_configure(m->payload, m->payload_len, &name, &version, &err);
	sc_error_release(&err);
	free(name);
	free(version);
	bool more;
	(void)sc_nri_decode_synchronize(m->payload, m->payload_len, &more, &err);
	sc_error_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_mux_reader r;
	sc_error_t err = NULL;
	sc_mux_reader_init(&r);
	if (sc_mux_feed(&r, data, size, &err) < 0) {
		sc_error_release(&err);
	}
	for (uint32_t conn = 1; conn <= 2; conn++) {
		for (;;) {
			struct sc_ttrpc_msg m;
			size_t used = 0;
			int rc = sc_ttrpc_take(&r.conn[conn], &m, &used, &err);
			if (rc <= 0) {
				sc_error_release(&err);
				break;
			}
			decode_payload(&m);
			sc_ttrpc_msg_clear(&m);
			sc_buf_consume(&r.conn[conn], used);
		}
	}
	sc_mux_reader_free(&r);
	return 0;
}

/* libFuzzer: arbitrary bytes as a watch stream, fed to the decoder in
 * pieces whose sizes come from the input itself (first byte), with a small
 * line cap so the over-long path is reached. Checks the buffering bound. */
#include <stddef.h>
#include <stdint.h>

#include "lib/sc-kube-client.h"
#include "lib/sc-watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(const struct sc_watch_event *ev, void *userdata, sc_error_t *err)
{
	size_t *count = userdata;
	(*count)++;
	if (ev->object == NULL)
		__builtin_trap();
	if (ev->type == SC_WATCH_ERROR) {
		sc_error_t e = NULL;
		sc_kube_status_object_error(&e, "watch", ev->object);
		if (e == NULL || e->http_status < 100 || e->http_status > 599)
			__builtin_trap();
		sc_error_release(&e);
	}
	(void)err;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t step = (size_t)(data[0] % 64) + 1;
	const size_t max_line = 1024;
	data++, size--;
	size_t count = 0;
	struct sc_watch_decoder d;
	sc_watch_decoder_init(&d, max_line, on_event, &count);
	sc_error_t err = NULL;
	for (size_t pos = 0; pos < size; pos += step) {
		size_t n = size - pos < step ? size - pos : step;
		int r = sc_watch_decoder_feed(&d, (const char *)data + pos, n, &err);
		if (d.line.len > max_line)
			__builtin_trap();
		if (r < 0) {
			sc_error_release(&err);
			sc_watch_decoder_reset(&d);
		}
	}
	if (sc_watch_decoder_finish(&d, &err) < 0)
		sc_error_release(&err);
	sc_watch_decoder_free(&d);
	return 0;
}

/* SPDX-License-Identifier: MIT */

/* lib/carrier-net: the request frame and finish() the network carriers share. Retry-After
 * and the requests on the wire are tested through the plugins (test-plugin-http.c,
 * test-plugin-kannel.c), against a peer. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "carrier-net.h"

static void test_transport(void **state) {
        struct dunnd_outcome o = {};

        (void) state;
        assert_false(net_classify_transport(CURLE_OK, 1, false, &o));
        /* nothing left: safe to retry */
        assert_true(net_classify_transport(CURLE_COULDNT_CONNECT, 0, false, &o));
        assert_int_equal(o.klass, DUNND_OUTCOME_TRANSIENT);
        assert_string_equal(o.error, "not sent: Couldn't connect to server");
        /* the request went out: it may have been taken */
        assert_true(net_classify_transport(CURLE_OPERATION_TIMEDOUT, 1, false, &o));
        assert_int_equal(o.klass, DUNND_OUTCOME_UNKNOWN);
        assert_string_equal(o.error, "may have been sent: Timeout was reached");
        /* libcurl wanted to send it again: it left once, whatever request_sent says */
        assert_true(net_classify_transport(CURLE_SEND_FAIL_REWIND, 0, false, &o));
        assert_int_equal(o.klass, DUNND_OUTCOME_UNKNOWN);
        assert_string_equal(o.error, "may have been sent: the kept-alive connection died after "
                            "the request went out, and libcurl's re-send was refused (no "
                            "rewind): Send failed since rewinding of the data stream failed");
        assert_true(net_classify_transport(CURLE_RECV_ERROR, 0, true, &o));
        assert_int_equal(o.klass, DUNND_OUTCOME_UNKNOWN);
        assert_non_null(strstr(o.error, "re-send was refused (no rewind): Failure when receiving"));
}

static int classified;

/* Stands in for a plugin's answer classification: echoes the recipient in its error. */
static void fake_classify(void *state, const NetRequest *q, long status, const char *body,
                          size_t len, struct dunnd_outcome *out) {
        assert_ptr_equal(state, &classified);
        classified++;
        out->klass = status == 200 ? DUNND_OUTCOME_SENT : DUNND_OUTCOME_REJECTED;
        snprintf(out->error, sizeof(out->error), "HTTP %ld: %.*s for %s", status, (int) len,
                 body ? body : "", q->recipient);
}

static NetRequest *request(void) {
        NetRequest *q = NULL;

        assert_int_equal(net_request_new(NULL, "13912345678", &q), 0);
        assert_int_equal(net_request_add_header(q, "X-Kannel-Password: s3cret"), 0);
        buf_puts(&q->body, "text");
        return q;
}

static void test_finish(void **state) {
        struct dunnd_outcome o;

        (void) state;
        classified = 0;
        memset(&o, 0xa5, sizeof(o));
        net_request_finish(request(), &classified, CURLE_OK, 1, 400, "bad", 3, &o,
                           fake_classify);
        assert_int_equal(classified, 1);
        assert_int_equal(o.klass, DUNND_OUTCOME_REJECTED);
        assert_int_equal(o.retry_after_ms, 0);
        assert_string_equal(o.message_id, "");
        /* the recipient is masked in whatever the plugin wrote */
        assert_string_equal(o.error, "HTTP 400: bad for 139****5678");

        /* a failed transfer never reaches the plugin's classification */
        memset(&o, 0xa5, sizeof(o));
        net_request_finish(request(), &classified, CURLE_RECV_ERROR, 1, 0, NULL, 99, &o,
                           fake_classify);
        assert_int_equal(classified, 1);
        assert_int_equal(o.klass, DUNND_OUTCOME_UNKNOWN);
        /* a NULL body is an empty one */
        net_request_finish(request(), &classified, CURLE_OK, 1, 200, NULL, 99, &o,
                           fake_classify);
        assert_int_equal(o.klass, DUNND_OUTCOME_SENT);
        assert_string_equal(o.error, "HTTP 200:  for 139****5678");
        assert_null(net_request_free(NULL));
}

static void test_small_helpers(void **state) {
        (void) state;
        assert_int_equal(net_retry_after_ms(NULL), 0);
        net_free_secret(NULL);
        net_slist_free(NULL);
}

/* Both network carriers refuse a url that is not http(s), and plain http under require_tls. */
static void test_check_url(void **state) {
        char err[128];

        (void) state;
        assert_int_equal(net_check_url("http://127.0.0.1/", false, err, sizeof(err)), 0);
        assert_int_equal(net_check_url("HTTPS://127.0.0.1/", true, err, sizeof(err)), 0);
        err[0] = 0;
        assert_int_equal(net_check_url("http://127.0.0.1/", true, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "option 'url' must start with https:// (require_tls is on)");
        assert_int_equal(net_check_url("ftp://127.0.0.1/", false, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "option 'url' must start with http:// or https://");
        assert_int_equal(net_check_url("http:/", false, err, sizeof(err)), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_transport),
                cmocka_unit_test(test_finish),
                cmocka_unit_test(test_small_helpers),
                cmocka_unit_test(test_check_url),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

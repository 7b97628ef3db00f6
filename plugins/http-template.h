/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The http carrier's templates: its url, headers and body hold {{variable}}s, each filled in
 * escaped for where it stands, so no value can break out of its place:
 *
 *   URL     RFC 3986: every byte but the unreserved ones percent-encoded (also what a form
 *           body wants: form decoders and query parsers agree on it)
 *   JSON    the inside of a JSON string (the template writes the quotes: "{{text}}")
 *   HEADER  control characters become spaces, so a value cannot start another header
 *   RAW     as it is
 *
 * The variables: {{recipient}} {{text}} {{subject}} {{name}} {{unit}} {{occurrence}}
 * {{channel}} {{dispatch_id}} {{username}} {{password}}; spaces inside the braces are
 * allowed ({{ text }}).
 */

#include <stddef.h>

#include "buf.h"
#include "dunnd-carrier.h"

typedef enum HttpEscape {
        HTTP_ESCAPE_RAW,
        HTTP_ESCAPE_URL,
        HTTP_ESCAPE_JSON,
        HTTP_ESCAPE_HEADER,
} HttpEscape;

/* What the variables stand for in one request. */
typedef struct HttpTemplateVars {
        const struct dunnd_message *message;
        const char *username, *password;        /* the carrier's own options */
        char dispatch_id[24];
} HttpTemplateVars;

void http_template_vars_init(HttpTemplateVars *v, const struct dunnd_message *m,
                             const char *username, const char *password);

/* Whether every "{{" in tpl is closed and names a known variable. Returns 0, or -EINVAL
 * with err saying what is wrong in option `option`. */
int http_template_check(const char *tpl, const char *option, char *err, size_t errlen);

/* Appends tpl with its variables filled in and escaped to b. The template must have passed
 * http_template_check(); b->oom tells whether it all fit into memory. */
void http_template_render(const char *tpl, const HttpTemplateVars *v, HttpEscape e, Buf *b);

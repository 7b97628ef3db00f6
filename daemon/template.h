/* SPDX-License-Identifier: MIT */
#pragma once

/* Message templates: "尊敬的{{owner}}业主，您的{{unit}}物业费{{amount}}元…". A variable is
 * {{name}} (spaces inside the braces allowed: {{ name }}); a literal "{{" is written "\{{"
 * and a literal backslash before "{{" as "\\". Unknown variables are an error at parse time,
 * so a bad template is caught when the config loads, not when 2,000 messages go out.
 *
 * Also counts SMS parts the way carriers bill them: a text that fits GSM 03.38 (7-bit
 * default alphabet, with the extension table characters counting two septets) is 160
 * septets in one part, 153 per part when split; anything else is UCS-2: 70 UTF-16 units in
 * one part, 67 per part when split (characters outside the BMP take two units). */

#include <stddef.h>

typedef struct Template Template;

/* The variables the campaign code provides (NULL-terminated). */
extern const char *const template_variables[];

/* Parses text. known = NULL-terminated list of allowed names (template_variables for real
 * use). On error returns -EINVAL and fills err with e.g. "unknown variable '{{ownr}}'" or
 * "unterminated '{{' at character 12"; *ret_error_offset (may be NULL) gets the byte offset. */
int template_parse(const char *text, const char *const *known, Template **ret, char *err,
                   size_t errlen, size_t *ret_error_offset);
Template *template_free(Template *t);

/* Returns the value for a variable name, or NULL (rendered as the empty string). */
typedef const char *(*template_lookup_t)(const char *name, void *userdata);

/* Renders into a newly allocated string. Returns 0 or -ENOMEM. */
int template_render(const Template *t, template_lookup_t lookup, void *userdata, char **ret);

/* True when name is used by the template. */
int template_uses(const Template *t, const char *name);

typedef enum SmsEncoding {
        SMS_ENCODING_GSM7,
        SMS_ENCODING_UCS2,
} SmsEncoding;

typedef struct SmsCount {
        SmsEncoding encoding;
        size_t units;           /* septets for GSM-7, UTF-16 code units for UCS-2 */
        size_t parts;           /* 0 for the empty text */
} SmsCount;

/* Counts the parts of a UTF-8 text; invalid UTF-8 counts as UCS-2, one unit per byte. */
void sms_count(const char *text, SmsCount *ret);

static inline void template_freep(Template **t) {
        if (*t)
                template_free(*t);
}

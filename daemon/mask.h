/* SPDX-License-Identifier: MIT */
#pragma once

/* Masking of personal data for logs, the journal and `dunnctl log` (GB/T 35273 display
 * restriction): 138****5678, 张*, 欧阳**, z***@example.com. */

#include <stddef.h>

#define MASK_BUFSZ 128

/* Keeps the first 3 and last 4 digits of an 11-digit number; anything else of 7 or more
 * characters keeps the first 2 and last 2; shorter strings become all '*'. Returns buf. */
char *mask_phone(const char *phone, char *buf, size_t buflen);

/* Keeps the first character (code point) of a name and replaces every other character
 * with '*': 张三 -> 张*, 欧阳娜娜 -> 欧*** , "Li Lei" -> "L*****". Returns buf. */
char *mask_name(const char *name, char *buf, size_t buflen);

/* Keeps the first character of the local part and the whole domain: z***@example.com.
 * Returns buf. */
char *mask_email(const char *email, char *buf, size_t buflen);

/* Masks according to the channel: "sms" -> phone, "email" -> e-mail, anything else keeps
 * the first 3 and last 3 characters. Returns buf. */
char *mask_recipient(const char *channel, const char *recipient, char *buf, size_t buflen);

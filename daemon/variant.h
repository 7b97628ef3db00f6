/* SPDX-License-Identifier: MIT */
#pragma once

/* Which variant of a template a household reads: owners away get the one with the bank
 * details, prepaid owners whose advance is used up theirs, monthly payers theirs, and
 * `text` stands in for any that is missing. */

#include <stdbool.h>

#include "category.h"
#include "config.h"

/* away -> away, prepaid -> prepaid, monthly -> monthly, falling back to text. Never a
 * missing variant for a loaded config (loading checks that a fallback exists). */
TemplateVariant variant_pick(const ConfigTemplate *t, Category category, bool prepaid);
/* The picked variant's parsed template. */
const Template *variant_template(const ConfigTemplate *t, Category category, bool prepaid);

/* "text", "monthly", "prepaid", "away": the config keys, and how the log names them. */
const char *variant_to_string(TemplateVariant v);

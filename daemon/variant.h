/* SPDX-License-Identifier: MIT */
#pragma once

/* Which variant of a template a household reads: owners away get the one with the bank
 * details, vacant homes theirs, prepaid owners whose advance is used up theirs, monthly
 * payers theirs, and `text` stands in for any that is missing. */

#include <stdbool.h>

#include "category.h"
#include "config.h"
#include "debtor.h"

/* away -> away, prepaid -> prepaid, monthly -> monthly, falling back to text. Never a
 * missing variant for a loaded config (loading checks that a fallback exists). prepaid
 * means a prepaid payer whose advance is used up: one with advance left reads the monthly
 * text. */
TemplateVariant variant_pick(const ConfigTemplate *t, Category category, bool prepaid);
/* What a debtor reads: away -> away, a vacant home -> vacant, a prepaid payer whose
 * advance is used up (debtor_prepaid_used_up) -> prepaid, then as variant_pick(). */
TemplateVariant variant_pick_debtor(const ConfigTemplate *t, const Debtor *d);
/* The picked variant's parsed template. */
const Template *variant_template(const ConfigTemplate *t, Category category, bool prepaid);

/* "text", "monthly", "prepaid", "away": the config keys, and how the log names them. */
const char *variant_to_string(TemplateVariant v);

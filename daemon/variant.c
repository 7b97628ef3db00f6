/* SPDX-License-Identifier: MIT */

#include "variant.h"

const char *variant_to_string(TemplateVariant v) {
        static const char *const keys[_TEMPLATE_VARIANT_MAX] = {
                [TEMPLATE_TEXT] = "text",
                [TEMPLATE_MONTHLY] = "monthly",
                [TEMPLATE_PREPAID] = "prepaid",
                [TEMPLATE_AWAY] = "away",
                [TEMPLATE_VACANT] = "vacant",
        };
        return (unsigned) v < _TEMPLATE_VARIANT_MAX ? keys[v] : NULL;
}

TemplateVariant variant_pick(const ConfigTemplate *t, Category category, bool prepaid) {
        if (category == CATEGORY_AWAY && t->variant[TEMPLATE_AWAY])
                return TEMPLATE_AWAY;
        if (prepaid && t->variant[TEMPLATE_PREPAID])
                return TEMPLATE_PREPAID;
        if (!prepaid && t->variant[TEMPLATE_MONTHLY])
                return TEMPLATE_MONTHLY;
        if (t->variant[TEMPLATE_TEXT])
                return TEMPLATE_TEXT;
        return prepaid ? TEMPLATE_MONTHLY : TEMPLATE_PREPAID;
}

TemplateVariant variant_pick_debtor(const ConfigTemplate *t, const Debtor *d) {
        /* away first: an owner elsewhere needs the bank details whatever the home */
        if (d->vacant && !(d->category == CATEGORY_AWAY && t->variant[TEMPLATE_AWAY]) &&
            t->variant[TEMPLATE_VACANT])
                return TEMPLATE_VACANT;
        return variant_pick(t, d->category, debtor_prepaid_used_up(d));
}

const Template *variant_template(const ConfigTemplate *t, Category category, bool prepaid) {
        return t->variant[variant_pick(t, category, prepaid)];
}

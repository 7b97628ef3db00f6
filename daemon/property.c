/* SPDX-License-Identifier: MIT */

#include <string.h>

#include "property.h"

static const char *const names[_PROPERTY_TYPE_MAX] = {
        [PROPERTY_MULTI_STOREY] = "多层",
        [PROPERTY_MID_RISE] = "小高层",
        [PROPERTY_TOWNHOUSE] = "联排别墅",
        [PROPERTY_VILLA] = "独立别墅",
        [PROPERTY_COMMERCIAL] = "商业",
};

const char *property_type_to_string(PropertyType t) {
        return (unsigned) t < _PROPERTY_TYPE_MAX ? names[t] : NULL;
}

PropertyType property_type_from_string(const char *s) {
        for (int i = 0; s && i < _PROPERTY_TYPE_MAX; i++)
                if (strcmp(s, names[i]) == 0)
                        return (PropertyType) i;
        return _PROPERTY_TYPE_INVALID;
}

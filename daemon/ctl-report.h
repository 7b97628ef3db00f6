/* SPDX-License-Identifier: MIT */
#pragma once

/* What `dunnctl log` and `dunnctl show` share about the rows of the dispatch log. */

#include <stdbool.h>

#include "mask.h"
#include "store-log.h"

typedef struct LogRowMask {
        char owner[MASK_BUFSZ], recipient[MASK_BUFSZ];
} LogRowMask;

/* Masks the owner and recipient cells of a row (into *buf) unless reveal. */
void ctl_log_row_mask(const char *cells[_LOG_COLUMN_MAX], bool reveal, LogRowMask *buf);

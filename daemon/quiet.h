/* SPDX-License-Identifier: MIT */
#pragma once

/* Quiet hours (default 21:00–08:00 in the estate's zone): nobody is texted about money at
 * night. The daemon and `dunnctl run` both hold their sends until the hours end. */

#include <time.h>

#include "config.h"

/* The end of the quiet hours that contain t, or 0 when t is outside them (or there are
 * none: start == end). */
time_t quiet_hours_end(const Config *c, time_t t);

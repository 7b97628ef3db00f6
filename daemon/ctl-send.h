/* SPDX-License-Identifier: MIT */
#pragma once

/* What `dunnctl run` and `dunnctl approve` share around sending an occurrence on dunnctl's
 * own loop: quiet hours (wait, --ignore-quiet-hours, --no-wait), the carriers (simulated on
 * a --simulate copy), the progress line, and the report afterwards with its exit status. */

#include <stdbool.h>
#include <sys/time.h>

#include "campaign.h"
#include "carrier.h"
#include "ctl.h"

typedef struct CtlSend {
        CarrierSet *carriers;
        CampaignRunHooks hooks;
        struct timeval start;           /* for the progress line's rate */
        bool tty;                       /* a progress line on stderr */
        bool simulated;
} CtlSend;

/* Inside quiet hours with no_wait: prints that nothing happened (`nothing_done`: "nothing
 * planned or sent") and returns EX_TEMPFAIL. Else opens the carriers and fills *ret: sends
 * wait for the end of quiet hours unless ignore_quiet_hours or simulated. Returns 0 or an
 * exit code. Load the config first; free with ctl_send_done(). */
int ctl_send_prepare(Ctl *ctl, bool simulated, bool ignore_quiet_hours, bool no_wait,
                     const char *nothing_done, CtlSend *ret);
void ctl_send_done(CtlSend *send);

/* Just before the first send (the progress line's clock). */
void ctl_send_begin(CtlSend *send);

/* After the send: the heading line, the summary per category and what the SMS cost (unless
 * quiet), the messages left unknown, and why it stopped. Returns the exit status: 0, or 1
 * when stopped or a carrier refused to send. */
int ctl_send_report(const Ctl *ctl, Store *s, const CtlSend *send, const CampaignResult *res,
                    bool quiet, const char *heading);

/* The per-category counts of an occurrence as a table (run, approve, show). */
int ctl_print_summary(const CampaignResult *res);

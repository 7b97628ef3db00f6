/* SPDX-License-Identifier: MIT */

/* dunnctl optout / optin: an owner asks for no more reminders (退订) on some or all of their
 * contacts, or asks for them again. Who did it is recorded: --by, else the user sudo ran us
 * for, else the login user. */

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"
#include "mask.h"
#include "phone.h"
#include "store-household.h"
#include "store-optout.h"

static const char *const channels[] = { "sms", "email", "wechat", NULL };

/* The staff member running us: sudo's caller first (`sudo -u dunnd dunnctl …` is how the
 * office runs it), then $USER, then the password database. */
static const char *staff_name(char *buf, size_t len) {
        const char *e = getenv("SUDO_USER");
        struct passwd *pw;

        if (isempty(e))
                e = getenv("USER");
        if (!isempty(e))
                return e;
        pw = getpwuid(getuid());
        if (pw && !isempty(pw->pw_name))
                return pw->pw_name;
        snprintf(buf, len, "uid %u", (unsigned) getuid());
        return buf;
}

static void optout_help(bool opt_out) {
        if (opt_out)
                printf("dunnctl optout UNIT|PHONE|EMAIL [--channel sms|email|wechat] [--note TEXT]\n"
                       "               [--by NAME]\n\n"
                       "An owner asked for no more reminders (退订). UNIT: every contact of the\n"
                       "household; a phone number or e-mail address: that contact in every\n"
                       "household that has it. An opted-out contact is never used (a household\n"
                       "left with none is skipped, reason \"opted out\"; a row already queued for\n"
                       "it is cancelled); a re-import of the households keeps the opt-out.\n");
        else
                printf("dunnctl optin UNIT|PHONE|EMAIL [--channel sms|email|wechat] [--note TEXT]\n"
                       "              [--by NAME]\n\n"
                       "Undoes an opt-out: the contacts are used again.\n");
        printf("  --channel C   only the contacts on channel C\n"
               "  --note TEXT   why (kept with the contact and in the history)\n"
               "  --by NAME     who recorded it (default: $SUDO_USER, else $USER, else the\n"
               "                login name)\n"
               "Who, when and why are recorded on the contact and as a line of the household's\n"
               "history (dunnctl history). Nothing matching: exit 2, nothing changed.\n");
}

/* UNIT, else a mobile number (any written form), else an e-mail address. */
static int parse_target(Store *s, const char *arg, OptoutTarget *t, char phone[static PHONE_BUFSZ]) {
        int r = store_household_find(s, arg, &t->household_id);

        if (r != -ENOENT)
                return r;
        t->household_id = 0;
        if (phone_normalize(arg, phone) == 0) {
                t->address = phone;
                return 0;
        }
        if (email_validate(arg) == 0) {
                t->address = arg;
                return 0;
        }
        return -ENOENT;
}

static int verb_opt(Ctl *ctl, int argc, char *argv[], bool opt_out) {
        static const struct option options[] = {
                { "channel", required_argument, NULL, 'C' },
                { "note", required_argument, NULL, 'n' },
                { "by", required_argument, NULL, 'b' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_rollback_ Store *tx = NULL;
        const char *note = NULL, *by = NULL, *verb = opt_out ? "optout" : "optin";
        char now[STORE_TIMESTAMP_BUFSZ], phone[PHONE_BUFSZ], who[32], masked[MASK_BUFSZ];
        OptoutTarget t = {};
        unsigned changed;
        int c, r, matched;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'C': {
                        size_t i;

                        for (i = 0; channels[i] && !streq(channels[i], optarg); i++)
                                ;
                        if (!channels[i])
                                return ctl_unknown_value("channel", optarg, channels);
                        t.channel = channels[i];
                        break;
                }
                case 'n':
                        note = optarg;
                        break;
                case 'b':
                        if (isempty(optarg)) {
                                ctl_error("%s: --by needs a name", verb);
                                return EXIT_USAGE;
                        }
                        by = optarg;
                        break;
                case 'h':
                        optout_help(opt_out);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 1) {
                ctl_error("usage: dunnctl %s UNIT|PHONE|EMAIL [--channel C] [--note TEXT] [--by NAME]",
                          verb);
                return EXIT_USAGE;
        }
        if (!by)
                by = staff_name(who, sizeof(who));
        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &s);
        if (r != 0)
                return r;
        r = parse_target(s, argv[optind], &t, phone);
        if (r == -ENOENT) {
                ctl_error("%s: '%s' is no unit, mobile number or e-mail address dunnd knows; "
                          "nothing changed", verb, argv[optind]);
                return EXIT_USAGE;
        }
        if (r < 0)
                goto fail;
        r = store_begin(s);
        if (r < 0)
                goto fail;
        tx = s;
        matched = store_contacts_set_opt_out(s, &t, opt_out, by, note, store_now(now, sizeof(now)),
                                             &changed);
        if (matched < 0) {
                r = matched;
                goto fail;
        }
        if (matched == 0) {
                ctl_error("%s: no contact of '%s'%s%s; nothing changed", verb,
                          t.address ? mask_recipient(t.channel ? t.channel : strchr(t.address, '@') ? "email" : "sms",
                                                     t.address, masked, sizeof(masked))
                                    : argv[optind],
                          t.channel ? " on channel " : "", strempty(t.channel));
                return EXIT_USAGE;
        }
        r = store_commit(s);
        if (r < 0)
                goto fail;
        tx = NULL;
        if (changed == 0)
                printf("%s: already opted %s, nothing changed\n", argv[optind], opt_out ? "out" : "in");
        else
                printf("%s: %u contact(s) opted %s by %s\n", argv[optind], changed,
                       opt_out ? "out" : "in", by);
        return 0;
fail:
        ctl_error("%s of '%s' failed: %s", verb, argv[optind], store_errmsg(s));
        return EXIT_RUNTIME;
}

int verb_optout(Ctl *ctl, int argc, char *argv[]) {
        return verb_opt(ctl, argc, argv, true);
}

int verb_optin(Ctl *ctl, int argc, char *argv[]) {
        return verb_opt(ctl, argc, argv, false);
}

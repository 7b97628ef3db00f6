#!/bin/bash
# The manual pages: each renders without a single groff warning, and none has drifted from
# the code. The drift checks read what the programs and the sources say today:
#   * every long option of `dunnctl --help` is in dunnctl.1, and every long option of
#     `dunnctl COMMAND --help` is in that command's section (one per command listed);
#   * every option of `dunnd --help` is in dunnd.8;
#   * every key of config.c's known-key tables (top level, quiet_hours, holidays, templates,
#     schedules) and carrier_host_keys, every template variable (template.c), every file
#     carrier option (plugins/file.c) and every calendar shorthand (calendar.c) is an
#     entry of dunnd.conf.5;
#   * every option of the http, kannel and smtp carriers (their open()) is an entry of
#     that carrier's subsection of dunnd.conf.5, and no entry there names an unknown one;
#   * every CSV header name of import.c's column tables is in its kind's section of
#     dunnctl.1, marked required (*) exactly when the table says so;
#   * every dispatch status of the schema is described in dunnctl.1;
#   * the EXAMPLE of dunnd.conf.5 passes `dunnctl check-config`.
. "$TOP/tests/integration/lib.sh"
: "${DUNND:=$(dirname "$DUNNCTL")/dunnd}"

M=$TOP/man
SRC=$TOP/daemon
export LC_ALL=C.UTF-8
PAGES=(dunnd.8 dunnctl.1 dunnd.conf.5)

# ---- rendering ----------------------------------------------------------------------------
# -k: preconv, so the UTF-8 (Chinese) text reaches troff; -ww: every warning; -z: no output.
render_warnings() {     # page -> the warnings on stdout
        if command -v groff >/dev/null 2>&1 && command -v preconv >/dev/null 2>&1; then
                { groff -k -man -Tutf8 -ww -z "$1" >/dev/null; } 2>&1
        else
                { MANROFFOPT=-ww man --warnings=all -l "$1" >/dev/null; } 2>&1
        fi
}
for p in "${PAGES[@]}"; do
        if [ ! -f "$M/$p" ]; then
                nok "man/$p exists"
                continue
        fi
        if ! command -v groff >/dev/null 2>&1 && ! command -v man >/dev/null 2>&1; then
                skip "man/$p renders without warnings" "neither groff nor man-db installed"
                continue
        fi
        w=$(render_warnings "$M/$p")
        check_eq "man/$p renders without warnings" "" "$w"
        head -n1 "$M/$p" | grep -q 'coding: utf-8' ||
                { nok "man/$p declares its coding on the first line"; continue; }
        ok "man/$p declares its coding on the first line"
done

# ---- helpers ------------------------------------------------------------------------------
# A page's source as plain text: \- is "-", \e is "\", font changes and \& dropped.
plain() { sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\(dq/"/g' "$1"; }
# Lines of the section whose heading line (.SH/.SS) starts with `$2`, up to the next heading.
section() {             # plain-text-file heading-prefix
        awk -v h="$2" '
                /^\.S[HS] / { if (inside) exit; t = $0; sub(/^\.S[HS] "?/, "", t)
                              if (index(t, h) == 1) { inside = 1; next } }
                inside' "$1"
}
long_options() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
has_option() {          # text option: the option as a whole word
        grep -qE -- "(^|[^a-z0-9-])$2([^a-z0-9-]|\$)" <<<"$1"
}
# The entries of a page: the line after each .TP/.TQ, as plain text.
entries() { awk 'prev ~ /^\.T[PQ]/ { print } { prev = $0 }' "$1"; }
# The strings of a NULL-terminated C array starting at the line that matches $2.
c_array() {             # file regex
        awk -v re="$2" '$0 ~ re { on = 1 } on { sub(/NULL.*/, ""); print } on && /NULL|^$/ { exit }' \
                "$1" | grep -oE '"[^"]*"' | tr -d '"'
}

D1=$T/dunnctl.1.txt D8=$T/dunnd.8.txt D5=$T/dunnd.conf.5.txt
plain "$M/dunnctl.1" >"$D1"
plain "$M/dunnd.8" >"$D8"
plain "$M/dunnd.conf.5" >"$D5"

# ---- dunnctl.1 ------------------------------------------------------------------------------
missing=""
for o in $("$DUNNCTL" --help | long_options); do
        has_option "$(section "$D1" OPTIONS)" "$o" || missing+=" $o"
done
check_eq "dunnctl.1 OPTIONS has every option of 'dunnctl --help'" "" "${missing# }"

commands=$("$DUNNCTL" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 && /^  [a-z]/ { print $1 }')
[ -n "$commands" ] || nok "dunnctl --help lists commands"
for c in $commands; do
        s=$(section "$D1" "$c")
        if [ -z "$s" ]; then
                nok "dunnctl.1 has a section for '$c'"
                continue
        fi
        missing=""
        for o in $("$DUNNCTL" "$c" --help 2>&1 | long_options); do
                [ "$o" = --help ] && [ "$c" != calendar ] && continue
                has_option "$s" "$o" || missing+=" $o"
        done
        check_eq "dunnctl.1 '$c' section has every option of 'dunnctl $c --help'" "" "${missing# }"
done

# CSV headers: import.c's tables, kind by kind, with the required flag.
for pair in household_columns:households charge_columns:charges payment_columns:payments \
            category_columns:categories; do
        table=${pair%%:*} kind=${pair#*:}
        s=$(section "$D1" "$kind")
        bad=""
        while IFS= read -r row; do
                req=$(sed -nE 's/^[[:space:]]*\{ F_[A-Z_]+, (true|false),.*/\1/p' <<<"$row")
                [ -n "$req" ] || continue
                mapfile -t names < <(grep -oE '"[^"]*"' <<<"$row" | tr -d '"')
                # the entry line: ".BR first *,\ name ,\ name ..." (* only when required)
                line=$(grep -E "^\.BR ${names[0]} \*?," <<<"$s" | head -n1)
                if [ -z "$line" ]; then bad+=" ${names[0]}(no entry)"; continue; fi
                if [ "$req" = true ]; then
                        [[ $line == ".BR ${names[0]} *,"* ]] || bad+=" ${names[0]}(not marked *)"
                else
                        [[ $line == ".BR ${names[0]} ,"* ]] || bad+=" ${names[0]}(marked *)"
                fi
                for n in "${names[@]:1}"; do
                        grep -qF -- " $n " <<<"$line " || bad+=" ${names[0]}:$n"
                done
        done < <(sed -n "/^static const ColumnSpec ${table}\[\]/,/^};/p" "$SRC/import.c")
        check_eq "dunnctl.1 '$kind' lists every header of import.c ($table)" "" "${bad# }"
done

# "status TEXT ... CHECK (status IN" "('pending','sending',...)": the dispatches' list
statuses=$(grep -A1 -F "CHECK (status IN" "$SRC/store-schema.c" | grep -oE "'[a-z]+'" |
           tr -d "'" | sort -u)
missing=""
[ -n "$statuses" ] || missing="(no statuses found in store-schema.c)"
for st in $statuses; do
        entries "$M/dunnctl.1" | grep -qxE "\.B $st" || missing+=" $st"
done
check_eq "dunnctl.1 describes every dispatch status of the schema" "" "${missing# }"

# ---- dunnd.8 --------------------------------------------------------------------------------
missing=""
for o in $("$DUNND" --help | long_options) $("$DUNND" --help | grep -oE '^ +-[a-zA-Z],' | tr -d ' ,'); do
        has_option "$(section "$D8" OPTIONS)" "$o" || missing+=" $o"
done
check_eq "dunnd.8 OPTIONS has every option of 'dunnd --help'" "" "${missing# }"
missing=""
for f in $(grep -ohE 'DUNND_[A-Z]+=' "$SRC"/*.c | sort -u); do
        grep -qF -- "$f" "$D8" || missing+=" $f"
done
check_eq "dunnd.8 names every journal field the code logs" "" "${missing# }"
missing=""
for code in 0 1 2 78; do
        section "$D8" "EXIT STATUS" | grep -qx "\.B $code" || missing+=" $code"
done
check_eq "dunnd.8 EXIT STATUS has 0, 1, 2 and 78" "" "${missing# }"

# ---- dunnd.conf.5 ---------------------------------------------------------------------------
E5=$(entries "$D5")
is_entry() { grep -qE "^\.BR? \"?$1\"?( |$)" <<<"$E5"; }
check_keys() {          # description regex-of-array-start file
        local what=$1 start=$2 file=$3 k missing="" n=0
        for k in $(c_array "$file" "$start"); do
                n=$((n + 1))
                is_entry "$k" || missing+=" $k"
        done
        [ "$n" -gt 0 ] || missing="(no keys parsed from $(basename "$file"))"
        check_eq "dunnd.conf.5 has an entry for every $what" "" "${missing# }"
}
check_keys "top-level key (load_root)" 'known\[\] = { "database"' "$SRC/config.c"
check_keys "schedule key (load_schedule)" 'known\[\] = { "name", "when"' "$SRC/config.c"
check_keys "template variant key (load_template)" 'known\[\] = { "text"' "$SRC/config.c"
check_keys "quiet_hours key" 'known\[\] = { "start"' "$SRC/config.c"
check_keys "holidays key (load_holidays)" 'known\[\] = { "years"' "$SRC/config.c"
check_keys "carrier host key" 'carrier_host_keys\[\] = {' "$SRC/config.c"
missing=""
for v in $(c_array "$SRC/template.c" 'template_variables\[\] = {'); do
        is_entry "{{$v}}" || missing+=" $v"
done
check_eq "dunnd.conf.5 has an entry for every template variable" "" "${missing# }"
# A plugin's options are its OptionSpec table (lib/options.h): one ".key = "name"" per
# option, ".numbered = N" (a number or a #define of the file) for a family key2..keyN.
table_options() {       # plugin.c -> the option names of its table, a family as key2 keyN
        local src=$1
        awk '/^static const OptionSpec [a-z_]+\[\] = \{/ { on = 1 } on { print } on && /^\};/ { exit }' "$src" |
                tr '\n' ' ' | sed 's/},/}\n/g' | while IFS= read -r row; do
                        key=$(sed -nE 's/.*\.key = "([a-z][a-z0-9_]*)".*/\1/p' <<<"$row")
                        [ -n "$key" ] || continue
                        echo "$key"
                        n=$(sed -nE 's/.*\.numbered = ([A-Za-z0-9_]+).*/\1/p' <<<"$row")
                        [ -n "$n" ] || continue
                        [[ $n =~ ^[0-9]+$ ]] || n=$(sed -nE "s/^#define $n ([0-9]+).*/\1/p" "$src")
                        echo "${key}2"
                        echo "$key$n"
                done
}
missing="" n=0
for o in $(table_options "$TOP/plugins/file.c"); do
        n=$((n + 1))
        is_entry "$o" || missing+=" $o"
done
[ "$n" -gt 0 ] || missing="(no options found in plugins/file.c)"
check_eq "dunnd.conf.5 has an entry for every file carrier option" "" "${missing# }"

# The network carriers: every option in a plugin's table is an entry (.TP) of its
# subsection "The NAME carrier", and every option-like entry there is one it accepts. What
# the plugin itself says it knows (its "unknown option" error, from `dunnctl check-config`
# with a key no carrier has) must be the table: the list is generated from it, and this
# catches a table the extraction above misreads. A numbered family ('header2'..'header9')
# must name its first and last member in an entry.
said_options() {        # plugin -> the names its "unknown option" error lists
        local conf=$T/unknown-$1.conf
        printf 'database = "%s";\nplugin_dir = "%s";\ncarriers = ( { name = "x"; plugin = "%s"; channel = "%s"; no_such_option_ = 1; } );\ntemplates = { t = "x"; };\nschedules = ( { name = "s"; template = "t"; channels = ["%s"]; } );\n' \
                "$T/unknown.db" "$PLUGIN_DIR" "$1" "$2" "$2" >"$conf"
        "$DUNNCTL" -c "$conf" check-config 2>&1 | sed -nE 's/.*\(it knows (.*)\)$/\1/p' |
                sed -E 's/ and /, /; s/\.\./, /g' | tr ',' '\n' | tr -d " '" | grep -v '^$'
}
for pl in http kannel smtp; do
        src=$TOP/plugins/$pl.c
        heading="The $pl carrier"
        sub=$T/carrier-$pl.txt
        section "$D5" "$heading" >"$sub"
        if [ ! -s "$sub" ]; then
                nok "dunnd.conf.5 has a subsection '$heading'"
                continue
        fi
        parsed=$(table_options "$src" | sort -u)
        channel=$(sed -nE 's/^[[:space:]]*\.channel = "([a-z]+)",.*/\1/p' "$src")
        listed=$(said_options "$pl" "${channel:-sms}" | sort -u)
        opts=$(sort -u <<<"$parsed"$'\n'"$listed" | grep -v '^$')
        # sanity: the extraction found the table (every network plugin needs a url)
        if ! grep -qx url <<<"$parsed"; then
                nok "options parsed from plugins/$pl.c"
                echo "#   found: $(tr '\n' ' ' <<<"$parsed")"
                continue
        fi
        check_eq "plugins/$pl.c: its option table and its 'unknown option' message agree" \
                "$(echo $parsed)" "$(echo $listed)"
        E=$(entries "$sub")
        missing=""
        for o in $opts; do
                if [[ $o =~ [0-9]$ ]]; then
                        # a family member: a whole word of some entry line
                        grep -qE "(^|[^a-z0-9_{])$o([^a-z0-9_}]|\$)" <<<"$E" || missing+=" $o"
                else
                        grep -qE "^\.BR? \"?$o\"?( |\$)" <<<"$E" || missing+=" $o"
                fi
        done
        check_eq "dunnd.conf.5 '$heading' has an entry for every option of plugins/$pl.c" \
                "" "${missing# }"
        extra=""
        for o in $(sed -nE 's/^\.BR? "?([a-z][a-z0-9_]*)"?( .*)?$/\1/p' <<<"$E"); do
                grep -qx -- "$o" <<<"$opts" || extra+=" $o"
        done
        check_eq "dunnd.conf.5 '$heading' documents no option plugins/$pl.c lacks" "" "${extra# }"
done
missing=""
for sh in $(sed -n '/shorthand_expansion(const char/,/^}/p' "$SRC/calendar.c" |
            grep -oE '\{ "[a-z-]+", "' | grep -oE '"[a-z-]+"' | tr -d '"'); do
        grep -qE "^\.B $sh\$" "$D5" || missing+=" $sh"
done
check_eq "dunnd.conf.5 names every calendar shorthand" "" "${missing# }"

# The EXAMPLE must be a configuration dunnctl accepts (paths moved into the test directory).
sed -n '/^\.\\" example-begin/,/^\.\\" example-end/p' "$M/dunnd.conf.5" |
        sed -e '1d' -e '$d' | sed -e '/^\.EX$/d' -e '/^\.EE$/d' |
        sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e "s|/var/lib/dunnd|$T|g" >"$T/example.conf"
printf 'plugin_dir = "%s";\n' "$PLUGIN_DIR" >>"$T/example.conf"
if [ "$(wc -l <"$T/example.conf")" -lt 10 ]; then
        nok "dunnd.conf.5 EXAMPLE found"
else
        out=$("$DUNNCTL" -c "$T/example.conf" check-config 2>&1)
        check_contains "dunnd.conf.5 EXAMPLE passes dunnctl check-config" ": ok:" "$out"
fi

# shellcheck shell=bash
# Stand-ins for the bashio functions that the add-on's s6 scripts call, so the
# scripts can run outside the add-on image. Sourced by runner.sh.
#
# Environment:
#   STUB_PYTHON   a Python interpreter (reads the options file)
#   STUB_OPTIONS  the options JSON, as Supervisor writes /data/options.json
#
# Like bashio (lib/bashio.sh), errexit, errtrace, nounset and pipefail are on.
set -o errexit -o errtrace -o nounset -o pipefail

declare -A __stub_options=()

__stub_set() {
    __stub_options["${1}"]="${2}"
}

# Flatten the options the way `bashio::config KEY` prints them (jq, raw
# output): strings as they are, booleans as true/false, null as "null", an
# array one element a line, numbers as JSON. Also KEY|keys for arrays and
# KEY[i].FIELD for arrays of objects, the forms the run script reads.
eval "$("${STUB_PYTHON}" -S - "${STUB_OPTIONS}" <<'PYTHON'
import json
import shlex
import sys

def text(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(text(v) if isinstance(v, str) else json.dumps(v) for v in value)
    return json.dumps(value)

def emit(key, value):
    print(f"__stub_set {shlex.quote(key)} {shlex.quote(text(value))}")

with open(sys.argv[1], encoding="utf-8") as fp:
    options = json.load(fp)
for key, value in options.items():
    emit(key, value)
    if isinstance(value, list):
        emit(f"{key}|keys", list(range(len(value))))
        for index, item in enumerate(value):
            emit(f"{key}[{index}]", item)
            if isinstance(item, dict):
                for field, field_value in item.items():
                    emit(f"{key}[{index}].{field}", field_value)
PYTHON
)"

bashio::config() {
    if [[ -n "${__stub_options[${1}]+set}" ]]; then
        printf '%s' "${__stub_options[${1}]}"
    else
        printf 'null'
    fi
}

bashio::config.has_value() {
    local value
    value="$(bashio::config "${1}")"
    [[ -n "${value}" && "${value}" != 'null' ]]
}

bashio::config.true() {
    [[ "$(bashio::config "${1}")" == 'true' ]]
}

bashio::log.trace() { echo "[TRACE] $*" >&2; }
bashio::log.debug() { echo "[DEBUG] $*" >&2; }
bashio::log.info() { echo "[INFO] $*" >&2; }
bashio::log.notice() { echo "[NOTICE] $*" >&2; }
bashio::log.warning() { echo "[WARNING] $*" >&2; }
bashio::log.error() { echo "[ERROR] $*" >&2; }
bashio::log.fatal() { echo "[FATAL] $*" >&2; }

bashio::exit.nok() {
    if [[ -n "${1:-}" ]]; then
        bashio::log.fatal "${1}"
    fi
    exit 1
}

bashio::exit.ok() {
    exit 0
}

# bashio::var.json KEY VALUE ...: a JSON object of strings.
bashio::var.json() {
    "${STUB_PYTHON}" -S -c '
import json, sys
args = sys.argv[1:]
print(json.dumps(dict(zip(args[::2], args[1::2]))))
' "$@"
}

# Records the call instead of posting to Supervisor.
bashio::discovery() {
    printf 'DISCOVERY %s %s\n' "${1}" "${2}" >&2
}

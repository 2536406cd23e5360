#!/usr/bin/env bash
# Run an add-on s6 script (its path is $1, its arguments follow) with the
# bashio stand-ins instead of `#!/command/with-contenv bashio`.
script="${1}"
shift
# shellcheck source=tests/addon/stubs/bashio.sh
source "$(dirname "${BASH_SOURCE[0]}")/bashio.sh"
# shellcheck disable=SC1090
source "${script}"

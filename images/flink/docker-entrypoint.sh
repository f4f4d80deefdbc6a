#!/usr/bin/env bash
# The entrypoint of flink-fleet's Flink image. It keeps the contract of the official `flink` image
# (apache/flink-docker), so manifests written for one run unchanged on the other:
#   jobmanager | taskmanager | standalone-job | history-server [args...]  start that Flink process
#   help                                                                   print the usage
#   anything else                                                          exec'd as given
# Environment read: JOB_MANAGER_RPC_ADDRESS, TASK_MANAGER_NUMBER_OF_TASK_SLOTS, FLINK_PROPERTIES
# (`key: value` lines appended to the config), ENABLE_BUILT_IN_PLUGINS (`;`-separated jars of
# opt/ to enable as plugins), DISABLE_JEMALLOC. Started as root, it drops to the `flink` user.
#
# One difference, on purpose: the config is written only where Flink will read it (FLINK_CONF_DIR,
# else $FLINK_HOME/conf) and only if that is writable. A read-only mount (a ConfigMap) is the
# operator's whole config, so it is used as given rather than failing on a write.

set -o errexit -o pipefail

FLINK_HOME=${FLINK_HOME:-/opt/flink}
CONF_DIR=${FLINK_CONF_DIR:-$FLINK_HOME/conf}

usage() {
  echo "Usage: $(basename "$0") (jobmanager|standalone-job|taskmanager|history-server) [args...]"
  echo "    Or $(basename "$0") help"
  echo "    Or $(basename "$0") <command> [args...]   (run as the flink user)"
  echo
  echo "jemalloc is the default memory allocator; DISABLE_JEMALLOC=true turns it off."
}

# exec, as the flink user when started as root (a container run without runAsUser).
run_as_flink() {
  if [ "$(id -u)" = 0 ]; then
    exec setpriv --reuid=flink --regid=flink --init-groups -- "$@"
  fi
  exec "$@"
}

enable_jemalloc() {
  [ "${DISABLE_JEMALLOC:-false}" = false ] || return 0
  local candidate
  for candidate in "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so"; do
    if [ -f "$candidate" ]; then
      export LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD:}$candidate"
      return 0
    fi
  done
  echo "WARNING: jemalloc was not found; glibc's allocator is used instead."
}

enable_built_in_plugins() {
  [ -n "${ENABLE_BUILT_IN_PLUGINS:-}" ] || return 0
  local jar
  for jar in ${ENABLE_BUILT_IN_PLUGINS//;/ }; do
    if [ ! -e "$FLINK_HOME/opt/$jar" ]; then
      echo "Plugin $jar does not exist in $FLINK_HOME/opt. Exiting."
      exit 1
    fi
    mkdir -p "$FLINK_HOME/plugins/${jar%.jar}"
    ln -fs "$FLINK_HOME/opt/$jar" "$FLINK_HOME/plugins/${jar%.jar}"
    echo "Enabled built-in plugin $jar"
  done
}

# Each pair of arguments is one option; Flink's own parser edits config.yaml, as the official image does.
set_options() {
  local dynamic=()
  while [ $# -gt 1 ]; do
    dynamic+=("-D$1=$2")
    shift 2
  done
  [ ${#dynamic[@]} -gt 0 ] || return 0
  "$FLINK_HOME/bin/config-parser-utils.sh" "$CONF_DIR" "$FLINK_HOME/bin" "$FLINK_HOME/lib" "${dynamic[@]}" >/dev/null
}

# FLINK_PROPERTIES holds `key: value` lines; a value may name environment variables ($POD_IP).
flink_properties_options() {
  local line key value
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line#"${line%%[![:space:]]*}"}"
    [ -n "$line" ] && [ "${line:0:1}" != "#" ] || continue
    key="${line%%:*}"
    value="${line#*:}"
    key="${key%"${key##*[![:space:]]}"}"
    value="${value#"${value%%[![:space:]]*}"}"
    value="${value%"${value##*[![:space:]]}"}"
    printf '%s\n%s\n' "$key" "$(envsubst <<<"$value")"
  done <<<"$FLINK_PROPERTIES"
}

prepare_configuration() {
  if [ ! -w "$CONF_DIR" ] || [ ! -w "$CONF_DIR/config.yaml" ]; then
    echo "Using the configuration in $CONF_DIR as given: it is not writable."
    [ -z "${FLINK_PROPERTIES:-}" ] || echo "WARNING: FLINK_PROPERTIES is ignored: $CONF_DIR is read-only."
    return 0
  fi
  local options=(
    jobmanager.rpc.address "${JOB_MANAGER_RPC_ADDRESS:-$(hostname -f 2>/dev/null || hostname)}"
    blob.server.port 6124
    query.server.port 6125
  )
  [ -z "${TASK_MANAGER_NUMBER_OF_TASK_SLOTS:-}" ] || options+=(taskmanager.numberOfTaskSlots "$TASK_MANAGER_NUMBER_OF_TASK_SLOTS")
  if [ -n "${FLINK_PROPERTIES:-}" ]; then
    local property
    while IFS= read -r property; do options+=("$property"); done < <(flink_properties_options)
  fi
  set_options "${options[@]}"
}

if [ "${1:-help}" = help ]; then
  usage
  exit 0
fi

enable_jemalloc
enable_built_in_plugins
prepare_configuration

role="$1"
case "$role" in
  jobmanager) launcher=jobmanager.sh ;;
  standalone-job) launcher=standalone-job.sh ;;
  taskmanager) launcher=taskmanager.sh ;;
  history-server) launcher=historyserver.sh ;;
  *) run_as_flink "$@" ;;
esac
shift
echo "Starting Flink $role"
run_as_flink "$FLINK_HOME/bin/$launcher" start-foreground "$@"

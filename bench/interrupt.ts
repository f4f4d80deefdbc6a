/**
 * On the first SIGINT or SIGTERM, runs `cleanUpNow` (synchronous: the process exits right after it)
 * and exits as the signal would have, 128 + its number. The listeners stay until the returned
 * function removes them, rather than going with their first call: a Ctrl-C reaches npm, tsx and the
 * bench, so more signals follow the first, and a signal that finds no listener ends the process with
 * its default action, half-way through the clean-up.
 */
export function onInterrupt(cleanUpNow: () => void): () => void {
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    cleanUpNow();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  return () => {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  };
}

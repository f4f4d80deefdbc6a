/*
 * The first process of every pod sandbox: it holds the pod's namespaces open for as long as the pod
 * lives, reaps the orphans that end up with it as pid 1, and exits cleanly on SIGINT or SIGTERM.
 * Built static (gcc -static), so the image is this one file and nothing else.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int signal_number) {
  (void)signal_number;
  _exit(0);
}

/* Only pid 1 inherits orphans; without this they would stay zombies for the pod's whole life. */
static void reap(int signal_number) {
  (void)signal_number;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("flink-fleet pause");
    return 0;
  }
  if (getpid() != 1) fputs("pause: not running as pid 1, so orphans are not reaped here\n", stderr);

  struct sigaction on_stop;
  memset(&on_stop, 0, sizeof on_stop);
  on_stop.sa_handler = stop;
  if (sigaction(SIGINT, &on_stop, NULL) != 0 || sigaction(SIGTERM, &on_stop, NULL) != 0) return 1;

  struct sigaction on_child;
  memset(&on_child, 0, sizeof on_child);
  on_child.sa_handler = reap;
  on_child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGCHLD, &on_child, NULL) != 0) return 2;

  for (;;) pause();
}

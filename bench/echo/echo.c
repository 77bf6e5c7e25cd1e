/* Minimal FastCGI worker: the ceiling of nginx + libfcgi on this machine (bench/perf.py).
 *
 *   cc -O2 -pthread -o echo echo.c -lfcgi
 *   echo SOCKET PROCESSES THREADS
 *
 * Opens a unix socket, forks PROCESSES processes that each run THREADS threads looping on
 * FCGX_Accept_r (the layout of `mlflow-fcgi up`: 2 workers x 4 threads), reads every request
 * body to its end and answers 200 `{}` as application/json. Stops on SIGTERM/SIGINT (the
 * default action); the parent forwards the signal to its children and reaps them. No other work at all. */
#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int listen_fd;

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request req;
    char buf[65536];
    FCGX_InitRequest(&req, listen_fd, 0);
    while (FCGX_Accept_r(&req) >= 0) {
        while (FCGX_GetStr(buf, sizeof buf, req.in) > 0) {}
        FCGX_FPrintF(req.out, "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{}");
        FCGX_Finish_r(&req);
    }
    return NULL;
}

static pid_t children[64];
static int nchildren;
static void forward(int sig) {
    for (int i = 0; i < nchildren; i++) kill(children[i], sig);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: echo SOCKET PROCESSES THREADS\n"); return 2; }
    int procs = atoi(argv[2]), threads = atoi(argv[3]);
    if (procs < 1 || procs > 64 || threads < 1 || threads > 256) return 2;
    signal(SIGPIPE, SIG_IGN);
    FCGX_Init();
    listen_fd = FCGX_OpenSocket(argv[1], 1024);
    if (listen_fd < 0) { perror("FCGX_OpenSocket"); return 1; }
    for (nchildren = 0; nchildren < procs; nchildren++) {
        pid_t pid = fork();
        if (pid == 0) {
            pthread_t tids[256];
            for (int t = 0; t < threads; t++) pthread_create(&tids[t], NULL, serve, NULL);
            for (int t = 0; t < threads; t++) pthread_join(tids[t], NULL);
            return 0;
        }
        children[nchildren] = pid;
    }
    signal(SIGTERM, forward);
    signal(SIGINT, forward);
    while (wait(NULL) > 0 || errno == EINTR) {} /* until every child has exited */
    return 0;
}

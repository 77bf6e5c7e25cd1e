#ifndef MLFLOW_FCGI_CFASTCGI_SHIM_H
#define MLFLOW_FCGI_CFASTCGI_SHIM_H
#include <fcgiapp.h>
/* epoll is not part of Swift's Glibc module; the transport needs it next to libfcgi. */
#include <sys/epoll.h>

/* accept4 is a GNU extension Swift's Glibc module does not declare (and including
   <sys/socket.h> here would hide its constants from Swift): accept a connection already
   marked close-on-exec, in one system call. SOCK_CLOEXEC is O_CLOEXEC on Linux. */
struct sockaddr;
extern int accept4(int fd, struct sockaddr *address, unsigned int *length, int flags);
static inline int mlflow_fcgi_accept_cloexec(int fd) { return accept4(fd, 0, 0, 02000000); }
#endif

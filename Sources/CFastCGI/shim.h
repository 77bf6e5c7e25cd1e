#ifndef MLFLOW_FCGI_CFASTCGI_SHIM_H
#define MLFLOW_FCGI_CFASTCGI_SHIM_H
#include <fcgiapp.h>
/* epoll is not part of Swift's Glibc module; the transport needs it next to libfcgi. */
#include <sys/epoll.h>
#endif
